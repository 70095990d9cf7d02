// The bot guard's step-up challenge in the page: the image with its text alternative and an
// answer field; answered, the fan joins the queue and is admitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axe_check, start_browser } from './support/browser.mjs';
import { start_server } from './support/server.mjs';
import { sign_up_in_page } from './fan_steps.mjs';

const srv = await start_server();
await srv.make_venue({ id: 'hall', sections: 1, rows: 2, seats: 5 });
await srv.make_event({ id: 'guarded', venue_id: 'hall', name: 'Guarded Night' });
// Every join scores at least 0: every fan is asked the step-up challenge.
await srv.admin('PUT', '/v1/admin/events/guarded/bots', { step_up_at: 0, harder_at: 0, shadow_above: 100 });
const chrome = await start_browser();

const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen',
  'nineteen', 'twenty'];

test('a fan asked the step-up challenge answers it and joins', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Guarded Night');
  await page.locator('#join').click();
  await page.locator('#step-up-answer').waitFor({ timeout: 30_000 });
  const img = page.locator('#step-up img');
  assert.match(await img.getAttribute('src'), /^\/v1\/challenges\/step-up\/.+\/image\.svg$/);
  assert.match(await img.getAttribute('alt'), /Text alternative: .+/);
  // decode() resolves once the image is loaded and decoded, and rejects if it cannot be.
  assert.ok(await img.evaluate(async (el) => {
    await el.decode();
    return el.naturalWidth > 0;
  }), 'the image drew');
  assert.deepEqual(await axe_check(page), []);
  const question = await page.locator('#step-up-question').textContent();
  const sum = question.toLowerCase().split(/[^a-z]+/).map((w) => words.indexOf(w))
    .filter((n) => n >= 0).reduce((a, b) => a + b, 0);
  await page.locator('#step-up-answer').fill(String(sum));
  await page.keyboard.press('Enter');
  await page.locator('#shop-view svg.seatmap').waitFor({ timeout: 30_000 });
  // The 403s that asked for the challenge are the server's answers, not page faults.
  assert.deepEqual(page.problems.filter((p) => !/403/.test(p)), []);
  await page.context().close();
});
