// The events with their sale state and price range (GET /v1/events), and the waiting room's
// seed commitment with how to check it: the pre-queue shuffle is verifiable.
import { call, price } from './api.js';
import { sha256_hex } from './sha256.js';
import { h } from './ui.js';

const states = {
  scheduled: 'Not on sale yet',
  on_sale: 'On sale',
  paused: 'Sale paused',
  closed: 'Sale closed',
};

function when(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : t.toLocaleString();
}

/** The sale state in words, with the opening time before the sale. */
export function state_text(ev) {
  let text = states[ev.state] || ev.state;
  if (ev.state === 'scheduled' && ev.opens_at) text += `: opens ${when(ev.opens_at)}`;
  return text;
}

/** The price range in words, or '' without one. */
export function range_text(range, currency = '') {
  if (!range) return '';
  const { min, max } = range;
  return min === max ? `Seats at ${price(min, currency)}`
    : `Seats from ${price(min, currency)} to ${price(max, currency)}`;
}

function hex_bytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; ++i) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The seed commitment and, once open, the seed with a check: a <details>, or null. */
export function fairness(ev) {
  const q = ev.queue;
  if (!q || !q.seed_commitment || ev.queue_mode === 'fifo') return null;
  const result = h('p', { role: 'status' });
  const parts = [
    h('summary', { text: 'The queue order is verifiable' }),
    h('p', {
      text: 'Fans who arrive before the opening are put in a random order. The random seed '
        + 'was drawn in advance and only its SHA-256 fingerprint (the commitment) is published '
        + 'now, so the order cannot be changed later. At the opening the seed itself is '
        + 'revealed: the SHA-256 of the seed (its hex decoded to bytes) must equal the '
        + 'commitment. Check it yourself with: printf %s SEED | xxd -r -p | sha256sum',
    }),
    h('p', {}, 'Commitment: ', h('code', { class: 'hash', text: q.seed_commitment })),
  ];
  if (q.revealed_seed) {
    parts.push(
      h('p', {}, 'Revealed seed: ', h('code', { class: 'hash', text: q.revealed_seed })),
      h('button', {
        type: 'button',
        onclick: () => {
          const ok = sha256_hex(hex_bytes(q.revealed_seed)) === q.seed_commitment;
          result.textContent = ok ? 'Checked: the seed matches the commitment.'
            : 'The seed does NOT match the commitment.';
        },
      }, 'Check the seed in this browser'),
      result,
    );
  } else {
    parts.push(h('p', { text: 'The seed will be revealed when the sale opens.' }));
  }
  return h('details', { class: 'fairness' }, ...parts);
}

function item(ev, on_choose) {
  const state = h('p', { class: 'state', text: state_text(ev) });
  const li = h('li', { class: `event ${ev.state}` },
    h('h3', { text: ev.name || ev.id }), state);
  const range_el = h('p', { class: 'range', text: range_text(ev.price_range, ev.currency) });
  li.append(range_el);
  if (!ev.price_range && ev.prices) {
    // Before the first pricing tick the list may carry no range: the prices have it.
    call(ev.prices, { tries: 1 }).then((p) => {
      const all = (p.sections || []).map((s) => s.price).filter((x) => x > 0);
      if (all.length) {
        range_el.textContent = range_text({ min: Math.min(...all), max: Math.max(...all) }, ev.currency);
      }
    }).catch(() => {});
  }
  const f = fairness(ev);
  if (f) li.append(f);
  if (ev.state !== 'closed') {
    const label = ev.state === 'scheduled' ? 'Join the waiting room' : 'Get tickets';
    li.append(h('button', {
      type: 'button',
      class: 'primary',
      'aria-label': `${label}: ${ev.name || ev.id}`,
      onclick: () => on_choose(ev),
    }, label));
  }
  return li;
}

/** Lists the events in #events; `on_choose(event)` when the fan picks one. */
export async function show_events(on_choose) {
  const status = document.getElementById('status');
  const list = document.getElementById('events');
  try {
    const { events } = await call('/v1/events', {
      on_wait: (s, text) => {
        status.textContent = text || `Many fans are here right now: trying again in ${Math.ceil(s)} s…`;
      },
    });
    list.replaceChildren(...events.map((ev) => item(ev, on_choose)));
    status.textContent = events.length ? `${events.length} event${events.length === 1 ? '' : 's'}`
      : 'No events yet.';
  } catch (err) {
    status.textContent = err.message;
  }
}
