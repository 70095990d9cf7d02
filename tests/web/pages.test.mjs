// The pages load clean: no console errors or CSP violations, axe finds nothing serious, and
// each carries the strict Content-Security-Policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axe_check, start_browser } from './support/browser.mjs';
import { start_server } from './support/server.mjs';

const required_csp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
];

// At the top level: their after() hooks then belong to the file, not to a hook.
const srv = await start_server();
await srv.make_venue({ id: 'hall' });
await srv.make_event({ id: 'show', venue_id: 'hall', name: 'Opening Night' });
const chrome = await start_browser();

for (const path of ['/', '/ops']) {
  test(`${path} carries the Content-Security-Policy`, async () => {
    const res = await fetch(srv.page_url + path);
    assert.equal(res.status, 200, `${path} answers ${res.status}`);
    const csp = res.headers.get('content-security-policy') || '';
    for (const directive of required_csp) assert.ok(csp.includes(directive), `${path} CSP lacks ${directive}: ${csp}`);
    const html = await res.text();
    // No inline script or style in the markup: the CSP would block it.
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i, 'inline style or handler');
  });
}

test('/ loads the events with no console error', async () => {
  const page = await chrome.new_page();
  await page.goto(srv.page_url + '/');
  await page.getByText('Opening Night').first().waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// What shows that a page has drawn itself.
const ready = { '/': (page) => page.getByText('Opening Night').first(), '/ops': (page) => page.locator('#login') };

for (const path of ['/', '/ops']) {
  test(`axe finds no serious or critical violation on ${path}`, async () => {
    const page = await chrome.new_page();
    await page.goto(srv.page_url + path);
    await ready[path](page).waitFor();
    const violations = await axe_check(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}
