// A payment whose answer is lost: the server charged, the page never heard. The page says
// so in words (not "Failed to fetch"), sends the same Idempotency-Key on every retry, keeps
// it with the stored hold, and after a reload the same card gets the same key: the server
// replays the order, and the fan pays once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { start_browser } from './support/browser.mjs';
import { start_server, until } from './support/server.mjs';
import { join_until_admitted, seat, seat_looks, sign_up_in_page } from './fan_steps.mjs';

const srv = await start_server();
await srv.make_venue({ id: 'hall', sections: 1, rows: 2, seats: 5 });
await srv.make_event({ id: 'lossy', venue_id: 'hall', name: 'Lossy Night' });
const chrome = await start_browser();

const checkout_re = /\/v1\/holds\/[^/]+\/checkout$/;

test('a lost payment answer is retried with the same key, across a reload', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Lossy Night');
  await join_until_admitted(page);
  await seat(page, 'A-1-1').click();
  await seat_looks(page, 'A-1-1', 'pick');
  await page.locator('#hold-selected').click();
  await page.locator('#countdown').waitFor();

  // Every checkout reaches the server, but its answer is cut before the page gets it.
  const keys = [];
  const statuses = [];
  await page.route(checkout_re, async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    const res = await route.fetch();
    statuses.push(res.status());
    await route.abort('connectionreset');
  });
  await page.locator('#card').fill('4242 4242 4242 4242');
  await page.locator('#pay').click();
  await page.locator('#pay-status').filter({ hasText: 'Could not reach SeatGrab. Check your connection.' })
    .waitFor({ timeout: 20_000 });
  assert.doesNotMatch(await page.locator('#pay-status').textContent(), /Failed to fetch|\(\d{3}\)/);
  assert.ok(keys.length >= 2, `the page tried again by itself (${keys.length} tries)`);
  assert.ok(keys[0], 'an Idempotency-Key was sent');
  assert.deepEqual(new Set(keys), new Set([keys[0]]), `one key for every try: ${keys}`);
  assert.equal(statuses[0], 201, 'the first try paid');
  // The key is kept with the stored hold (never the card number).
  const kept = await page.evaluate(() => Object.entries(localStorage)
    .filter(([k]) => k.startsWith('seatgrab.hold.')).map(([, v]) => JSON.parse(v))[0]);
  assert.equal(kept?.pay?.key, keys[0]);
  assert.ok(!JSON.stringify(kept).includes('4242424242424242'), 'no card number stored');

  // The tab is reloaded mid-payment: the hold comes back; the same card sends the same key
  // and the server's replayed order is shown.
  await page.unroute(checkout_re);
  const after = [];
  page.on('request', (req) => {
    if (checkout_re.test(new URL(req.url()).pathname)) after.push(req.headers()['idempotency-key']);
  });
  await page.reload();
  await page.locator('#countdown').waitFor({ timeout: 20_000 });
  await page.locator('#card').fill('4242 4242 4242 4242');
  await page.locator('#pay').click();
  await page.locator('#tickets-view .ticket').first().waitFor({ timeout: 20_000 });
  assert.deepEqual(after, [keys[0]]);

  // Paid once: one ticket.
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('seatgrab.session')));
  await until(async () => (await page.locator('#tickets-view .ticket').count()) === 1,
    { what: 'one ticket shown' });
  const mine = await srv.request('GET', '/v1/tickets', undefined, session.token);
  assert.equal(mine.status, 200);
  assert.equal(mine.body.tickets.length, 1, JSON.stringify(mine.body));
  // The cut answers are logged by chromium as failed loads: expected, nothing else.
  assert.deepEqual(page.problems.filter((p) => !/ERR_CONNECTION_RESET/.test(p)), []);
  await page.context().close();
});
