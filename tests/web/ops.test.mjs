// The operator's dashboard: sign in with the admin token, live figures and heat map, pause
// and resume the queue (the event's state follows), the admission-rate control, axe clean,
// and a screenshot of the dashboard kept as an artefact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axe_check, screenshot, start_browser } from './support/browser.mjs';
import { start_server, until } from './support/server.mjs';

// The bot guard off: this file's fan is a script (its join would be shadowed otherwise).
const srv = await start_server({ flags: ['--bot-guard', 'off', '--pow-difficulty', '0'] });
await srv.make_venue({ id: 'hall', sections: 3, rows: 2, seats: 5 });
const ev = await srv.make_event({ id: 'show', venue_id: 'hall', name: 'Opening Night', admission_per_min: 600 });
const chrome = await start_browser();

const page = await chrome.new_page();
const text_of = (sel) => page.locator(sel).textContent();

/** Waits until the element's text matches `re`. */
async function see(sel, re, timeout = 10_000) {
  await page.locator(sel).filter({ hasText: re }).first().waitFor({ timeout });
}

/** A fan admitted and holding `seats`, through the API (what the fan's page does). */
async function fan_holds(email, seats) {
  const token = await srv.sign_up(email);
  const join = await srv.request('POST', `/v1/events/${ev.id}/queue`, { device: `device-${email}` }, token);
  assert.equal(join.status, 201, JSON.stringify(join.body));
  const admission = await until(async () => {
    const s = await srv.request('GET', `/v1/events/${ev.id}/queue/${join.body.ticket}`, undefined, token);
    return s.body?.state === 'admitted' && s.body.admission_token;
  }, { timeout_ms: 15_000, every_ms: 250, what: `${email} admitted` });
  const res = await fetch(`${srv.url}/v1/events/${ev.id}/holds`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'X-Admission-Token': admission },
    body: JSON.stringify({ seats }),
  });
  assert.equal(res.status, 201, await res.text());
}

test('a wrong token is refused with the problem detail', async () => {
  // What the server answers the page's check of a wrong token: the alert shows its detail,
  // word for word (not a status, not a fallback such as "... (401).").
  const refused = await srv.request('GET', `/v1/admin/events/${ev.id}/bots`, undefined, 'not-the-token');
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  assert.ok(refused.body?.detail, `a problem detail: ${JSON.stringify(refused.body)}`);
  await page.goto(`${srv.page_url}/ops`);
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.locator('#alert').waitFor();
  assert.equal((await text_of('#alert')).trim(), refused.body.detail);
  assert.ok(await page.locator('#dash').isHidden());
});

test('the operator signs in with the token and sees the figures', async () => {
  await page.getByLabel('Admin token').fill(srv.token);
  await page.getByLabel('Admin token').press('Enter'); // keyboard alone
  await page.locator('#dash').waitFor();
  assert.ok(await page.locator('#alert').isHidden());
  await see('#sale-state', /on sale/);
  await see('#fig-admission', /600/);
  await see('#fig-free', /^30$/);
  // Rates need two scrapes: one refresh later they are figures, not dashes.
  await see('#fig-sales-rate', /\/ min/);
  // The heat map: one cell per section, and the table alternative.
  await until(async () => (await page.locator('#heatmap svg .cell').count()) === 3, { what: '3 cells' });
  assert.equal(await page.locator('#heat-table tbody tr').count(), 3);
  // The token is kept for this tab.
  assert.equal(await page.evaluate(() => sessionStorage.getItem('seatgrab.ops.token')), srv.token);
});

test('the heat map follows the seat-map stream live', async () => {
  await fan_holds('fan1@example.com', ['B-1-1', 'B-1-2']);
  // Row B of the table: section, free, held, sold, taken.
  const row_b = page.locator('#heat-table tbody tr', { has: page.locator('th', { hasText: /^B$/ }) });
  await until(async () => (await row_b.locator('td').nth(1).textContent()) === '2', { what: 'B held 2' });
  assert.equal(await row_b.locator('td').nth(0).textContent(), '8');
  await see('#heatmap [data-section="B"]', /20 % taken/);
  await see('#fig-held', /^2$/);
});

test('the operator pauses and resumes the queue', async () => {
  await page.getByRole('button', { name: 'Pause the queue' }).click();
  await see('#sale-state', /paused/);
  await see('#notice', /paused/);
  const paused = await srv.request('GET', `/v1/events/${ev.id}`);
  assert.equal(paused.body.state, 'paused');
  assert.ok(await page.getByRole('button', { name: 'Pause the queue' }).isDisabled());

  // By keyboard alone this time.
  await page.getByRole('button', { name: 'Resume the queue' }).focus();
  await page.keyboard.press('Enter');
  await see('#sale-state', /on sale/);
  assert.equal((await srv.request('GET', `/v1/events/${ev.id}`)).body.state, 'on_sale');
});

test('the admission-rate control calls PUT .../admission', async () => {
  await page.getByLabel('Admission rate (fans per minute)').fill('120');
  await page.getByRole('button', { name: 'Set the rate' }).click();
  await see('#notice', /Admitting 120 fans per minute/);
  await see('#fig-admission', /^120 \/ min$/);
  assert.ok(await page.locator('#alert').isHidden());
  assert.equal((await srv.request('GET', `/v1/events/${ev.id}`)).body.admission_per_min, 120);
});

test('the operator freezes and unfreezes prices', async () => {
  await srv.make_event({ id: 'priced', venue_id: 'hall', name: 'Priced Night',
    pricing: { interval_s: 30, ladders: { std: [5000, 6000, 7000] } } });
  // A reload signs in again from the tab's session storage; the new event is listed.
  await page.reload();
  await page.locator('#dash').waitFor();
  await page.getByLabel('Event').selectOption('priced');
  await see('#pricing-state', /move every 30 s/);
  await page.getByRole('button', { name: 'Freeze prices', exact: true }).click();
  await see('#pricing-state', /frozen/);
  assert.equal((await srv.request('GET', '/v1/events/priced')).body.pricing.frozen, true);
  await page.getByRole('button', { name: 'Unfreeze prices' }).click();
  await see('#pricing-state', /move every/);
  assert.equal((await srv.request('GET', '/v1/events/priced')).body.pricing.frozen, false);
  // Back to the first event, with its held seats, for the screenshot.
  await page.getByLabel('Event').selectOption('show');
  await see('#fig-held', /^2$/);
  await until(async () => (await page.locator('#heatmap svg .cell').count()) === 3, { what: '3 cells' });
});

test('the dashboard is axe clean, error free, and kept as a screenshot', async () => {
  await page.locator('#heat-details summary').click(); // the table too
  await page.locator('#heat-table').waitFor();
  const violations = await axe_check(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  const path = await screenshot(page, 'ops-dashboard');
  assert.ok(path.endsWith('ops-dashboard.png'));
  // chromium logs the refused check of the wrong token (401 on .../bots) as a failed
  // resource: expected here, anything else is not.
  const problems = page.problems.filter(
    (p) => !/Failed to load resource: the server responded with a status of 401\b.*\/bots\)$/.test(p));
  assert.deepEqual(problems, []);
});
