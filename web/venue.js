// A venue's layout (GET /v1/venues/{id}): its sections' names, their rows and every seat's
// number and position, which the seat map is drawn from. A venue never changes once added
// (the server lets it be cached a day), so each is fetched once per page and kept.
import { call } from './api.js';

const kept = new Map(); // venue id -> Promise of its index

/**
 * Indexes a venue: { id, name, sections: Map(section id -> {id, name, rows}), seats:
 * Map(seat id -> {section, row, number, x, y, accessible, order}) }, rows and seats in the
 * venue's own order (`order` counts the seats of a section from 0 in that order).
 */
export function index_venue(v) {
  const sections = new Map();
  const seats = new Map();
  for (const s of v.sections || []) {
    const rows = [];
    let order = 0;
    for (const r of s.rows || []) {
      const row = { id: String(r.id), seats: [] };
      for (const x of r.seats || []) {
        const at = {
          id: x.id, section: s.id, row: row.id, number: x.number, x: Number(x.x), y: Number(x.y),
          accessible: Boolean(x.accessible), order: order++,
        };
        row.seats.push(at);
        seats.set(x.id, at);
      }
      rows.push(row);
    }
    sections.set(s.id, { id: s.id, name: s.name || `Section ${s.id}`, rows });
  }
  return { id: v.id, name: v.name || v.id, currency: v.currency || '', sections, seats };
}

/** The indexed layout of venue `id` (fetched once; a failure is not kept, so a later call retries). */
export function load_venue(id, { on_wait } = {}) {
  if (!kept.has(id)) {
    const p = call(`/v1/venues/${encodeURIComponent(id)}`, { tries: 3, on_wait }).then(index_venue);
    p.catch(() => kept.delete(id));
    kept.set(id, p);
  }
  return kept.get(id);
}

/** The venue id of an event: from the event itself, else from its detail. */
export async function venue_of(ev) {
  if (ev.venue_id) return ev.venue_id;
  const detail = await call(`/v1/events/${encodeURIComponent(ev.id)}`);
  return detail.venue_id;
}
