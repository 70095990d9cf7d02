// One section drawn as SVG at the venue's seat positions (scaled so that neighbouring seats
// are one unit apart; y grows away from the stage, which is drawn at the top): every seat one
// focusable <path> (role checkbox) whose status shows
// by colour AND shape (free: green circle; selected: blue circle with a tick cut out; yours:
// blue diamond with a tick; held: hatched amber circle; sold: grey square with a cross cut
// out). Built as one string and one DOM insertion (no <use>: its shadow trees tripled the
// time), timed: performance.measure 'seatmap-render' and data-render-ms on the svg.
// Keyboard: one tab stop (roving tabindex); arrows move to the nearest seat that way (else
// along the row), Home/End to the row's ends, Enter/Space toggle.
import { price } from './api.js';
import { place_section, nearest } from './seat_place.js';

const status_words = { free: 'available', held: 'held by another fan', sold: 'sold' };

/** The seat's state as the fan sees it: mine, pick (selected), free, held or sold. */
export function look(seat, selected) {
  if (seat.mine) return 'mine';
  if (selected.has(seat.id) && seat.status === 'free') return 'pick';
  return seat.status;
}

/** Where the seat is: "Row A, seat 14" (its id when the layout does not know it). */
export function seat_place(seat) {
  if (seat.row === null || seat.row === undefined) return `Seat ${seat.id}`;
  return `Row ${seat.row}, seat ${seat.number}${seat.accessible ? ' (wheelchair space)' : ''}`;
}

/** "Row A, seat 14, available, 129.00 EUR". */
export function seat_label(seat, selected, currency) {
  const l = look(seat, selected);
  const words = l === 'mine' ? 'in your hold' : l === 'pick' ? 'selected'
    : status_words[seat.status] || seat.status;
  return `${seat_place(seat)}, ${words}, ${price(seat.price, currency)}`;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// Shapes around (0, 0), one path each; marks are holes (fill-rule evenodd).
const circle = (r) => `M${-r} 0a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0z`;
const tick = 'M-0.26 0.01L-0.2 -0.05L-0.06 0.08L0.17 -0.17L0.23 -0.11L-0.06 0.2z';
const cross = (() => {
  const a = 0.06;
  const b = 0.25;
  const plus = [[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a], [a, b], [-a, b], [-a, a],
    [-b, a], [-b, -a], [-a, -a]];
  const pts = plus.map(([x, y]) => [((x - y) / Math.SQRT2).toFixed(3), ((x + y) / Math.SQRT2).toFixed(3)]);
  return `M${pts.map((p) => p.join(' ')).join('L')}z`;
})();
export const shapes = {
  free: circle(0.38),
  held: circle(0.38),
  sold: `M-0.36 -0.36h0.72v0.72h-0.72z${cross}`,
  pick: circle(0.42) + tick,
  mine: `M0 -0.47L0.47 0L0 0.47L-0.47 0z${tick}`,
};

const defs = `<defs><pattern id="hatch" width="0.25" height="0.25" patternUnits="userSpaceOnUse" `
  + 'patternTransform="rotate(45)"><rect width="0.25" height="0.25" fill="#ffe1a8"/>'
  + '<line x1="0" y1="0" x2="0" y2="0.25" stroke="#7a4100" stroke-width="0.12"/></pattern></defs>';

/** Puts the hatch pattern in the page once (a hidden sprite the drawings refer to). */
export function add_sprite() {
  if (document.getElementById('seat-sprite')) return;
  const holder = document.createElement('div');
  holder.innerHTML = '<svg id="seat-sprite" class="sprite" aria-hidden="true" focusable="false">'
    + `${defs}</svg>`;
  document.body.append(holder.firstElementChild);
}

/** A small svg of one state's symbol, for the legend. */
export function legend_icon(kind) {
  return '<svg class="legend-icon" viewBox="-0.5 -0.5 1 1" aria-hidden="true" focusable="false">'
    + `<path class="seat ${kind}" d="${shapes[kind]}"/></svg>`;
}

/**
 * Draws `sec` into `box`. `selected` is the Set of picked seat ids; `on_toggle(seat)` when the
 * fan toggles a seat. Returns { update(seats), focus(id), render_ms, svg }.
 */
export function draw_section(box, sec, { selected, currency, on_toggle }) {
  performance.mark('seatmap-render-start');
  const t0 = performance.now();
  const p = place_section(sec); // positions in units, the rows' lines and labels, the view
  const parts = [];
  const [vx, vy, vw, vh] = p.view;
  const st = p.stage;
  parts.push(`<rect class="stage" x="${st.x}" y="${st.y}" width="${st.w}" height="${st.h}" `
    + `rx="0.2" aria-hidden="true"/><text class="stage-label" x="${st.x + st.w / 2}" `
    + `y="${st.y + st.h / 2}" aria-hidden="true">Stage</text>`);
  for (const lab of p.labels) {
    parts.push(`<text x="${lab.u}" y="${lab.v}" class="row-label" aria-hidden="true">`
      + `${esc(lab.text)}</text>`);
  }
  for (let i = 0; i < p.seats.length; ++i) {
    const s = p.seats[i];
    const l = look(s, selected);
    parts.push(`<path class="seat ${l}" d="${shapes[l]}" data-id="${esc(s.id)}" `
      + `transform="translate(${p.u[i]} ${p.v[i]})" role="checkbox" tabindex="-1" `
      + `aria-checked="${l === 'pick' || l === 'mine'}" aria-disabled="${l === 'held' || l === 'sold'}" `
      + `aria-label="${esc(seat_label(s, selected, currency))}"/>`);
  }
  const svg_text = '<svg xmlns="http://www.w3.org/2000/svg" class="seatmap" '
    + `viewBox="${vx} ${vy} ${vw} ${vh}" `
    + `role="group" aria-label="${esc(sec.name)}: ${sec.seats.length} seats, ${sec.free} available, `
    + 'the stage at the top. Arrow keys move between seats, Enter or Space selects." '
    + `data-section="${esc(sec.id)}">${parts.join('')}`
    + '<rect id="focus-ring" x="-0.5" y="-0.5" width="1" height="1" rx="0.15" fill="none" '
    + 'stroke="#000" stroke-width="0.1" visibility="hidden" pointer-events="none"/></svg>';
  box.style.setProperty('--cols', String(Math.ceil(vw)));
  box.innerHTML = svg_text; // one insertion: no scripts, every value escaped
  const svg = box.firstElementChild;
  const by_id = new Map(); // seat id -> element
  const index_of = new Map(); // element -> index in p.seats
  const els = svg.getElementsByClassName('seat');
  for (let i = 0; i < p.seats.length; ++i) {
    by_id.set(p.seats[i].id, els[i]);
    index_of.set(els[i], i);
  }
  const first = p.seats.find((s) => s.status === 'free') || p.seats[0];
  let current = first ? by_id.get(first.id) : null;
  if (current) current.setAttribute('tabindex', '0');
  svg.getBoundingClientRect(); // the layout is part of the render
  const render_ms = performance.now() - t0;
  performance.mark('seatmap-render-end');
  performance.measure('seatmap-render', 'seatmap-render-start', 'seatmap-render-end');
  svg.dataset.renderMs = render_ms.toFixed(1);
  box.dataset.renderMs = render_ms.toFixed(1);

  const ring = svg.querySelector('#focus-ring');
  const move_to = (g, focus = true) => {
    if (!g) return;
    if (current) current.setAttribute('tabindex', '-1');
    current = g;
    g.setAttribute('tabindex', '0');
    if (focus) g.focus();
  };
  const el_at = (i) => (i === null || i === undefined ? null : by_id.get(p.seats[i].id));
  svg.addEventListener('focusin', (e) => {
    const g = e.target.closest('.seat');
    if (!g) return;
    ring.setAttribute('transform', g.getAttribute('transform'));
    ring.setAttribute('visibility', 'visible');
  });
  svg.addEventListener('focusout', () => ring.setAttribute('visibility', 'hidden'));
  const toggle = (g) => {
    const i = index_of.get(g);
    if (i !== undefined) on_toggle(p.seats[i]);
  };
  svg.addEventListener('click', (e) => {
    const g = e.target.closest('.seat');
    if (!g) return;
    move_to(g);
    toggle(g);
  });
  svg.addEventListener('keydown', (e) => {
    const g = e.target.closest('.seat');
    if (!g) return;
    const i = index_of.get(g);
    const line = p.line_of[i]; // the seat's row, in order along it
    const k = line.indexOf(i);
    let next = null;
    switch (e.key) {
      case 'ArrowRight': next = nearest(p, i, 1, 0) ?? line[k + 1]; break;
      case 'ArrowLeft': next = nearest(p, i, -1, 0) ?? line[k - 1]; break;
      case 'ArrowDown': next = nearest(p, i, 0, 1) ?? p.next_row(i, 1); break;
      case 'ArrowUp': next = nearest(p, i, 0, -1) ?? p.next_row(i, -1); break;
      case 'Home': next = line[0]; break;
      case 'End': next = line[line.length - 1]; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        toggle(g);
        return;
      default: return;
    }
    e.preventDefault();
    move_to(el_at(next));
  });

  return {
    render_ms,
    svg,
    update(seats) {
      for (const s of seats) {
        const g = by_id.get(s.id);
        if (!g) continue;
        const l = look(s, selected);
        g.setAttribute('class', `seat ${l}`);
        g.setAttribute('d', shapes[l]);
        g.setAttribute('aria-checked', String(l === 'pick' || l === 'mine'));
        g.setAttribute('aria-disabled', String(l === 'held' || l === 'sold'));
        g.setAttribute('aria-label', seat_label(s, selected, currency));
      }
    },
    focus(id) {
      move_to(by_id.get(id));
    },
  };
}
