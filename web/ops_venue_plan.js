// Where the heat map draws each section: its rows' outlines at the venue's seat positions
// (so that the map looks like the venue) and a plate for its figures placed on the section,
// or beside it when the section is too small or another one is in the way. No DOM here.

export const plate_w = 96;
export const plate_h = 50;
const gap = 6;

function median(xs) {
  if (!xs.length) return 0;
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * The plan of `ids` (the seat map's sections, in its order) from `layout` (venue.js's index):
 * { width, height, stage {x, y, w, h}, cells: Map(id -> {rows: [rect], plate: rect}) } in px,
 * or null when a section has no placed seats or two sections' rows overlap (a layout that
 * cannot be drawn as it is: the caller draws the grid instead).
 */
export function venue_plan(layout, ids, { max_w = 640, max_h = 440 } = {}) {
  if (!layout || !ids.length) return null;
  const gaps = [];
  const areas = new Map(); // section id -> [row boxes in venue units]
  for (const id of ids) {
    const plan = layout.sections.get(id);
    if (!plan) return null;
    const boxes = [];
    for (const r of plan.rows) {
      const pts = r.seats.filter((s) => Number.isFinite(s.x) && Number.isFinite(s.y));
      if (!pts.length) continue;
      for (let j = 1; j < pts.length; ++j) {
        const d = Math.hypot(pts[j].x - pts[j - 1].x, pts[j].y - pts[j - 1].y);
        if (d > 1e-9) gaps.push(d);
      }
      const xs = pts.map((s) => s.x);
      const ys = pts.map((s) => s.y);
      boxes.push({ x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) });
    }
    if (!boxes.length) return null;
    areas.set(id, boxes);
  }
  const pad = (median(gaps) || 1) / 2; // half a seat around each row's seat centres
  let x0 = Infinity; let x1 = -Infinity; let y0 = Infinity; let y1 = -Infinity;
  for (const boxes of areas.values()) for (const b of boxes) {
    b.x0 -= pad; b.x1 += pad; b.y0 -= pad; b.y1 += pad;
    x0 = Math.min(x0, b.x0); x1 = Math.max(x1, b.x1); y0 = Math.min(y0, b.y0); y1 = Math.max(y1, b.y1);
  }
  // Sections sharing ground (e.g. every section at the same positions): not a drawable plan.
  const all = [...areas].flatMap(([id, boxes]) => boxes.map((b) => [id, b]));
  for (let i = 0; i < all.length; ++i) for (let j = i + 1; j < all.length; ++j) {
    const [ia, a] = all[i];
    const [ib, b] = all[j];
    if (ia !== ib && a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) return null;
  }
  const k = Math.min(max_w / Math.max(x1 - x0, 1e-9), max_h / Math.max(y1 - y0, 1e-9));
  const px = (b) => ({ x: (b.x0 - x0) * k, y: (b.y0 - y0) * k, w: (b.x1 - b.x0) * k, h: (b.y1 - b.y0) * k });
  const cells = new Map();
  const rects = [];
  for (const [id, boxes] of areas) {
    const rows = boxes.map(px);
    cells.set(id, { rows, plate: null });
    for (const r of rows) rects.push([id, r]);
  }

  // Each plate on its section's centre if it fits there and hides no other section, else
  // beside the section (left, right, below, above), clear of other sections and plates.
  const plates = [];
  for (const [id, cell] of cells) {
    const bx0 = Math.min(...cell.rows.map((r) => r.x));
    const by0 = Math.min(...cell.rows.map((r) => r.y));
    const bx1 = Math.max(...cell.rows.map((r) => r.x + r.w));
    const by1 = Math.max(...cell.rows.map((r) => r.y + r.h));
    const cx = (bx0 + bx1) / 2 - plate_w / 2;
    const cy = (by0 + by1) / 2 - plate_h / 2;
    const tries = [
      { x: cx, y: cy },
      { x: bx0 - plate_w - gap, y: cy },
      { x: bx1 + gap, y: cy },
      { x: cx, y: by1 + gap },
      { x: cx, y: by0 - plate_h - gap },
    ].map((p) => ({ ...p, w: plate_w, h: plate_h }));
    const clear = (p) => !rects.some(([other, r]) => other !== id && overlaps(p, r))
      && !plates.some((q) => overlaps(p, q));
    const plate = tries.find(clear) || tries[tries.length - 2];
    plates.push(plate);
    cell.plate = plate;
  }

  // Everything shifted to start at (gap, gap), with the stage band above the front.
  let lo_x = 0; let lo_y = 0; let hi_x = (x1 - x0) * k; let hi_y = (y1 - y0) * k;
  for (const p of plates) {
    lo_x = Math.min(lo_x, p.x); lo_y = Math.min(lo_y, p.y);
    hi_x = Math.max(hi_x, p.x + p.w); hi_y = Math.max(hi_y, p.y + p.h);
  }
  const stage = { x: 0, y: lo_y - 24 - gap, w: (x1 - x0) * k, h: 24 };
  lo_y = stage.y;
  const dx = gap - lo_x;
  const dy = gap - lo_y;
  const shift = (r) => ({
    x: Math.round(r.x + dx), y: Math.round(r.y + dy),
    w: Math.max(2, Math.round(r.w)), h: Math.max(2, Math.round(r.h)),
  });
  for (const cell of cells.values()) {
    cell.rows = cell.rows.map(shift);
    cell.plate = shift(cell.plate);
  }
  return {
    width: Math.ceil(hi_x - lo_x + 2 * gap),
    height: Math.ceil(hi_y - lo_y + 2 * gap),
    stage: shift(stage),
    cells,
  };
}
