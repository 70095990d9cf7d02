// The public JSON API, as the pages call it: every error is the problem's `detail`, never a
// raw status, and a 429 or 503 waits out its Retry-After before it is tried again.

// A status that came without a problem document, in words (never "(503)").
const status_words = {
  400: 'SeatGrab could not accept this request.',
  401: 'You are not logged in, or your session has ended: please log in again.',
  403: 'This is not allowed.',
  404: 'This could not be found: it may have been removed.',
  409: 'This changed meanwhile: please try again.',
  410: 'This has expired.',
  413: 'This is too large for SeatGrab to accept.',
  415: 'SeatGrab could not read this request.',
  422: 'SeatGrab could not accept this request.',
  429: 'Many people are using SeatGrab right now: please wait a moment and try again.',
};

/** Plain words for a status without a problem document. */
export function status_text(status) {
  if (status_words[status]) return status_words[status];
  if (status >= 500) return 'SeatGrab is busy or having a problem right now: please try again shortly.';
  return 'SeatGrab could not do this: please try again.';
}

/** What the pages say when a request never got an answer (the network, not the server). */
export const unreachable_text = 'Could not reach SeatGrab. Check your connection.';
export const lost_text = 'The connection to SeatGrab was lost; trying again…';

/** An answer of the API that is not a success: the problem's detail, code and status. */
export class problem_error extends Error {
  constructor(status, problem, retry_after_s) {
    super(problem.detail || problem.title || status_text(status));
    this.status = status;
    this.code = problem.code || '';
    this.retry_after_s = retry_after_s;
    this.problem = problem; // the whole document: seats taken, challenge, step_up...
  }
}

/** No answer at all (offline, connection refused or cut): status 0, code "network". */
export class network_error extends Error {
  constructor(cause) {
    super(unreachable_text);
    this.status = 0;
    this.code = 'network';
    this.retry_after_s = 0;
    this.problem = {};
    this.cause = cause;
  }
}

/**
 * Whether a request that failed with `err` may be sent again with the same Idempotency-Key:
 * no answer (network), a server-side failure (5xx), a 429, or the key's first request still
 * running (409 request_in_progress). Any other answer is the key's final one (the server
 * replays it): the next attempt is a new intended action with a new key.
 */
export function keep_idempotency_key(err) {
  if (!err || err.name === 'AbortError') return true;
  if (err.status === 0 || err.status === undefined) return true;
  return err.status >= 500 || err.status === 429
    || (err.status === 409 && err.code === 'request_in_progress');
}

export const sleep = (s) => new Promise((done) => setTimeout(done, s * 1000));

// The server's clock as its answers' Date headers tell it (1 s resolution): holds and
// admissions expire by the server's clock, and a browser's may be minutes off.
let clock_offset_ms = 0;

/** Notes the Date header of an answer, e.g. from `fetch`. */
export function note_server_date(res) {
  const t = Date.parse(res.headers.get('Date') || '');
  // The header is truncated to the second: half a second is the best estimate of the rest.
  if (!Number.isNaN(t)) clock_offset_ms = t + 500 - Date.now();
}

/** Now in ms since the epoch by the server's clock (the browser's until an answer came). */
export function server_now() {
  return Date.now() + clock_offset_ms;
}

/** A fresh random id, e.g. for an Idempotency-Key or a device id. */
export function random_id() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Seconds of a Retry-After header (delta seconds or an HTTP date); `fallback` otherwise. */
export function retry_after(res, fallback = 1) {
  const v = res.headers.get('Retry-After');
  if (!v) return fallback;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(v);
  return Number.isNaN(t) ? fallback : Math.max(0, (t - server_now()) / 1000);
}

async function problem_of(res) {
  try {
    const p = await res.json();
    return p && typeof p === 'object' ? p : {};
  } catch {
    return {}; // not a problem document: the status, in words, says it all
  }
}

/**
 * Calls `path` and returns its JSON (null for 204). `tries` bounds how often a 429 or 503 is
 * waited out; `on_wait(seconds, text)` is told before each wait, so that the page can say so
 * (`text` is set when the connection, not the server, was the trouble).
 * `headers` adds e.g. X-Admission-Token or Idempotency-Key; `as_text` returns the body text;
 * `signal` (an AbortSignal) abandons the call with an AbortError.
 * A request that got no answer (fetch's TypeError) throws a network_error in plain words; it
 * is tried again only when that is safe: a GET, or a request with an Idempotency-Key.
 */
export async function call(path, {
  method = 'GET', body, token, headers = {}, tries = 3, on_wait, as_text = false, signal,
} = {}) {
  const repeatable = method === 'GET' || method === 'HEAD'
    || Object.keys(headers).some((k) => k.toLowerCase() === 'idempotency-key');
  for (let attempt = 1; ; ++attempt) {
    const h = { Accept: as_text ? '*/*' : 'application/json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (token) h.Authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      if (repeatable && attempt < tries) {
        const wait_s = Math.min(2 ** (attempt - 1), 8);
        if (on_wait) on_wait(wait_s, lost_text);
        await sleep(wait_s);
        if (signal && signal.aborted) throw new DOMException('The call was stopped.', 'AbortError');
        continue;
      }
      throw new network_error(err);
    }
    note_server_date(res);
    if (res.ok) {
      if (as_text) return res.text();
      return res.status === 204 ? null : res.json();
    }
    const wait_s = retry_after(res);
    const err = new problem_error(res.status, await problem_of(res), wait_s);
    // A bearer token the server no longer knows (expired, logged out): the page asks again.
    if (res.status === 401 && token) {
      window.dispatchEvent(new CustomEvent('seatgrab:unauthorized', { detail: err.message }));
    }
    if ((res.status === 429 || res.status === 503) && attempt < tries) {
      if (on_wait) on_wait(wait_s);
      await sleep(wait_s);
      if (signal && signal.aborted) throw new DOMException('The call was stopped.', 'AbortError');
      continue;
    }
    throw err;
  }
}

/** Minor units as a price, e.g. 12900 -> "129.00", or "129.00 EUR" with a currency. */
export function price(minor, currency = '') {
  const text = (minor / 100).toFixed(2);
  return currency ? `${text} ${currency}` : text;
}
