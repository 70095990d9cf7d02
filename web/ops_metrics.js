// The figures of GET /metrics (Prometheus text format 0.0.4): parsed into samples, kept for
// a minute so that counters become rates (sales per minute is a delta, not a total).

/** Parses exposition text into [{name, labels, value}]; comments and bad lines are skipped. */
export function parse_metrics(text) {
  const out = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      // label="value" pairs; values may hold escaped quotes and commas
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[3]))) labels[l[1]] = l[2].replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `match` (null when none). */
export function sum(samples, name, match = {}) {
  let total = null;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(match).every(([k, v]) => (v instanceof RegExp ? v.test(s.labels[k] || '') : s.labels[k] === v))) continue;
    total = (total ?? 0) + s.value;
  }
  return total;
}

/**
 * The figures of one event from one scrape. Counters are totals here; rates come from a
 * window of these (see history). Names are those the server writes (http/metrics.cpp,
 * http/routes_ops.cpp).
 */
export function figures_of(samples, event) {
  const ev = { event };
  const rate_limited =
    (sum(samples, 'seatgrab_http_requests_total', { status: '429' }) ?? 0) +
    (sum(samples, 'seatgrab_queue_polls_throttled_total') ?? 0);
  return {
    waiting: sum(samples, 'seatgrab_queue_waiting', ev),
    active: sum(samples, 'seatgrab_queue_active', ev),
    admitted: sum(samples, 'seatgrab_queue_admitted_total', ev),
    admission_per_min: sum(samples, 'seatgrab_queue_admission_per_min', ev),
    holds: sum(samples, 'seatgrab_holds_total', ev),
    sales: sum(samples, 'seatgrab_sales_total', ev),
    expiries: sum(samples, 'seatgrab_hold_expiries_total', ev),
    free: sum(samples, 'seatgrab_seats', { ...ev, status: 'free' }),
    held: sum(samples, 'seatgrab_seats', { ...ev, status: 'held' }),
    sold: sum(samples, 'seatgrab_seats', { ...ev, status: 'sold' }),
    // No counter of declines of its own: checkouts answered 402 Payment Required, every event.
    declines: sum(samples, 'seatgrab_http_requests_total', { route: /\/checkout$/, status: '402' }) ?? 0,
    rate_limited,
    challenges_pow: sum(samples, 'seatgrab_bot_challenges_total', { kind: 'pow' }),
    challenges_step_up: sum(samples, 'seatgrab_bot_challenges_total', { kind: 'step_up' }),
    pow_difficulty: sum(samples, 'seatgrab_pow_difficulty', ev),
    bot_flagged: sum(samples, 'seatgrab_bot_flagged', ev),
    fsync_s: sum(samples, 'seatgrab_journal_sync_seconds_total'),
    fsync_batches: sum(samples, 'seatgrab_journal_batches_total'),
    connections: sum(samples, 'seatgrab_http_connections'),
    streams: sum(samples, 'seatgrab_http_streams'),
    pricing_frozen: sum(samples, 'seatgrab_pricing_frozen', ev),
  };
}

/** Scrapes of the last `window_ms`, turned into per-minute rates and a mean fsync time. */
export class history {
  constructor(window_ms = 60_000) {
    this.window_ms = window_ms;
    this.points = []; // [{t, f}]
  }

  add(t, f) {
    this.points.push({ t, f });
    // Keep one point older than the window so a full minute is always covered.
    while (this.points.length > 2 && t - this.points[1].t >= this.window_ms) this.points.shift();
  }

  clear() {
    this.points = [];
  }

  // Change of counter `key` per minute over the window; null until two scrapes exist.
  per_min(key) {
    if (this.points.length < 2) return null;
    const a = this.points[0];
    const b = this.points[this.points.length - 1];
    if (a.f[key] == null || b.f[key] == null || b.t <= a.t) return null;
    const d = b.f[key] - a.f[key];
    return d < 0 ? null : (d * 60_000) / (b.t - a.t); // a restart resets counters
  }

  // Mean time of a durable write (fsync batch) over the window, in milliseconds.
  fsync_ms() {
    if (this.points.length < 2) return null;
    const a = this.points[0].f;
    const b = this.points[this.points.length - 1].f;
    const batches = b.fsync_batches - a.fsync_batches;
    if (!(batches > 0)) return null;
    return ((b.fsync_s - a.fsync_s) * 1000) / batches;
  }
}
