// Small DOM helpers shared by the fan's modules: element building without innerHTML, the
// page's live regions, and switching between the views.

/** Builds an element: h('button', {type: 'button', onclick: f}, 'Text', child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Says `text` politely to screen readers (and shows it in the page's status line). */
export function announce(text) {
  const el = document.getElementById('notice');
  if (el) el.textContent = text;
}

/** Shows an error (a problem's detail) in the page's alert line; '' clears it. */
export function alert_error(err) {
  const el = document.getElementById('alert');
  if (!el) return;
  el.textContent = err ? (err.message || String(err)) : '';
  el.hidden = !err;
}

const views = ['events', 'account', 'queue', 'shop', 'tickets'];

/** Shows the view `name` (a section #<name>-view) and hides the others. */
export function show_view(name, { focus = true } = {}) {
  for (const v of views) {
    const el = document.getElementById(`${v}-view`);
    if (el) el.hidden = v !== name;
  }
  const heading = document.querySelector(`#${name}-view h2`);
  if (focus && heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

/** Whole seconds as "m:ss". */
export function mmss(s) {
  const t = Math.max(0, Math.ceil(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/** A duration in words for an ETA: "about 3 minutes". */
export function about(s) {
  if (s < 60) return 'less than a minute';
  const m = Math.round(s / 60);
  if (m < 60) return `about ${m} minute${m === 1 ? '' : 's'}`;
  const hr = Math.round(m / 6) / 10;
  return `about ${hr} hours`;
}

/**
 * Moves the focus to `el` (a heading or region, made focusable by script only with
 * tabindex=-1), e.g. when the control that had it was removed; screen readers read it.
 */
export function focus_on(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus();
}
