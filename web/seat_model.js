// The live seat map of one event: GET /v1/events/{id}/seatmap, then the coalesced deltas of
// its stream (resumed with Last-Event-ID, over sse.js), and the venue's layout (venue.js)
// for each seat's row, number and position; seats indexed by id, listeners told of changes.
import { call } from './api.js';
import { open_stream } from './sse.js';
import { load_venue, venue_of } from './venue.js';

// Seats the layout does not know (or all of them when it could not be had) are kept in one
// row of their own, last, so that they can still be seen and picked: they have no row or
// number (seat_svg.js names them by id).
const other_id = '(other)';

/** One section of the seat map joined with its layout (`layout` a venue index, or null). */
export function section_of(s, layout) {
  const plan = layout && layout.sections.get(s.id);
  const sec = { id: s.id, name: plan ? plan.name : `Section ${s.id}`, seats: [], rows: [],
    free: 0, min: Infinity, max: 0 };
  const rows = new Map();
  const other = { id: other_id, other: true, seats: [] };
  const row_of = (id) => {
    if (!rows.has(id)) rows.set(id, { id, other: false, seats: [] });
    return rows.get(id);
  };
  // The layout's row order, which is the venue's (front to back as the operator wrote it).
  if (plan) for (const r of plan.rows) row_of(r.id);
  for (const x of s.seats) {
    const at = layout && layout.seats.get(x.id);
    const placed = at && at.section === s.id && Number.isFinite(at.x) && Number.isFinite(at.y);
    const seat = {
      id: x.id, section: s.id, status: x.status, price: x.price, mine: false,
      row: placed ? at.row : null, number: placed ? at.number : null,
      x: placed ? at.x : null, y: placed ? at.y : null,
      accessible: placed && at.accessible, order: placed ? at.order : Infinity,
    };
    sec.seats.push(seat);
    (placed ? row_of(at.row) : other).seats.push(seat);
  }
  for (const r of [...rows.values(), other]) {
    if (!r.seats.length) continue;
    r.seats.sort((a, b) => a.order - b.order);
    sec.rows.push(r);
  }
  recount(sec);
  return sec;
}

/** Recomputes a section's free seats and its price range of free seats. */
export function recount(sec) {
  let free = 0;
  let min = Infinity;
  let max = 0;
  for (const s of sec.seats) {
    if (s.status !== 'free') continue;
    ++free;
    if (s.price < min) min = s.price;
    if (s.price > max) max = s.price;
  }
  Object.assign(sec, { free, min, max });
}

export class seat_model {
  /** `ev` the event (its id, and its venue_id when known). */
  constructor(ev) {
    this.event = ev;
    this.event_id = ev.id;
    this.layout = null; // the venue index, once loaded
    this.sections = [];
    this.by_section = new Map();
    this.by_id = new Map();
    this.version = -1;
    this.mine_ids = new Set();
    this.listeners = new Set();
    this.source = null;
    this.stopped = false;
  }

  /** `f({full, seats, sections})`: full on a snapshot, else the changed seats. */
  listen(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  notify(change) {
    for (const f of this.listeners) f(change);
  }

  load(map) {
    const mine = this.mine_ids;
    const layout = this.layout;
    this.sections = map.sections.map((s) => section_of(s, layout));
    this.by_section = new Map(this.sections.map((s) => [s.id, s]));
    this.by_id = new Map();
    for (const sec of this.sections) for (const s of sec.seats) {
      s.mine = mine.has(s.id);
      this.by_id.set(s.id, s);
    }
    this.version = map.version;
    this.notify({ full: true, seats: [], sections: this.sections });
  }

  /** Sets seats' status (from a delta or a 409's list); tells the listeners. */
  update(changes) {
    const seats = [];
    const sections = new Set();
    for (const c of changes) {
      const s = this.by_id.get(c.id);
      if (!s) continue;
      if (c.status) s.status = c.status;
      if (c.price !== undefined) s.price = c.price;
      seats.push(s);
      sections.add(this.by_section.get(s.section));
    }
    for (const sec of sections) recount(sec);
    if (seats.length) this.notify({ full: false, seats, sections: [...sections] });
  }

  /** Marks the seats of the fan's own hold (drawn as theirs while held). */
  set_mine(ids) {
    const want = new Set(ids);
    this.mine_ids = want;
    const changed = [];
    for (const s of this.by_id.values()) {
      if (s.mine !== want.has(s.id)) {
        s.mine = want.has(s.id);
        changed.push({ id: s.id });
      }
    }
    this.update(changed);
  }

  /**
   * Loads the venue's layout and the map together (GET, gzipped: a tenth of the stream's
   * snapshot) and follows the stream from the map's version: the server then sends no
   * snapshot unless the map moved meanwhile. `on_state(text)` tells of losses and
   * reconnections.
   */
  async follow(on_state) {
    this.stop();
    this.stopped = false;
    const base = `/v1/events/${encodeURIComponent(this.event_id)}/seatmap`;
    const on_wait = (s) => on_state(`Busy: retrying in ${s} s…`);
    let from = null;
    const [layout, map] = await Promise.allSettled([
      venue_of(this.event).then((id) => load_venue(id, { on_wait })),
      call(base, { tries: 3, on_wait }),
    ]);
    if (this.stopped) return;
    if (layout.status === 'fulfilled') this.layout = layout.value;
    else on_state(`The venue's layout could not be loaded (${layout.reason.message}): `
      + 'the seats are shown in plain rows.');
    if (map.status === 'fulfilled') {
      this.load(map.value);
      from = String(map.value.version);
    } else {
      on_state(map.reason.message); // the stream's snapshot will bring the map
    }
    if (this.stopped) return;
    this.source = open_stream(`${base}/stream`, {
      last_event_id: from,
      on_state,
      on_fatal: (err) => on_state(err.message),
      on_event: (e) => {
        if (e.event === 'snapshot') {
          this.load(JSON.parse(e.data));
        } else if (e.event === 'delta') {
          const d = JSON.parse(e.data);
          this.version = d.version;
          this.update(d.seats);
        }
      },
    });
  }

  stop() {
    this.stopped = true;
    if (this.source) this.source.close();
    this.source = null;
  }
}
