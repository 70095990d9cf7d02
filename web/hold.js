// The fan's hold: its seats with their all-in prices and the total, a countdown to expiry
// (spoken at 60 s and 10 s, not every second), release (DELETE /v1/holds/{id}) and checkout
// (POST /v1/holds/{id}/checkout). One Idempotency-Key per intended payment: sent again when
// the last try got no final answer (no connection, a 5xx, a 429, still running), kept with
// the stored hold so that a reload mid-payment sends it again; a new one after a final
// answer (paid, declined, refused) or with another card number.
import { call, keep_idempotency_key, price, random_id, server_now } from './api.js';
import { sha256_hex } from './sha256.js';
import { patch_kept_hold } from './store.js';
import { h, mmss, alert_error, announce, focus_on } from './ui.js';

/**
 * Fills `box`; `hooks` = { token, currency, label(seat_id) -> text, on_released(hold),
 * on_paid(order), on_expired(hold) }. Returns { show(hold), clear(), hold() }.
 */
export function hold_panel(box, hooks) {
  let current = null;
  let timer = 0;
  let spoken = new Set();
  const live = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite', id: 'countdown-live' });
  // The heading keeps its id: the panel (aside aria-labelledby="hold-h") is named by it.
  const heading = () => box.querySelector('h3');
  const empty = () => box.replaceChildren(h('h3', { id: 'hold-h', text: 'Your hold' }),
    h('p', { id: 'hold-empty', text: 'Pick seats to hold them.' }), live);
  empty();

  const clear = () => {
    clearInterval(timer);
    timer = 0;
    current = null;
    empty();
  };

  const tick = (countdown) => {
    const left = (Date.parse(current.expires_at) - server_now()) / 1000;
    countdown.textContent = `Your seats are held for ${mmss(left)}.`;
    countdown.classList.toggle('urgent', left <= 60);
    for (const mark of [60, 10]) {
      if (left <= mark && left > 0 && !spoken.has(mark)) {
        spoken.add(mark);
        live.textContent = mark === 60 ? 'One minute left to pay for your seats.'
          : 'Ten seconds left to pay for your seats.';
      }
    }
    if (left <= 0) {
      const gone = current;
      // The pay button or card field may have the focus: it goes with them.
      const had_focus = box.contains(document.activeElement);
      clear();
      const text = 'Your hold expired and the seats were released. You can pick seats again.';
      live.textContent = text;
      const note = h('p', { class: 'ended', id: 'hold-expired', text });
      box.append(note);
      hooks.on_expired(gone);
      if (had_focus) focus_on(note);
    }
  };

  const show = (hold) => {
    clearInterval(timer);
    current = hold;
    spoken = new Set();
    const status = h('p', { role: 'status', 'aria-live': 'polite', id: 'pay-status' });
    const countdown = h('p', { class: 'countdown', id: 'countdown' });
    const card = h('input', {
      id: 'card', type: 'text', inputmode: 'numeric', autocomplete: 'cc-number', required: true,
      pattern: '[0-9 ]{16,19}', maxlength: '19', 'aria-describedby': 'card-hint',
    });
    const pay = h('button', { type: 'submit', class: 'primary', id: 'pay' },
      `Pay ${price(hold.total, hooks.currency)}`);
    const release = h('button', { type: 'button', id: 'release' }, 'Release these seats');
    const rows = hold.seats.map((s) => h('tr', {},
      h('th', { scope: 'row', text: hooks.label(s.id) }),
      h('td', { class: 'num', text: price(s.price, hooks.currency) })));
    // The payment attempt {key, card}: `card` a fingerprint of the number salted with the key
    // (the number itself is never stored), to tell the same card from another one.
    let attempt = hold.pay && hold.pay.key ? hold.pay : null;
    const keep_attempt = (a) => {
      attempt = a;
      if (current && current.id === hold.id) current = { ...current, pay: a };
      patch_kept_hold(hold.id, { pay: a });
    };
    const print_of = (key, number) => sha256_hex(`${key}:${number}`);
    const checkout = (number) => call(`/v1/holds/${encodeURIComponent(hold.id)}/checkout`, {
      method: 'POST',
      token: hooks.token,
      body: { card: number },
      headers: { 'Idempotency-Key': attempt.key },
      on_wait: (s, text) => {
        status.textContent = text || `Busy: trying again in ${Math.ceil(s)} s…`;
      },
    });
    const form = h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const number = card.value.replace(/\s+/g, '');
        if (!/^[0-9]{16}$/.test(number)) {
          status.textContent = 'The card number has 16 digits.';
          card.focus();
          return;
        }
        alert_error(null);
        pay.disabled = true;
        status.textContent = 'Paying…';
        try {
          let order;
          for (let round = 1; ; ++round) {
            // The same card as the unfinished attempt: its key again; otherwise a new one.
            if (!attempt || attempt.card !== print_of(attempt.key, number)) {
              const key = random_id();
              keep_attempt({ key, card: print_of(key, number) });
            }
            try {
              order = await checkout(number);
              break;
            } catch (err) {
              // The key met another request (a card the fingerprint could not tell): a new one.
              if (err.code === 'idempotency_key_reused' && round === 1) {
                keep_attempt(null);
                continue;
              }
              throw err;
            }
          }
          status.textContent = '';
          clear();
          const paid = price(order.total, order.currency || hooks.currency);
          announce(`Paid: ${order.tickets.length} ticket(s), ${paid}.`);
          hooks.on_paid(order);
        } catch (err) {
          pay.disabled = false;
          // A final answer ends this attempt; no answer yet keeps its key for the next press.
          if (!keep_idempotency_key(err)) keep_attempt(null);
          if (err.status === 410) {
            const gone = current;
            clear();
            const note = h('p', {
              class: 'ended', id: 'hold-expired',
              text: `${err.message} The seats were released: pick seats again.`,
            });
            box.append(note);
            hooks.on_expired(gone);
            focus_on(note); // the pay button that had the focus is gone
          } else if (err.status === 402) {
            status.textContent = `Payment declined: ${err.message}`;
          } else if (err.status === 409 && err.code === 'request_in_progress') {
            status.textContent = 'Your payment is still being processed. Press Pay again in a '
              + 'moment to see how it went: you will not be charged twice.';
          } else if (keep_idempotency_key(err)) {
            status.textContent = `${err.message} Press Pay again: you will not be charged twice.`;
          } else {
            status.textContent = err.message;
          }
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'card', text: 'Card number' }), card,
      h('p', { id: 'card-hint', class: 'hint' },
        'This is a test shop: 4242 4242 4242 4242 is approved, ',
        '4000 0000 0000 0002 is declined.')),
    h('div', { class: 'actions' }, pay, release), status);
    release.addEventListener('click', async () => {
      release.disabled = true;
      try {
        await call(`/v1/holds/${encodeURIComponent(hold.id)}`, { method: 'DELETE', token: hooks.token });
        const gone = current;
        clear();
        announce('The seats were released.');
        hooks.on_released(gone);
        focus_on(heading()); // the release button that had the focus is gone
      } catch (err) {
        release.disabled = false;
        status.textContent = err.message;
      }
    });
    box.replaceChildren(
      h('h3', { id: 'hold-h', text: 'Your hold' }),
      countdown,
      h('table', { class: 'hold-seats' },
        h('caption', { class: 'sr-only', text: 'Seats in your hold with their all-in prices' }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Seat' }),
          h('th', { scope: 'col', class: 'num', text: 'All-in price' }))),
        h('tbody', {}, ...rows),
        h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', text: 'Total' }),
          h('td', { class: 'num', id: 'hold-total', text: price(hold.total, hooks.currency) })))),
      form, live,
    );
    const left = (Date.parse(hold.expires_at) - server_now()) / 1000;
    live.textContent = `Seats held for ${mmss(left)} minutes. Pay before the time runs out.`;
    if (left <= 60) spoken.add(60);
    if (left <= 10) spoken.add(10);
    tick(countdown);
    timer = setInterval(() => current && tick(countdown), 1000);
  };

  return { show, clear, hold: () => current };
}
