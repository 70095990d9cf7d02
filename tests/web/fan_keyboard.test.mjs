// The seat map by keyboard alone: Tab reaches the drawing (one tab stop), arrows move from
// seat to seat, Space and Enter pick; the step-through list picks too; Enter on the hold
// button holds them all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { start_browser } from './support/browser.mjs';
import { start_server, until } from './support/server.mjs';
import { join_until_admitted, seat_looks, sign_up_in_page } from './fan_steps.mjs';

const srv = await start_server();
await srv.make_venue({ id: 'hall', sections: 2, rows: 3, seats: 6 });
await srv.make_event({ id: 'keys', venue_id: 'hall', name: 'Keyboard Night' });
const chrome = await start_browser();

const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return el ? { id: el.id, seat: el.dataset.id || '', tag: el.tagName.toLowerCase() } : {};
});

async function tab_to(page, is_it, what, key = 'Tab') {
  for (let i = 0; i < 80; ++i) {
    await page.keyboard.press(key);
    if (is_it(await focused(page))) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

test('the seat map is usable by keyboard alone', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Keyboard Night');
  await join_until_admitted(page);

  await tab_to(page, (f) => f.seat, 'a seat');
  assert.equal((await focused(page)).seat, 'A-1-1');
  await page.keyboard.press('ArrowRight');
  assert.equal((await focused(page)).seat, 'A-1-2');
  await page.keyboard.press('Space');
  await seat_looks(page, 'A-1-2', 'pick');
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused(page)).seat, 'A-2-2');
  await page.keyboard.press('End');
  assert.equal((await focused(page)).seat, 'A-2-6');
  await page.keyboard.press('Enter');
  await seat_looks(page, 'A-2-6', 'pick');
  await page.keyboard.press('Home');
  assert.equal((await focused(page)).seat, 'A-2-1');
  // One tab stop: the focus ring is drawn and only the current seat is tabbable.
  assert.equal(await page.locator('svg.seatmap .seat[tabindex="0"]').count(), 1);
  assert.equal(await page.locator('#focus-ring').getAttribute('visibility'), 'visible');

  // The step-through list: row 3 in the row select (arrow keys on the focused select, as a
  // keyboard user changes it), then its first seat's button.
  await tab_to(page, (f) => f.id === 'list-row', 'the row select');
  for (let i = 0; i < 5 && (await page.locator('#list-row').inputValue()) !== '3'; ++i) {
    await page.keyboard.press('ArrowDown');
  }
  assert.equal(await page.locator('#list-row').inputValue(), '3');
  assert.equal((await focused(page)).id, 'list-row');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), 'A-3-1');
  await page.keyboard.press('Enter');
  await seat_looks(page, 'A-3-1', 'pick');
  assert.equal(await page.locator('#list-seats [data-id="A-3-1"]').getAttribute('aria-pressed'), 'true');

  await tab_to(page, (f) => f.id === 'hold-selected', 'the hold button', 'Shift+Tab');
  await page.keyboard.press('Enter');
  await page.locator('#countdown').waitFor();
  await until(async () => (await page.locator('.hold-seats tbody tr').count()) === 3, { what: 'three seats held' });
  await seat_looks(page, 'A-1-2', 'mine');
  await seat_looks(page, 'A-2-6', 'mine');
  await seat_looks(page, 'A-3-1', 'mine');

  // Releasing by keyboard: the button goes with the hold, and the focus moves to the hold's
  // heading rather than being lost to the page's body.
  await tab_to(page, (f) => f.id === 'release', 'the release button');
  await page.keyboard.press('Enter');
  await page.locator('#hold-empty').waitFor();
  assert.equal((await focused(page)).id, 'hold-h');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
