// The fan's whole journey in the browser: sign up, queue (proof of work in the page),
// admitted, two seats picked on the map, the hold's countdown, a declined card explained,
// paid, tickets with their QR, the QR read off the screen (zbarimg) and accepted at the
// gate, one ticket transferred.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axe_check, screenshot, start_browser } from './support/browser.mjs';
import { start_server } from './support/server.mjs';
import { fan_email, join_until_admitted, read_qr, seat, seat_looks, sign_up_in_page } from './fan_steps.mjs';

const srv = await start_server();
await srv.make_venue({ id: 'hall', sections: 2, rows: 3, seats: 6 });
await srv.make_event({ id: 'show', venue_id: 'hall', name: 'Opening Night' });
await srv.make_event({ id: 'matinee', venue_id: 'hall', name: 'Matinee',
  refunds_until: new Date(Date.now() + 86_400_000).toISOString() });
const chrome = await start_browser();

test('a fan signs up, queues, picks two seats, pays and transfers a ticket', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Opening Night');
  await join_until_admitted(page);

  await seat(page, 'A-1-1').click();
  await seat(page, 'A-1-2').click();
  await seat_looks(page, 'A-1-1', 'pick');
  assert.match(await seat(page, 'A-1-1').getAttribute('aria-label'), /^Row 1, seat 1, selected, 50\.00/);
  await page.locator('#hold-selected').click();
  await page.locator('#countdown').waitFor();
  assert.match(await page.locator('#countdown').textContent(), /held for [0-9]+:[0-5][0-9]/);
  await seat_looks(page, 'A-1-1', 'mine');
  assert.match(await page.locator('#hold-total').textContent(), /100\.00/);
  await screenshot(page, 'fan-seatmap');
  assert.deepEqual(await axe_check(page), []);

  // A declined card is explained by the problem's detail, and the hold stays.
  await page.locator('#card').fill('4000000000000002');
  await page.locator('#pay').click();
  await page.getByText(/Payment declined/).waitFor();
  assert.equal(await page.locator('#countdown').count(), 1);

  await page.locator('#card').fill('4242 4242 4242 4242');
  await page.locator('#pay').click();
  await page.locator('#tickets-view .ticket img.qr').nth(1).waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await page.locator('#tickets-view .ticket').count(), 2);
  for (const img of await page.locator('#tickets-view img.qr').all()) {
    assert.match(await img.getAttribute('src'), /^data:image\/svg\+xml/);
    // The QR image really drew (a broken image has no natural width).
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'QR image drawn');
  }
  assert.deepEqual(await axe_check(page), []);

  // The first ticket's QR, read off the screen, decodes to the code shown as text, and the
  // gate scan accepts it.
  const first = page.locator('#tickets-view .ticket').first();
  const code = await read_qr(first.locator('img.qr'));
  assert.ok(code, 'zbarimg found a QR code in the screenshot');
  assert.equal(code, (await first.locator('code').textContent()).trim());
  const scan = await srv.request('POST', '/v1/scan', { code }, srv.token);
  assert.equal(scan.status, 200, JSON.stringify(scan.body));
  assert.equal(scan.body.result, 'valid');

  // The second ticket goes to a friend: the page then shows one ticket.
  const friend = fan_email('friend');
  await srv.sign_up(friend);
  const second = page.locator('#tickets-view .ticket').nth(1);
  await second.locator('input[type="email"]').fill(friend);
  await second.getByRole('button', { name: 'Transfer' }).click();
  await page.getByText('1 ticket.').waitFor();
  assert.deepEqual(page.problems.filter((p) => !/402/.test(p)), []);
  await page.context().close();
});

test('a fan holds the best available seat, pays and refunds the ticket', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Matinee');
  await join_until_admitted(page);
  await page.locator('#best-qty').fill('1');
  await page.getByRole('button', { name: 'Hold the best available' }).click();
  await page.locator('#countdown').waitFor();
  assert.equal(await page.locator('.hold-seats tbody tr').count(), 1);
  assert.equal(await page.locator('svg.seatmap .seat.mine').count(), 1);
  await page.locator('#card').fill('4242424242424242');
  await page.locator('#pay').click();
  const ticket = page.locator('#tickets-view .ticket').first();
  await ticket.getByRole('button', { name: 'Refund…' }).click();
  await ticket.getByRole('button', { name: /^Yes, refund/ }).click();
  await page.locator('#tickets-view .ticket.refunded').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#tickets-view .ticket').first().textContent(), /Refunded/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
