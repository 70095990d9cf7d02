// What the fan's page keeps across reloads, in localStorage: the session, and per event and
// account the queue ticket (a reopened tab resumes it rather than joining at the back) and
// the hold in progress.
import { server_now } from './api.js';

const read = (key) => {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
};
const write = (key, value) => {
  if (value === null || value === undefined) localStorage.removeItem(key);
  else localStorage.setItem(key, JSON.stringify(value));
};

/** {token, account, email, expires_at} or null once expired. */
export function session() {
  const s = read('seatgrab.session');
  if (s && s.expires_at && Date.parse(s.expires_at) <= server_now()) {
    write('seatgrab.session', null);
    return null;
  }
  return s;
}

export function set_session(s) {
  write('seatgrab.session', s);
}

const scoped = (kind, event) => {
  const s = session();
  return `seatgrab.${kind}.${s ? s.account : '-'}.${event}`;
};

/** The queue place {event, ticket, admission_token?, admission_expires_at?} for `event`. */
export function queue_place(event) {
  return read(scoped('queue', event));
}

export function set_queue_place(event, place) {
  write(scoped('queue', event), place);
}

/** The hold in progress for `event`, while it has not expired. */
export function hold_of(event) {
  const h = read(scoped('hold', event));
  if (h && Date.parse(h.expires_at) <= server_now()) {
    write(scoped('hold', event), null);
    return null;
  }
  return h;
}

export function set_hold(event, hold) {
  write(scoped('hold', event), hold);
}

/** The event the fan was last on, to come back to it after a reload. */
export function current_event() {
  return read('seatgrab.event');
}

export function set_current_event(id) {
  write('seatgrab.event', id);
}

/**
 * Merges `patch` into the kept hold whose id is `hold_id` (whichever event it is for), e.g.
 * the checkout attempt's Idempotency-Key, so that a reload mid-payment sends the same key.
 * Released, paid or expired, the hold is dropped and the patch with it.
 */
export function patch_kept_hold(hold_id, patch) {
  const prefix = scoped('hold', '');
  for (let i = 0; i < localStorage.length; ++i) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(prefix)) continue;
    const h = read(key);
    if (h && h.id === hold_id) {
      write(key, { ...h, ...patch });
      return true;
    }
  }
  return false;
}
