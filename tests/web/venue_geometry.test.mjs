// The seat map's and the heat map's geometry from a venue's layout (no browser needed):
// web/venue.js, seat_model.js's section_of, seat_place.js and ops_venue_plan.js.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { index_venue } from '../../web/venue.js';
import { section_of } from '../../web/seat_model.js';
import { nearest, place_section } from '../../web/seat_place.js';
import { venue_plan } from '../../web/ops_venue_plan.js';

const theatre = index_venue(JSON.parse(
  await readFile(new URL('../../scenarios/venues/theatre.json', import.meta.url))));

// The seat map's section `id` of the theatre, every seat free, plus `extra` seat ids.
function map_section(id, extra = []) {
  const seats = theatre.sections.get(id).rows.flatMap((r) => r.seats.map((s) => s.id)).concat(extra);
  return { id, seats: seats.map((s) => ({ id: s, status: 'free', price: 100 })) };
}

test('seats take their row, number and section name from the layout', () => {
  const sec = section_of(map_section('stalls'), theatre);
  assert.equal(sec.name, 'Stalls');
  assert.deepEqual(sec.rows.map((r) => r.id).slice(0, 3), ['A', 'B', 'C']);
  const a1 = sec.rows[0].seats[0];
  assert.deepEqual([a1.id, a1.row, a1.number, a1.x, a1.y], ['stalls-A-1', 'A', 1, -4.42, 3.2]);
});

test('a seat missing from the layout is kept, unplaced, in a last row of its own', () => {
  const sec = section_of(map_section('boxes', ['mystery']), theatre);
  const last = sec.rows[sec.rows.length - 1];
  assert.equal(last.other, true);
  assert.deepEqual(last.seats.map((s) => [s.id, s.row, s.x]), [['mystery', null, null]]);
  const p = place_section(sec);
  const i = p.seats.findIndex((s) => s.id === 'mystery');
  assert.ok(p.v[i] > Math.max(...p.v.filter((_, j) => j !== i)), 'behind every placed seat');
  assert.ok(p.labels.every((l) => l.text !== last.id), 'no row label');
});

test('without a layout every seat is still drawn', () => {
  const sec = section_of(map_section('circle'), null);
  assert.equal(sec.name, 'Section circle');
  assert.equal(sec.rows.length, 1);
  const p = place_section(sec);
  assert.equal(new Set(p.seats.map((_, i) => `${p.u[i]},${p.v[i]}`)).size, p.seats.length);
});

test('positions are scaled to one unit between neighbours, the stage in front', () => {
  const p = place_section(section_of(map_section('stalls'), theatre));
  const [a1, a2] = [0, 1];
  assert.ok(Math.abs(Math.hypot(p.u[a2] - p.u[a1], p.v[a2] - p.v[a1]) - 1) < 0.05);
  assert.ok(p.stage.y + p.stage.h < Math.min(...p.v) - 0.5);
  const [vx, vy, vw, vh] = p.view;
  for (let i = 0; i < p.seats.length; ++i) {
    assert.ok(p.u[i] > vx && p.u[i] < vx + vw && p.v[i] > vy && p.v[i] < vy + vh, p.seats[i].id);
  }
});

test('arrow keys: the nearest seat that way, else along the row', () => {
  const p = place_section(section_of(map_section('boxes'), theatre));
  const at = (id) => p.seats.findIndex((s) => s.id === id);
  const id = (i) => (i === null || i === undefined ? null : p.seats[i].id);
  assert.equal(id(nearest(p, at('boxes-A-1'), 0, 1)), 'boxes-A-2'); // the box's row runs back
  assert.equal(id(nearest(p, at('boxes-A-1'), 1, 0)), 'boxes-C-1'); // across the hall
  assert.equal(id(nearest(p, at('boxes-A-1'), 0, -1)), null);
  assert.equal(id(nearest(p, at('boxes-A-4'), 0, 1)), 'boxes-B-1');
  const line = p.line_of[at('boxes-A-3')];
  assert.deepEqual(line.map(id), ['boxes-A-1', 'boxes-A-2', 'boxes-A-3', 'boxes-A-4']);
  const s = place_section(section_of(map_section('stalls'), theatre));
  const end = s.seats.findIndex((x) => x.id === 'stalls-A-18');
  assert.equal(nearest(s, end, 1, 0), null, 'nothing right of the row end');
  assert.equal(s.seats[s.next_row(end, 1)].row, 'B');
});

test('the heat map plan: sections apart as in the venue, else null for the grid', () => {
  const plan = venue_plan(theatre, ['stalls', 'circle', 'boxes']);
  const box = (id) => {
    const rows = plan.cells.get(id).rows;
    return {
      x0: Math.min(...rows.map((r) => r.x)), x1: Math.max(...rows.map((r) => r.x + r.w)),
      y0: Math.min(...rows.map((r) => r.y)), y1: Math.max(...rows.map((r) => r.y + r.h)),
    };
  };
  assert.ok(box('stalls').y1 <= box('circle').y0, 'the circle behind the stalls');
  assert.ok(plan.stage.y + plan.stage.h <= box('stalls').y0, 'the stage in front');
  for (const [, c] of plan.cells) {
    const p = c.plate;
    assert.ok(p.x >= 0 && p.y >= 0 && p.x + p.w <= plan.width && p.y + p.h <= plan.height);
  }
  assert.equal(venue_plan(theatre, ['stalls', 'nowhere']), null, 'a section not in the layout');
  // Every section at the same places (the tests' make_venue): no plan.
  const same = index_venue({
    id: 'v',
    sections: ['A', 'B'].map((s) => ({
      id: s, rows: [{ id: '1', seats: [0, 1].map((n) => ({ id: `${s}${n}`, number: n, x: n, y: 0 })) }],
    })),
  });
  assert.equal(venue_plan(same, ['A', 'B']), null);
});
