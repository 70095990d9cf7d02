// The venue as a heat map: one SVG cell per section, shaded by the share of its seats taken
// (held or sold), with the figures written in the cell (never colour alone) and a table as
// the alternative. Fed by the public seat-map stream: a snapshot, then coalesced deltas.
// The cells are drawn where the venue's layout puts the sections' rows (ops_venue_plan.js),
// or as a grid while the layout is missing or cannot be drawn as it is.
import { load_venue, venue_of } from './venue.js';
import { plate_h, plate_w, venue_plan } from './ops_venue_plan.js';

const svg_ns = 'http://www.w3.org/2000/svg';

// Shades from free to sold out; the ink on each meets 4.5:1 (WCAG AA).
export const buckets = [
  { upto: 0.2, fill: '#e3f1e6', ink: '#1b1f24', label: 'under 20 %' },
  { upto: 0.4, fill: '#a8d8b4', ink: '#1b1f24', label: '20 to 40 %' },
  { upto: 0.6, fill: '#f3d35b', ink: '#1b1f24', label: '40 to 60 %' },
  { upto: 0.8, fill: '#e48a3f', ink: '#1b1f24', label: '60 to 80 %' },
  { upto: 1, fill: '#a3241c', ink: '#ffffff', label: '80 % or more' },
];
const sold_out = { fill: '#4a0d09', ink: '#ffffff', label: 'sold out' };

function bucket_of(s) {
  const total = s.free + s.held + s.sold;
  if (total > 0 && s.free === 0) return sold_out;
  const taken = total ? (s.held + s.sold) / total : 0;
  return buckets.find((b) => taken < b.upto) || buckets[buckets.length - 1];
}

const pct = (s) => {
  const total = s.free + s.held + s.sold;
  return total ? Math.round(((s.held + s.sold) * 100) / total) : 0;
};

function el(name, attrs = {}, text) {
  const e = document.createElementNS(svg_ns, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The seat counts of every section, kept up to date from snapshots and deltas. */
export class venue_state {
  constructor() {
    this.sections = []; // [{id, seats: Map(seat id -> status), free, held, sold}]
    this.by_id = new Map();
    this.version = null;
  }

  load(map) {
    this.sections = map.sections.map((sec) => {
      const s = { id: sec.id, seats: new Map(), free: 0, held: 0, sold: 0 };
      for (const seat of sec.seats) {
        s.seats.set(seat.id, seat.status);
        s[seat.status] = (s[seat.status] || 0) + 1;
      }
      return s;
    });
    this.by_id = new Map(this.sections.map((s) => [s.id, s]));
    this.version = map.version;
  }

  apply(delta) {
    for (const change of delta.seats || []) {
      const s = this.by_id.get(change.section);
      if (!s) continue;
      const before = s.seats.get(change.id);
      if (before === change.status) continue;
      if (before) s[before] -= 1;
      s[change.status] = (s[change.status] || 0) + 1;
      s.seats.set(change.id, change.status);
    }
    this.version = delta.version;
  }

  totals() {
    const t = { free: 0, held: 0, sold: 0 };
    for (const s of this.sections) for (const k of Object.keys(t)) t[k] += s[k];
    return t;
  }
}

/** Draws the legend once. */
export function draw_legend(list) {
  list.replaceChildren(
    ...[...buckets, sold_out].map((b) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.dataset.fill = b.fill; // the colour comes from ops.css (no inline style)
      li.append(swatch, b.label);
      return li;
    }),
  );
}

// The plan of a layout, made once per layout and list of sections: the heat map is redrawn
// every half second while seats move, and a large venue's plan is not free.
const plans = new WeakMap();
function plan_of(layout, ids) {
  if (!layout) return null;
  const key = ids.join('\n');
  const kept = plans.get(layout);
  if (kept && kept.key === key) return kept.plan;
  const plan = venue_plan(layout, ids);
  plans.set(layout, { key, plan });
  return plan;
}

// A section's name when it fits its plate, else its id.
function short_name(s, layout) {
  const name = layout && layout.sections.get(s.id)?.name;
  return name && name.length <= 11 ? name : s.id;
}

// The figures of section `s` on a plate at (x, y), `w` × `h`, in the group `g`.
function figures(g, s, b, name, { x, y, w, h }) {
  g.append(
    el('rect', {
      x, y, width: w, height: h, rx: 4, fill: b.fill, stroke: '#1b1f24', 'stroke-width': 1, class: 'plate',
    }),
    el('text', { x: x + 8, y: y + 18, fill: b.ink, class: 'cell-id' }, name),
    el('text', { x: x + 8, y: y + 33, fill: b.ink, class: 'cell-pct' }, `${pct(s)} % taken`),
    el('text', { x: x + 8, y: y + 46, fill: b.ink, class: 'cell-free' }, `${s.free} free`),
  );
}

/**
 * Draws the sections: at the venue's places when `layout` (venue.js's index) allows it, else
 * as a grid of cells.
 */
export function draw_svg(host, state, event_name, layout = null) {
  const n = state.sections.length;
  const plan = plan_of(layout, state.sections.map((s) => s.id));
  let width;
  let height;
  let place;
  if (plan) {
    ({ width, height } = plan);
    place = (s) => plan.cells.get(s.id);
  } else {
    const cols = Math.max(1, Math.ceil(Math.sqrt(n * 1.8)));
    const rows = Math.ceil(n / cols);
    const gap = 6;
    width = cols * (plate_w + gap) + gap;
    height = Math.max(1, rows) * (plate_h + gap) + gap;
    place = (s, i) => ({
      rows: [],
      plate: {
        x: gap + (i % cols) * (plate_w + gap),
        y: gap + Math.floor(i / cols) * (plate_h + gap),
        w: plate_w,
        h: plate_h,
      },
    });
  }
  const totals = state.totals();
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width, // natural size at most (ops.css lets it shrink): a small venue is not blown up
    height,
    role: 'img',
    'aria-labelledby': 'heat-title heat-desc',
    class: `heat-svg${plan ? ' venue-plan' : ''}`,
  });
  svg.append(
    el('title', { id: 'heat-title' }, `Heat map of ${event_name || 'the venue'}`),
    el('desc', { id: 'heat-desc' },
      `${n} sections${plan ? ' drawn where they are in the venue, the stage at the top' : ''}; ` +
      `${totals.free} seats free, ${totals.held} held, ${totals.sold} sold. ` +
      'The table below lists every section.'),
  );
  if (plan) {
    const st = plan.stage;
    svg.append(
      el('rect', { x: st.x, y: st.y, width: st.w, height: st.h, rx: 3, class: 'stage' }),
      el('text', { x: st.x + st.w / 2, y: st.y + st.h / 2, class: 'stage-label' }, 'Stage'),
    );
  }
  state.sections.forEach((s, i) => {
    const cell = place(s, i);
    const b = bucket_of(s);
    const g = el('g', { class: 'cell', 'data-section': s.id });
    // The rows' outlines in the section's shade: the venue's shape; the plate says the figures.
    for (const r of cell.rows) {
      g.append(el('rect', {
        x: r.x, y: r.y, width: r.w, height: r.h, fill: b.fill, stroke: '#1b1f24', 'stroke-width': 0.5,
        class: 'area',
      }));
    }
    figures(g, s, b, short_name(s, layout), cell.plate);
    svg.append(g);
  });
  host.replaceChildren(svg);
}

/** The table alternative: one row per section. */
export function draw_table(tbody, state) {
  tbody.replaceChildren(
    ...state.sections.map((s) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = s.id;
      tr.append(th);
      for (const v of [s.free, s.held, s.sold, `${pct(s)} %`]) {
        const td = document.createElement('td');
        td.textContent = String(v);
        tr.append(td);
      }
      return tr;
    }),
  );
}

/**
 * Follows the seat map of `event_id` live and redraws at most every `min_ms`.
 * `on_change(state)` is told after each redraw; returns { close() }.
 */
export function follow_heatmap(event_id, {
  svg_host, tbody, status_el, event_name, venue_id, on_change = () => {}, min_ms = 500,
}) {
  const state = new venue_state();
  let pending = false;
  let last_draw = 0;
  let timer = null;
  let layout = null;
  let closed = false;

  const draw = () => {
    pending = false;
    last_draw = performance.now();
    if (closed) return;
    draw_svg(svg_host, state, event_name, layout);
    draw_table(tbody, state);
    on_change(state);
  };
  const schedule = () => {
    if (pending) return;
    pending = true;
    const wait = Math.max(0, min_ms - (performance.now() - last_draw));
    timer = setTimeout(() => requestAnimationFrame(draw), wait);
  };

  // The layout comes once (cached by the browser a day); until then, or without it, the grid.
  venue_of({ id: event_id, venue_id })
    .then((id) => load_venue(id))
    .then((v) => {
      layout = v;
      if (state.version !== null) schedule();
    })
    .catch(() => {}); // the grid stays: the figures matter more than the shape

  const source = new EventSource(`/v1/events/${encodeURIComponent(event_id)}/seatmap/stream`);
  source.addEventListener('snapshot', (e) => {
    state.load(JSON.parse(e.data));
    status_el.textContent = `Live: ${state.sections.length} sections.`;
    schedule();
  });
  source.addEventListener('delta', (e) => {
    state.apply(JSON.parse(e.data));
    schedule();
  });
  source.addEventListener('open', () => {
    if (state.version !== null) status_el.textContent = `Live: ${state.sections.length} sections.`;
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself, resuming with Last-Event-ID.
    status_el.textContent = 'The live seat map is reconnecting…';
  });

  return {
    state,
    close() {
      closed = true;
      source.close();
      clearTimeout(timer);
    },
  };
}
