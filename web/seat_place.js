// Where a section's seats are drawn: the venue's positions scaled so that neighbouring seats
// are one unit apart (the seat symbols are a unit wide), rows as lines for Home/End, row
// labels at each row's start, the stage band at the front (the top: y grows away from it),
// and the nearest seat in a direction for the arrow keys. No DOM here.

const round2 = (x) => Math.round(x * 100) / 100;

function median(xs) {
  if (!xs.length) return 0;
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

// The seats' spacing in venue units: the median gap between neighbours of a row, else
// (rows of one seat) the smallest gap between any two seats of a small section.
function pitch_of(rows, placed) {
  const gaps = [];
  for (const r of rows) {
    if (r.other) continue;
    for (let j = 1; j < r.seats.length; ++j) {
      const a = r.seats[j - 1];
      const b = r.seats[j];
      const d = Math.hypot(b.x - a.x, b.y - a.y);
      if (d > 1e-9) gaps.push(d);
    }
  }
  let pitch = median(gaps);
  if (!pitch && placed.length <= 500) {
    let best = Infinity;
    for (let i = 0; i < placed.length; ++i) for (let j = i + 1; j < placed.length; ++j) {
      const d = Math.hypot(placed[i].x - placed[j].x, placed[i].y - placed[j].y);
      if (d > 1e-9 && d < best) best = d;
    }
    if (Number.isFinite(best)) pitch = best;
  }
  return pitch > 0 ? pitch : 1;
}

/**
 * Places `sec` (seat_model's section: rows of seats with x, y or null). Returns { seats (in
 * drawing order), u, v (their centres in units), line_of (per seat, its row's seat indices
 * in order along the row), labels [{u, v, text}], stage {x, y, w, h}, view [x, y, w, h],
 * next_row(i, dir) }.
 */
export function place_section(sec) {
  const seats = [];
  const row_of = [];
  sec.rows.forEach((r, ri) => {
    for (const s of r.seats) {
      seats.push(s);
      row_of.push(ri);
    }
  });
  const n = seats.length;
  const placed = seats.filter((s) => s.x !== null);
  const k = 1 / pitch_of(sec.rows, placed);
  let min_x = Infinity;
  let min_y = Infinity;
  for (const s of placed) {
    if (s.x < min_x) min_x = s.x;
    if (s.y < min_y) min_y = s.y;
  }
  const u = new Array(n);
  const v = new Array(n);
  let back = -1.5; // the furthest placed row, in units
  for (let i = 0; i < n; ++i) {
    const s = seats[i];
    if (s.x === null) continue;
    u[i] = round2((s.x - min_x) * k);
    v[i] = round2((s.y - min_y) * k);
    if (v[i] > back) back = v[i];
  }
  // Seats the layout does not know: behind the others, twenty to a line.
  let extra = 0;
  for (let i = 0; i < n; ++i) {
    if (seats[i].x !== null) continue;
    u[i] = extra % 20;
    v[i] = round2(back + 1.5 + Math.floor(extra / 20));
    extra += 1;
  }

  // Rows as lines (left to right, or front to back for a row running away from the stage),
  // their labels before their first seat, and their mean depth for Up/Down between rows.
  const lines = [];
  const labels = [];
  const depth = [];
  let at = 0;
  for (const r of sec.rows) {
    const idx = Array.from({ length: r.seats.length }, (_, j) => at + j);
    at += r.seats.length;
    let lo_u = Infinity; let hi_u = -Infinity; let lo_v = Infinity; let hi_v = -Infinity; let sum_v = 0;
    for (const i of idx) {
      lo_u = Math.min(lo_u, u[i]); hi_u = Math.max(hi_u, u[i]);
      lo_v = Math.min(lo_v, v[i]); hi_v = Math.max(hi_v, v[i]);
      sum_v += v[i];
    }
    const across = hi_u - lo_u >= hi_v - lo_v;
    idx.sort(across ? (a, b) => u[a] - u[b] || v[a] - v[b] : (a, b) => v[a] - v[b] || u[a] - u[b]);
    lines.push(idx);
    depth.push(idx.length ? sum_v / idx.length : 0);
    if (!r.other && idx.length) {
      const f = idx[0];
      labels.push(across ? { u: round2(u[f] - 1), v: v[f], text: r.id }
        : { u: u[f], v: round2(v[f] - 1), text: r.id });
    }
  }
  const line_of = row_of.map((ri) => lines[ri]);

  let lo_u = 0; let hi_u = 1; let lo_v = 0; let hi_v = 1;
  if (n) {
    lo_u = Infinity; hi_u = -Infinity; lo_v = Infinity; hi_v = -Infinity;
    for (let i = 0; i < n; ++i) {
      lo_u = Math.min(lo_u, u[i] - 0.55); hi_u = Math.max(hi_u, u[i] + 0.55);
      lo_v = Math.min(lo_v, v[i] - 0.55); hi_v = Math.max(hi_v, v[i] + 0.55);
    }
    for (const l of labels) {
      lo_u = Math.min(lo_u, l.u - 0.6); hi_u = Math.max(hi_u, l.u + 0.6);
      lo_v = Math.min(lo_v, l.v - 0.4);
    }
  }
  const stage = { x: round2(lo_u), y: round2(lo_v - 1.15), w: round2(hi_u - lo_u), h: 0.8 };
  const view = [round2(lo_u - 0.1), round2(stage.y - 0.1), round2(hi_u - lo_u + 0.2),
    round2(hi_v - stage.y + 0.2)];

  /** The seat of the next row towards (dir 1) or away from (-1) the back nearest across. */
  const next_row = (i, dir) => {
    const here = depth[row_of[i]];
    let best_row = -1;
    depth.forEach((d, ri) => {
      if (!lines[ri].length || (d - here) * dir <= 0.25) return;
      if (best_row < 0 || Math.abs(d - here) < Math.abs(depth[best_row] - here)) best_row = ri;
    });
    if (best_row < 0) return null;
    let best = null;
    for (const j of lines[best_row]) {
      if (best === null || Math.abs(u[j] - u[i]) < Math.abs(u[best] - u[i])) best = j;
    }
    return best;
  };

  return { seats, u, v, line_of, labels, stage, view, next_row };
}

/**
 * The index of the seat nearest to seat `i` in direction (dx, dy) (one of them 0), within a
 * quarter turn either side of it; null when there is none.
 */
export function nearest(p, i, dx, dy) {
  let best = null;
  let best_d = Infinity;
  for (let j = 0; j < p.seats.length; ++j) {
    if (j === i) continue;
    const du = p.u[j] - p.u[i];
    const dv = p.v[j] - p.v[i];
    const ahead = du * dx + dv * dy;
    const aside = Math.abs(du * dy - dv * dx);
    if (ahead <= 0.25 || aside > ahead) continue;
    const d = ahead * ahead + aside * aside;
    if (d < best_d) {
      best_d = d;
      best = j;
    }
  }
  return best;
}
