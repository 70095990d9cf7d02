// The seat map and the heat map drawn from the venue's layout (GET /v1/venues/{id}): the
// scenarios' theatre (curved stalls, a circle, boxes whose rows run away from the stage) with
// its seat ids made opaque, so that rows, numbers, names and places can only come from the
// layout, never from the ids.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { axe_check, screenshot, start_browser } from './support/browser.mjs';
import { start_server, until } from './support/server.mjs';
import { join_until_admitted, open_section, seat, seat_looks, sign_up_in_page } from './fan_steps.mjs';

const theatre = JSON.parse(await readFile(new URL('../../scenarios/venues/theatre.json', import.meta.url)));
const ids = new Map(); // "<section>-<row>-<number>" -> the opaque id
let n = 0;
for (const s of theatre.sections) for (const r of s.rows) for (const x of r.seats) {
  n += 1;
  ids.set(`${s.id}-${r.id}-${x.number}`, `s${String(n).padStart(4, '0')}`);
  x.id = ids.get(`${s.id}-${r.id}-${x.number}`);
}
const id_of = (section, row, number) => ids.get(`${section}-${row}-${number}`);

const srv = await start_server({ flags: ['--max-body', '4194304'] });
await srv.admin('POST', '/v1/admin/venues', theatre);
await srv.make_event({ id: 'gala', venue_id: theatre.id, name: 'Gala' });
const chrome = await start_browser();

// The centre of a drawn seat in the drawing's units (its transform).
async function centre(page, id) {
  const t = await seat(page, id).getAttribute('transform');
  const [, x, y] = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(t);
  return { x: Number(x), y: Number(y) };
}

const focused_seat = (page) => page.evaluate(() => document.activeElement?.dataset.id || '');

test('the fan sees the sections by name and the seats where the venue has them', async () => {
  const page = await chrome.new_page();
  await sign_up_in_page(page, srv.page_url, 'Gala');
  await join_until_admitted(page);
  const names = await page.locator('.section-button strong').allTextContents();
  assert.deepEqual(names, ['Stalls', 'Circle', 'Boxes']);

  await open_section(page, 'stalls');
  const a1 = id_of('stalls', 'A', 1);
  assert.match(await seat(page, a1).getAttribute('aria-label'), /^Row A, seat 1, available, 85\.00 EUR$/);
  // Row A curves: seat 1 left of and behind seat 2; row B behind row A; the stage in front.
  const [p1, p2, b1] = await Promise.all([centre(page, a1), centre(page, id_of('stalls', 'A', 2)),
    centre(page, id_of('stalls', 'B', 1))]);
  assert.ok(p1.x < p2.x && p1.y > p2.y, `A1 ${JSON.stringify(p1)} A2 ${JSON.stringify(p2)}`);
  assert.ok(b1.y > p1.y + 1, `B1 ${JSON.stringify(b1)} behind A1`);
  const stage = page.locator('svg.seatmap .stage');
  assert.ok(Number(await stage.getAttribute('y')) < p2.y - 1, 'the stage in front of row A');
  assert.equal(await page.locator('svg.seatmap .row-label').first().textContent(), 'A');

  // The boxes: rows run away from the stage on either side of the hall.
  await open_section(page, 'boxes');
  const box_a1 = id_of('boxes', 'A', 1);
  await seat(page, box_a1).focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await focused_seat(page), id_of('boxes', 'A', 2));
  await page.keyboard.press('End');
  assert.equal(await focused_seat(page), id_of('boxes', 'A', 4));
  await page.keyboard.press('ArrowDown'); // the next box behind
  assert.equal(await focused_seat(page), id_of('boxes', 'B', 1));
  await page.keyboard.press('ArrowRight'); // across the hall
  assert.equal(await focused_seat(page), id_of('boxes', 'D', 1));
  await page.keyboard.press('Space');
  await seat_looks(page, id_of('boxes', 'D', 1), 'pick');
  assert.match(await page.locator('#picked').textContent(), /1 seat selected, 125\.00 EUR/);

  // The step-through list by the layout's names and rows.
  const sections = await page.locator('#list-section option').allTextContents();
  assert.deepEqual(sections.map((t) => t.replace(/ \(.*/, '')), ['Stalls', 'Circle', 'Boxes']);
  assert.deepEqual(await page.locator('#list-row option').allTextContents(),
    ['Row A (4 available)', 'Row B (4 available)', 'Row C (4 available)', 'Row D (4 available)']);
  await screenshot(page, 'fan-seatmap-theatre');
  assert.deepEqual(await axe_check(page), []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the heat map puts the sections where they are in the venue', async () => {
  const page = await chrome.new_page();
  await page.goto(`${srv.page_url}/ops`);
  await page.getByLabel('Admin token').fill(srv.token);
  await page.getByLabel('Admin token').press('Enter');
  await page.locator('#heatmap svg.venue-plan').waitFor({ timeout: 15_000 });
  await until(async () => (await page.locator('#heatmap svg .cell').count()) === 3, { what: '3 cells' });
  const box = (sel) => page.locator(sel).evaluate((el) => {
    const b = el.getBBox();
    return { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
  });
  const stalls = await box('#heatmap .cell[data-section="stalls"]');
  const circle = await box('#heatmap .cell[data-section="circle"]');
  const stage = await box('#heatmap .stage');
  assert.ok(stage.y1 <= stalls.y0, 'the stage in front of the stalls');
  assert.ok(stalls.y1 <= circle.y0, 'the circle behind the stalls');
  // The boxes' rows either side of the stalls, not on them.
  const rows = await page.locator('#heatmap .cell[data-section="boxes"] .area').evaluateAll((els) =>
    els.map((el) => Number(el.getAttribute('x'))));
  assert.equal(rows.length, 4);
  assert.ok(rows.some((x) => x < stalls.x0) && rows.some((x) => x > stalls.x1), JSON.stringify(rows));
  assert.equal(await page.locator('#heat-table tbody tr').count(), 3);
  await screenshot(page, 'ops-heatmap-theatre');
  assert.deepEqual(await axe_check(page), []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
