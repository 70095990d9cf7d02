// The step-through list, the screen-reader alternative to the drawing: section (by its
// name), then row (real selects), then the row's seats as toggle buttons with their full
// labels, kept live.
import { h } from './ui.js';
import { seat_label, look } from './seat_svg.js';

const section_text = (s) => `${s.name} (${s.free} available)`;
const row_text = (r) => {
  const free = r.seats.filter((s) => s.status === 'free').length;
  return `${r.other ? 'Other seats' : `Row ${r.id}`} (${free} available)`;
};

/**
 * Fills `box` for `model`; `selected` is the Set of picked ids, `on_toggle(seat)` toggles
 * one, `on_section(id)` follows the section select. Returns { update(change), set_section(id) }.
 */
export function seat_list(box, model, { selected, currency, on_toggle, on_section }) {
  const sec_select = h('select', { id: 'list-section' });
  const row_select = h('select', { id: 'list-row' });
  const seats_box = h('ul', { class: 'seat-buttons', id: 'list-seats', 'aria-label': 'Seats of the row' });
  let sec = null;
  let row = null;

  const fill_sections = () => {
    const keep = sec ? sec.id : '';
    sec_select.replaceChildren(...model.sections.map((s) => h('option', {
      value: s.id, text: section_text(s),
    })));
    if (keep) sec_select.value = keep;
  };
  const fill_rows = () => {
    row_select.replaceChildren(...(sec ? sec.rows : []).map((r) => h('option', {
      value: r.id, text: row_text(r),
    })));
    if (row) row_select.value = row.id;
  };
  const button_of = (s) => {
    const l = look(s, selected);
    return h('li', {}, h('button', {
      type: 'button',
      class: `seat-button ${l}`,
      'data-id': s.id,
      'aria-pressed': String(l === 'pick' || l === 'mine'),
      'aria-disabled': String(l === 'held' || l === 'sold'),
      onclick: () => on_toggle(s),
    }, seat_label(s, selected, currency)));
  };
  const fill_seats = () => {
    seats_box.replaceChildren(...(row ? row.seats : []).map(button_of));
  };
  const pick_section = (id) => {
    sec = model.by_section.get(id) || null;
    row = sec ? sec.rows[0] : null;
    fill_rows();
    fill_seats();
  };

  sec_select.addEventListener('change', () => {
    pick_section(sec_select.value);
    on_section(sec_select.value);
  });
  row_select.addEventListener('change', () => {
    row = sec.rows.find((r) => r.id === row_select.value) || null;
    fill_seats();
  });

  box.replaceChildren(
    h('div', { class: 'field' }, h('label', { for: 'list-section', text: 'Section' }), sec_select),
    h('div', { class: 'field' }, h('label', { for: 'list-row', text: 'Row' }), row_select),
    seats_box,
  );

  return {
    set_section(id) {
      if (!model.sections.length) return;
      fill_sections();
      sec_select.value = id;
      pick_section(id);
    },
    update(change) {
      if (change.full) {
        fill_sections();
        if (sec) {
          const keep_row = row ? row.id : '';
          pick_section(sec.id);
          const r = sec && sec.rows.find((x) => x.id === keep_row);
          if (r) {
            row = r;
            row_select.value = r.id;
            fill_seats();
          }
        }
        return;
      }
      for (const s of change.sections) {
        const opt = [...sec_select.options].find((o) => o.value === s.id);
        if (opt) opt.textContent = section_text(s);
      }
      if (!row) return;
      const here = change.seats.filter((s) => row.seats.includes(s));
      for (const s of here) {
        const b = seats_box.querySelector(`[data-id="${CSS.escape(s.id)}"]`);
        if (!b) continue;
        const l = look(s, selected);
        b.className = `seat-button ${l}`;
        b.setAttribute('aria-pressed', String(l === 'pick' || l === 'mine'));
        b.setAttribute('aria-disabled', String(l === 'held' || l === 'sold'));
        b.textContent = seat_label(s, selected, currency);
      }
      if (here.length) fill_rows_counts();
    },
  };

  function fill_rows_counts() {
    for (const o of row_select.options) {
      const r = sec.rows.find((x) => x.id === o.value);
      if (r) o.textContent = row_text(r);
    }
  }
}
