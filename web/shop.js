// The admitted fan's shop: the venue by section (free seats and prices, live), one section
// drawn as SVG with the step-through list beside it, picking seats or "best available N",
// and the hold (hold.js). Holds send the queue's X-Admission-Token.
import { call, keep_idempotency_key, price, random_id } from './api.js';
import { seat_model } from './seat_model.js';
import { add_sprite, draw_section, legend_icon, seat_label, seat_place } from './seat_svg.js';
import { seat_list } from './seat_list.js';
import { hold_panel } from './hold.js';
import { hold_of, set_hold, set_queue_place } from './store.js';
import { h, alert_error, announce } from './ui.js';

let model = null;

/** Stops the live seat map (leaving the event). */
export function stop_shop() {
  if (model) model.stop();
  model = null;
}

/**
 * Fills #shop-view for `ev` with the admission `place`; `on_paid(order)` after a checkout,
 * `on_admission_lost()` when the admission no longer holds.
 */
export function shop_view(ev, token, place, { on_paid, on_admission_lost }) {
  stop_shop();
  add_sprite();
  const currency = ev.currency || '';
  const max_seats = ev.max_seats_per_hold || 8;
  const view = document.getElementById('shop-view');
  const selected = new Set();
  let current_section = null;
  let drawing = null;

  const conn = h('p', { class: 'hint', id: 'seatmap-conn', role: 'status' });
  const overview = h('ul', { class: 'sections', id: 'sections', 'aria-label': 'Sections' });
  const map_heading = h('h3', { id: 'map-heading', text: 'Section' });
  const map_box = h('div', { class: 'map-box', id: 'map-box' });
  const list_box = h('div', { id: 'seat-list' });
  const picked = h('p', { id: 'picked', role: 'status', 'aria-live': 'polite' });
  const hold_button = h('button', { type: 'button', class: 'primary', id: 'hold-selected', disabled: true },
    'Hold the selected seats');
  const taken = h('p', { id: 'taken', class: 'ended', role: 'alert', hidden: true });
  const qty = h('input', {
    id: 'best-qty', type: 'number', min: '1', max: String(max_seats), value: '2', required: true,
  });
  const best_button = h('button', { type: 'submit' }, 'Hold the best available');
  const hold_box = h('aside', { id: 'hold', class: 'card hold', 'aria-labelledby': 'hold-h' });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Key' });
  legend.innerHTML = [['free', 'Available'], ['pick', 'Selected'], ['mine', 'In your hold'],
    ['held', 'Held by another fan'], ['sold', 'Sold']]
    .map(([k, t]) => `<li>${legend_icon(k)} ${t}</li>`).join('');

  const ends = place.admission_expires_at ? new Date(place.admission_expires_at) : null;
  view.replaceChildren(
    h('h2', { text: `Pick your seats: ${ev.name || ev.id}` }),
    h('p', {
      text: ends ? `It is your turn to shop until ${ends.toLocaleTimeString()}. Prices are all-in.`
        : 'It is your turn to shop. Prices are all-in.',
    }),
    conn,
    h('div', { class: 'shop' },
      h('div', { class: 'shop-main' },
        h('section', { 'aria-labelledby': 'overview-h' },
          h('h3', { id: 'overview-h', text: 'Sections' }), overview),
        h('section', { 'aria-labelledby': 'map-heading', class: 'map-section' },
          map_heading, legend, map_box, picked, taken,
          h('div', { class: 'actions' }, hold_button),
          h('form', {
            class: 'best',
            onsubmit: (e) => {
              e.preventDefault();
              if (qty.reportValidity()) make_hold({ section: current_section, quantity: Number(qty.value) });
            },
          },
          h('label', { for: 'best-qty', text: 'Or the best available seats in this section, how many?' }),
          qty, best_button)),
        h('section', { 'aria-labelledby': 'list-h', class: 'list-section' },
          h('h3', { id: 'list-h', text: 'Seat list (step by step)' }),
          h('p', {
            class: 'hint',
            text: 'The same seats as the drawing: choose a section, a row, then seats.',
          }),
          list_box)),
      hold_box),
  );

  model = new seat_model(ev);
  const label = (id) => {
    const s = model.by_id.get(id);
    if (!s) return id;
    const sec = model.by_section.get(s.section);
    return `${sec ? sec.name : s.section}, ${seat_place(s).replace(/^R/, 'r')}`;
  };
  const hold = hold_panel(hold_box, {
    token,
    currency,
    label,
    // Released seats are free again at once: the stream sends no change when a hold and its
    // release fall within one of its intervals.
    on_released: () => {
      const freed = [...(model.mine_ids || [])];
      set_hold(ev.id, null);
      model.set_mine([]);
      model.update(freed.map((id) => ({ id, status: 'free' })));
      update_picked();
    },
    on_expired: () => { set_hold(ev.id, null); model.set_mine([]); update_picked(); },
    on_paid: (order) => { set_hold(ev.id, null); model.set_mine([]); on_paid(order); },
  });
  hold_box.querySelector('h3').id = 'hold-h';

  const update_picked = () => {
    const n = selected.size;
    const total = [...selected].reduce((t, id) => t + (model.by_id.get(id)?.price || 0), 0);
    picked.textContent = n ? `${n} seat${n === 1 ? '' : 's'} selected, ${price(total, currency)}.`
      : 'No seats selected.';
    hold_button.disabled = n === 0 || Boolean(hold.hold());
    best_button.disabled = Boolean(hold.hold());
    hold_button.textContent = hold.hold() ? 'Pay for or release your hold first'
      : `Hold the selected seats${n ? ` (${n})` : ''}`;
  };

  const toggle = (seat) => {
    // Said in the visible, polite status line under the drawing.
    if (seat.mine) {
      picked.textContent = `${seat_label(seat, selected, currency)}.`;
      return;
    }
    if (selected.has(seat.id)) selected.delete(seat.id);
    else if (seat.status !== 'free') {
      picked.textContent = `${seat_label(seat, selected, currency)}: it cannot be picked.`;
      return;
    } else if (selected.size >= max_seats) {
      picked.textContent = `At most ${max_seats} seats in one hold.`;
      return;
    } else selected.add(seat.id);
    drawing?.update([seat]);
    list.update({ full: false, seats: [seat], sections: [] });
    update_picked();
  };

  const list = seat_list(list_box, model, {
    selected,
    currency,
    on_toggle: toggle,
    on_section: (id) => draw(id, false),
  });

  const section_item = (sec) => h('li', {}, h('button', {
    type: 'button',
    class: `section-button${sec.free ? '' : ' sold-out'}`,
    'data-section': sec.id,
    'aria-pressed': String(sec.id === current_section),
    onclick: () => draw(sec.id, true),
  }, h('strong', { text: sec.name }), h('span', { class: 'free' }), h('span', { class: 'price' })));
  const section_text = (btn, sec) => {
    btn.querySelector('.free').textContent = sec.free ? `${sec.free} free` : 'sold out';
    btn.querySelector('.price').textContent = sec.free ? price(sec.min, currency) : '';
    btn.setAttribute('aria-label', sec.free
      ? `${sec.name}: ${sec.free} seats available, from ${price(sec.min, currency)}`
      : `${sec.name}: sold out`);
    btn.classList.toggle('sold-out', !sec.free);
  };

  function draw(id, focus_map) {
    const sec = model.by_section.get(id);
    if (!sec) return;
    current_section = id;
    for (const b of overview.querySelectorAll('.section-button')) {
      b.setAttribute('aria-pressed', String(b.dataset.section === id));
    }
    map_heading.textContent = `${sec.name}: ${sec.free} of ${sec.seats.length} seats available`;
    drawing = draw_section(map_box, sec, { selected, currency, on_toggle: toggle });
    list.set_section(id);
    if (focus_map) drawing.svg.querySelector('.seat[tabindex="0"]')?.focus();
  }

  // One Idempotency-Key per intended hold: a retry after no answer, a 5xx or a 429 reuses it
  // (the server answers it once), a hold of other seats gets a new one.
  let hold_key = null;
  let hold_key_body = '';
  async function make_hold(body) {
    const wanted = JSON.stringify(body);
    if (!hold_key || hold_key_body !== wanted) {
      hold_key = random_id();
      hold_key_body = wanted;
    }
    alert_error(null);
    taken.hidden = true;
    hold_button.disabled = true;
    try {
      const made = await call(`/v1/events/${encodeURIComponent(ev.id)}/holds`, {
        method: 'POST',
        token,
        body,
        headers: { 'X-Admission-Token': place.admission_token, 'Idempotency-Key': hold_key },
      });
      hold_key = null;
      selected.clear();
      set_hold(ev.id, made);
      model.set_mine(made.seats.map((s) => s.id));
      model.update(made.seats.map((s) => ({ id: s.id, status: 'held' })));
      hold.show(made);
      announce(`${made.seats.length} seat(s) held. Pay before the time runs out.`);
    } catch (err) {
      if (!keep_idempotency_key(err)) hold_key = null;
      if (err.status === 409 && err.problem.seats && err.problem.seats.length) {
        const gone = err.problem.seats;
        for (const id of gone) selected.delete(id);
        model.update(gone.map((id) => ({ id, status: 'held' })));
        taken.textContent = `Just taken by another fan: ${gone.map(label).join('; ')}. `
          + 'They are now shown as held; pick other seats.';
        taken.hidden = false;
      } else if (err.code.startsWith('admission_')) {
        set_queue_place(ev.id, { event: ev.id, ticket: place.ticket });
        alert_error(err);
        on_admission_lost();
      } else {
        alert_error(err);
      }
    } finally {
      update_picked();
    }
  }
  hold_button.addEventListener('click', () => make_hold({ seats: [...selected] }));

  model.listen((change) => {
    if (change.full) {
      overview.replaceChildren(...model.sections.map(section_item));
      for (const b of overview.querySelectorAll('.section-button')) {
        section_text(b, model.by_section.get(b.dataset.section));
      }
      for (const id of [...selected]) {
        if (model.by_id.get(id)?.status !== 'free') selected.delete(id);
      }
      const first = current_section || (model.sections.find((s) => s.free) || model.sections[0])?.id;
      if (first) draw(first, false);
      list.update(change);
      update_picked();
      return;
    }
    for (const sec of change.sections) {
      const b = overview.querySelector(`[data-section="${CSS.escape(sec.id)}"]`);
      if (b) section_text(b, sec);
      if (sec.id === current_section) {
        map_heading.textContent = `${sec.name}: ${sec.free} of ${sec.seats.length} seats available`;
      }
    }
    const lost = change.seats.filter((s) => s.status !== 'free' && selected.has(s.id) && !s.mine);
    for (const s of lost) selected.delete(s.id);
    if (lost.length) {
      taken.textContent = `Just taken by another fan: ${lost.map((s) => label(s.id)).join('; ')}. `
        + 'Pick other seats.';
      taken.hidden = false;
    }
    drawing?.update(change.seats.filter((s) => s.section === current_section));
    list.update(change);
    update_picked();
  });
  model.follow((text) => { conn.textContent = text; });

  const kept = hold_of(ev.id);
  if (kept) {
    hold.show(kept);
    model.set_mine(kept.seats.map((s) => s.id));
  }
  update_picked();
}
