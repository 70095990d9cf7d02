// My tickets (GET /v1/tickets): each with its QR (fetched with the Bearer token and shown as
// a data: URL, which the CSP allows where blob: is not), transfer by e-mail, refund while the
// event allows it. Rotating codes (15 s steps) are fetched again as each step ends.
// Transfers and refunds send one Idempotency-Key per intended action, sent again on a retry
// that follows no final answer (no connection, a 5xx, a 429, still running).
import { call, keep_idempotency_key, price, random_id, server_now } from './api.js';
import { h, alert_error, announce, focus_on } from './ui.js';

const rotation_ms = 15000;
let timers = [];
let generation = 0; // refreshes of a view since left do nothing

// "transfer:<ticket>" -> {key, to}, "refund:<ticket>" -> {key}: the unfinished actions' keys,
// kept across rebuilds of the list (module-wide) until their final answer.
const pending = new Map();

/** The Idempotency-Key of the action `what` with `args` (a new one when they changed). */
function key_of(what, args = '') {
  const was = pending.get(what);
  if (was && was.args === args) return was.key;
  const key = random_id();
  pending.set(what, { key, args });
  return key;
}

/** After `err` (or a success, err null): keep the key for a retry or end the action. */
function settle(what, err) {
  if (!err || !keep_idempotency_key(err)) pending.delete(what);
}

/** After the list is rebuilt (the buttons that had the focus are gone): its heading. */
function focus_list() {
  focus_on(document.querySelector('#tickets-view h2'));
}

/** Stops the rotating-code refreshes (leaving the view). */
export function stop_tickets() {
  generation += 1;
  timers.forEach(clearTimeout);
  timers = [];
}

/** "Section 101, row A, seat 3" from a seat id "101-A-3"; the id otherwise. */
export function seat_words(id) {
  const m = /^(.+)-([^-]+)-(\d+)$/.exec(id || '');
  return m ? `Section ${m[1]}, row ${m[2]}, seat ${m[3]}` : `Seat ${id}`;
}

const status_words = { valid: 'Valid', used: 'Used at the gate', refunded: 'Refunded' };

/** Draws the ticket's QR into `img`; a failure is said in `note` (replaced, not added to). */
async function qr_into(img, note, t, token) {
  try {
    const svg = await call(`/v1/tickets/${encodeURIComponent(t.id)}/qr.svg`, { token, as_text: true });
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    img.hidden = false;
    note.textContent = '';
    note.hidden = true;
  } catch (err) {
    img.hidden = true;
    note.textContent = `No QR code: ${err.message}`;
    note.hidden = false;
  }
}

function ticket_card(t, ev, token, refresh) {
  const label = seat_words(t.seat);
  const name = ev ? ev.name : t.event;
  const currency = (ev && ev.currency) || '';
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'ticket-status' });
  const img = h('img', {
    class: 'qr', width: '180', height: '180', hidden: true,
    alt: `QR code of your ticket: ${name}, ${label}`,
  });
  const qr_note = h('p', { class: 'hint qr-note', hidden: true });
  const code = h('code', { class: 'hash', text: t.code || '' });
  const card = h('li', { class: `ticket card ${t.status}`, 'data-ticket': t.id },
    h('h3', { text: `${name}: ${label}` }),
    h('p', { text: `${status_words[t.status] || t.status}. Paid ${price(t.price, currency)}.` }));
  if (t.status === 'valid') {
    card.append(img, qr_note, h('details', {}, h('summary', { text: 'Ticket code as text' }), code));
    qr_into(img, qr_note, t, token);
    if (ev && ev.rotating_codes) {
      // A failed refresh is said here, quietly: not a live region, which would speak it
      // every 15 s while the connection is down.
      const rotation_note = h('p', { class: 'hint rotation-note', hidden: true });
      card.append(h('p', {
        class: 'hint',
        text: 'This code changes every 15 seconds: a screenshot will not work at the gate.',
      }), rotation_note);
      const again = async () => {
        try {
          const now = await call(`/v1/tickets/${encodeURIComponent(t.id)}`, { token });
          code.textContent = now.code || '';
          rotation_note.textContent = '';
          rotation_note.hidden = true;
          await qr_into(img, qr_note, now, token);
        } catch (err) {
          rotation_note.textContent = `The code could not be refreshed: ${err.message} `
            + 'Trying again in 15 seconds.';
          rotation_note.hidden = false;
        }
        schedule();
      };
      const gen = generation;
      const schedule = () => {
        if (gen !== generation) return;
        const wait = rotation_ms - (server_now() % rotation_ms) + 300;
        timers.push(setTimeout(again, wait));
      };
      schedule();
    }
    const to = h('input', { type: 'email', required: true, id: `to-${t.id}`, autocomplete: 'off' });
    card.append(h('form', {
      class: 'transfer',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!to.reportValidity()) return;
        const whom = to.value.trim();
        const what = `transfer:${t.id}`;
        status.textContent = 'Transferring…';
        try {
          await call(`/v1/tickets/${encodeURIComponent(t.id)}/transfer`, {
            method: 'POST', token, body: { to: whom },
            headers: { 'Idempotency-Key': key_of(what, whom) },
          });
          settle(what, null);
          announce(`The ticket for ${label} now belongs to ${whom}.`);
          await refresh();
          focus_list();
        } catch (err) {
          settle(what, err);
          status.textContent = err.message;
        }
      },
    },
    h('label', { for: `to-${t.id}`, text: 'Give this ticket to (e-mail of their SeatGrab account)' }),
    to, h('button', { type: 'submit' }, 'Transfer')));
    const until = ev && ev.refunds_until ? Date.parse(ev.refunds_until) : NaN;
    if (!Number.isNaN(until) && until > server_now()) {
      const confirm = h('button', { type: 'button', class: 'danger', hidden: true }, `Yes, refund ${label}`);
      const ask = h('button', { type: 'button' }, 'Refund…');
      ask.addEventListener('click', () => {
        confirm.hidden = false;
        confirm.focus();
      });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        const what = `refund:${t.id}`;
        status.textContent = 'Refunding…';
        try {
          await call(`/v1/tickets/${encodeURIComponent(t.id)}/refund`, {
            method: 'POST', token, headers: { 'Idempotency-Key': key_of(what) },
          });
          settle(what, null);
          announce(`The ticket for ${label} was refunded.`);
          await refresh();
          focus_list();
        } catch (err) {
          settle(what, err);
          confirm.disabled = false;
          status.textContent = err.message;
        }
      });
      card.append(h('div', { class: 'actions' }, ask, confirm,
        h('span', { class: 'hint', text: `Refunds until ${new Date(until).toLocaleDateString()}.` })));
    }
  }
  card.append(status);
  return card;
}

/** Fills #tickets-view with the fan's tickets. */
export async function tickets_view(token) {
  stop_tickets();
  const gen = generation;
  const view = document.getElementById('tickets-view');
  const list = h('ul', { class: 'tickets', id: 'ticket-list' });
  const status = h('p', { role: 'status', 'aria-live': 'polite', text: 'Loading your tickets…' });
  view.replaceChildren(h('h2', { text: 'My tickets' }), status, list);
  try {
    const [{ tickets }, { events }] = await Promise.all([
      call('/v1/tickets', { token }),
      call('/v1/events'),
    ]);
    if (gen !== generation) return;
    const by_id = new Map(events.map((e) => [e.id, e]));
    const refresh = () => tickets_view(token);
    list.replaceChildren(...tickets.map((t) => ticket_card(t, by_id.get(t.event), token, refresh)));
    status.textContent = tickets.length ? `${tickets.length} ticket${tickets.length === 1 ? '' : 's'}.`
      : 'You have no tickets yet.';
  } catch (err) {
    status.textContent = '';
    alert_error(err);
  }
}
