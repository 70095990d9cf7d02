// Acceptance (issue 18): the operator pauses the queue in the dashboard and a waiting fan's
// page says so. One shopper at a time: the first fan is admitted (through the API), the
// second joins in the fan's page and waits; the operator, in a browser context of their
// own, pauses and resumes the queue on /ops; the waiting fan's page says so, live.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axe_check, start_browser } from './support/browser.mjs';
import { start_server, until } from './support/server.mjs';
import { sign_up_in_page } from './fan_steps.mjs';

// The bot guard off: the first fan is a script (its join would be shadowed otherwise).
const srv = await start_server({ flags: ['--bot-guard', 'off', '--pow-difficulty', '0'] });
await srv.make_venue({ id: 'hall', sections: 1, rows: 2, seats: 5 });
const ev = await srv.make_event({ id: 'paced', venue_id: 'hall', name: 'Paced Night',
  max_active_shoppers: 1 });
const chrome = await start_browser();

const paused_text = 'The sale is paused by the organiser; you keep your place';

/** The first fan, admitted through the API: the one shopper the event lets in. */
async function first_fan_admitted() {
  const token = await srv.sign_up('first@example.com');
  const join = await srv.request('POST', `/v1/events/${ev.id}/queue`, { device: 'device-first' }, token);
  assert.equal(join.status, 201, JSON.stringify(join.body));
  await until(async () => {
    const s = await srv.request('GET', `/v1/events/${ev.id}/queue/${join.body.ticket}`, undefined, token);
    return s.body?.state === 'admitted';
  }, { timeout_ms: 15_000, every_ms: 100, what: 'the first fan admitted' });
}

test('the operator pauses the queue in the dashboard and a waiting fan\'s page says so', async () => {
  await first_fan_admitted();

  // The second fan joins in the page and waits: the page shows the place.
  const fan = await chrome.new_page();
  await sign_up_in_page(fan, srv.page_url, 'Paced Night');
  await fan.locator('#join').click();
  await fan.locator('#queue-place strong').waitFor({ timeout: 30_000 });
  assert.match(await fan.locator('#queue-place strong').textContent(), /^[0-9]+$/);
  assert.equal(await fan.getByText(paused_text).count(), 0);

  // The operator, in a browser context of their own.
  const ops = await chrome.new_page();
  await ops.goto(`${srv.page_url}/ops`);
  await ops.getByLabel('Admin token').fill(srv.token);
  await ops.getByRole('button', { name: 'Open the dashboard' }).click();
  await ops.locator('#dash').waitFor({ timeout: 10_000 });
  await ops.locator('#sale-state').filter({ hasText: /on sale/ }).waitFor({ timeout: 10_000 });

  await ops.getByRole('button', { name: 'Pause the queue' }).click();
  await ops.locator('#sale-state').filter({ hasText: /paused/ }).waitFor({ timeout: 10_000 });
  // The waiting fan's page says so, live (over the queue's status stream), still in line.
  await fan.getByText(paused_text).first().waitFor({ timeout: 10_000 });
  assert.equal(await fan.locator('#queue-sale').textContent(), 'Sale paused');
  assert.equal(await fan.locator('#queue-place strong').count(), 1, 'the place is still shown');
  assert.deepEqual(await axe_check(fan), []);

  await ops.getByRole('button', { name: 'Resume the queue' }).click();
  await ops.locator('#sale-state').filter({ hasText: /on sale/ }).waitFor({ timeout: 10_000 });
  await until(async () => (await fan.getByText(paused_text).count()) === 0,
    { timeout_ms: 10_000, what: 'the pause message to go' });
  assert.notEqual(await fan.locator('#queue-sale').textContent(), 'Sale paused');

  assert.deepEqual(fan.problems, []);
  assert.deepEqual(ops.problems, []);
  await fan.context().close();
  await ops.context().close();
});
