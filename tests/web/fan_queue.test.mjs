// The waiting room as a waiting fan sees it: a live place, the same place after the tab is
// closed and reopened (not the back of the line), and the organiser's pause said plainly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axe_check, start_browser } from './support/browser.mjs';
import { start_server, until } from './support/server.mjs';
import { join_until_admitted, sign_up_in_page } from './fan_steps.mjs';

const srv = await start_server();
await srv.make_venue({ id: 'hall', sections: 1, rows: 2, seats: 5 });
// One shopper at a time: the first fan is let in at once (an admission a second) and shops
// on, so the second fan waits.
await srv.make_event({ id: 'slow', venue_id: 'hall', name: 'Slow Queue', admission_per_min: 60,
  max_active_shoppers: 1 });
const chrome = await start_browser();

test('a waiting fan keeps the place across a reopened tab and is told of a pause', async () => {
  const first = await chrome.new_page();
  await sign_up_in_page(first, srv.page_url, 'Slow Queue');
  await join_until_admitted(first);

  const context = await chrome.new_context();
  const fan = await chrome.new_page(context);
  await sign_up_in_page(fan, srv.page_url, 'Slow Queue');
  await fan.locator('#join').click();
  await fan.locator('#queue-place strong').waitFor({ timeout: 60_000 });
  const place = await fan.evaluate(() => Object.entries(localStorage)
    .filter(([k]) => k.startsWith('seatgrab.queue.')).map(([, v]) => JSON.parse(v))[0]);
  assert.ok(place && place.ticket, 'the place is kept in localStorage');
  const waiting = (await srv.admin('GET', '/v1/events/slow')).queue.waiting;

  // The tab is closed and reopened: the same ticket, no second join.
  await fan.close();
  const again = await chrome.new_page(context);
  await again.goto(`${srv.page_url}/`);
  await again.locator('#queue-place strong').waitFor({ timeout: 20_000 });
  const kept = await again.evaluate(() => Object.entries(localStorage)
    .filter(([k]) => k.startsWith('seatgrab.queue.')).map(([, v]) => JSON.parse(v))[0]);
  assert.equal(kept.ticket, place.ticket);
  assert.equal((await srv.admin('GET', '/v1/events/slow')).queue.waiting, waiting);
  assert.equal(await again.locator('#join').isVisible(), false);
  assert.deepEqual(await axe_check(again), []);

  // The queue status carries `paused` (QueueStatus in http/openapi.json): false while the
  // queue admits, and the page says nothing of a pause.
  const session = await again.evaluate(() => JSON.parse(localStorage.getItem('seatgrab.session')));
  const status = await srv.request('GET', `/v1/events/slow/queue/${kept.ticket}`, undefined, session.token);
  assert.equal(status.status, 200, JSON.stringify(status.body));
  assert.equal(status.body.paused, false, JSON.stringify(status.body));
  assert.equal(await again.locator('#paused-note').count(), 0);
  await srv.admin('POST', '/v1/admin/events/slow/pause');
  await again.getByText('The sale is paused by the organiser; you keep your place').first()
    .waitFor({ timeout: 10_000 });
  await srv.admin('POST', '/v1/admin/events/slow/resume');
  await until(async () => (await again.locator('#paused-note').count()) === 0,
    { timeout_ms: 10_000, what: 'the pause note to go' });

  assert.deepEqual(first.problems, []);
  assert.deepEqual(again.problems, []);
  await context.close();
  await first.context().close();
});

test('leaving the queue view stops the browser check and sends no join', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Slow Queue');
  // A challenge far too hard to finish while the test looks (2^28 hashes expected), so
  // that only leaving can end the worker. The server never sees a join either way.
  await page.route(/\/v1\/events\/slow\/challenge$/, async (route) => {
    const res = await route.fetch();
    const ch = await res.json();
    await route.fulfill({ response: res, json: { ...ch, difficulty: 28 } });
  });
  const joins = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && /\/v1\/events\/slow\/queue$/.test(new URL(req.url()).pathname)) joins.push(req);
  });
  const worker = new Promise((resolve) => page.once('worker', resolve));
  await page.locator('#join').click();
  const w = await worker;
  const closed = new Promise((resolve) => w.once('close', resolve));
  await page.locator('#pow-progress').waitFor();

  await page.locator('#nav-events').click();
  await page.locator('#events-view').waitFor();
  // The worker is terminated (the solve was aborted), not left running to its end.
  let timer;
  await Promise.race([closed, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('the proof-of-work worker still runs after leaving')), 10_000);
  })]).finally(() => clearTimeout(timer));
  assert.equal(joins.length, 0, 'no join was sent');
  assert.equal(await page.locator('#alert').isVisible(), false, 'leaving is no error');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
