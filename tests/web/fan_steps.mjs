// The fan's page driven as a fan would: the steps the fan_*.test.mjs files share (sign up
// in the page, join the queue until admitted, seats of the drawn section, a QR read off the
// screen). Not a test file.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './support/server.mjs';

const run = promisify(execFile);

let fans = 0;

/** A fresh e-mail address for a fan of this run. */
export function fan_email(tag = 'fan') {
  fans += 1;
  return `${tag}-${process.pid}-${Date.now()}-${fans}@example.com`;
}

/** Opens `/`, picks the event called `event_name` and signs up `email` in the page. */
export async function sign_up_in_page(page, base, event_name, email = fan_email()) {
  await page.goto(`${base}/`);
  await page.getByRole('button', { name: new RegExp(`Get tickets: ${event_name}`) }).click();
  await page.locator('#email').fill(email);
  await page.locator('#password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.locator('#join').waitFor({ state: 'visible', timeout: 20_000 });
  return email;
}

/** Joins the queue (the proof of work runs in the page) and waits for the seat map. */
export async function join_until_admitted(page, { timeout_ms = 60_000 } = {}) {
  await page.locator('#join').click();
  try {
    await page.locator('#shop-view svg.seatmap').waitFor({ timeout: timeout_ms });
  } catch (err) {
    // Where the fan got stuck (queue, shop without a map, an error): what the page says.
    const said = await page.locator('main').innerText().catch(() => '(no page)');
    err.message += `\nThe page says:\n${said.slice(0, 1500)}\nProblems: ${page.problems?.join('; ')}`;
    throw err;
  }
}

/** The drawn seat of `id` (a <path role=checkbox>). */
export function seat(page, id) {
  return page.locator(`svg.seatmap .seat[data-id="${id}"]`);
}

/** Waits until the drawn seat `id` has the look `look` (free, pick, mine, held, sold). */
export async function seat_looks(page, id, look, timeout_ms = 10_000) {
  await until(async () => (await seat(page, id).getAttribute('class')) === `seat ${look}`,
    { timeout_ms, every_ms: 25, what: `seat ${id} to look ${look}` });
}

/** Draws section `id` (its button in the overview). */
export async function open_section(page, id) {
  await page.locator(`.section-button[data-section="${id}"]`).click();
  await page.locator(`svg.seatmap[data-section="${id}"]`).waitFor();
}

// zbarimg (Debian's zbar-tools) on a PNG: the decoded text, or '' when it found no code.
async function zbar(png) {
  const dir = await mkdtemp(join(tmpdir(), 'seatgrab-qr-'));
  try {
    const file = join(dir, 'qr.png');
    await writeFile(file, png);
    const { stdout } = await run('zbarimg', ['--raw', '-q', file], { timeout: 20_000 });
    return stdout.trim();
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('zbarimg is missing: apt-get install zbar-tools');
    if (err.code === 4) return ''; // zbarimg's "no symbol found"
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The text of the QR code shown by the image `img` (a locator), read as a phone would: a
 * screenshot of the element decoded by zbarimg. Drawn bigger for a second look when zbar
 * finds nothing at the page's size (the image is an SVG: it scales without loss).
 */
export async function read_qr(img) {
  const text = await zbar(await img.screenshot());
  if (text) return text;
  const size = await img.evaluate((el) => {
    const was = [el.width, el.height];
    el.width = 480;
    el.height = 480;
    return was;
  });
  try {
    return await zbar(await img.screenshot());
  } finally {
    await img.evaluate((el, [w, h]) => {
      el.width = w;
      el.height = h;
    }, size);
  }
}
