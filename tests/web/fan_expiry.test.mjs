// A hold left to expire (an event whose holds last 6 s: margin for a loaded machine): the holder's page says so, and a
// second page that watches sees the seat held, then free again, live.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { start_browser } from './support/browser.mjs';
import { start_server } from './support/server.mjs';
import { join_until_admitted, seat, seat_looks, sign_up_in_page } from './fan_steps.mjs';

const srv = await start_server();
await srv.make_venue({ id: 'hall', sections: 1, rows: 2, seats: 5 });
await srv.make_event({ id: 'brief', venue_id: 'hall', name: 'Brief Holds', hold_ttl_s: 6 });
const chrome = await start_browser();

test('an expired hold frees its seat live on another page', async () => {
  const holder = await chrome.new_page();
  const other = await chrome.new_page();
  await sign_up_in_page(holder, srv.page_url, 'Brief Holds');
  await sign_up_in_page(other, srv.page_url, 'Brief Holds');
  await join_until_admitted(holder);
  await join_until_admitted(other);
  await seat_looks(other, 'A-1-2', 'free');

  await seat(holder, 'A-1-2').click();
  await holder.locator('#hold-selected').click();
  await holder.locator('#countdown').waitFor();
  await seat_looks(other, 'A-1-2', 'held', 5000);

  // The holder is told; the seat comes back on the other page without a reload.
  await holder.locator('#hold-expired').waitFor({ timeout: 15_000 });
  await seat_looks(other, 'A-1-2', 'free', 10_000);
  await seat_looks(holder, 'A-1-2', 'free', 10_000);
  assert.equal(await other.evaluate(() => performance.getEntriesByType('navigation').length), 1);
  for (const p of [holder, other]) {
    assert.deepEqual(p.problems, []);
    await p.context().close();
  }
});
