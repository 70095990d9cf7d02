// The operator's dashboard (/ops): live figures from /metrics every 2 s, the venue's heat
// map from the public seat-map stream, and the queue and pricing controls (admin token).
import { call } from './api.js';
import { figures_of, history, parse_metrics } from './ops_metrics.js';
import { draw_legend, follow_heatmap } from './ops_heatmap.js';

const token_key = 'seatgrab.ops.token';
const event_key = 'seatgrab.ops.event';
const refresh_ms = 2000;

const $ = (id) => document.getElementById(id);
const nf = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });
const num = (v) => (v == null ? '—' : nf.format(v));
const per_min = (v) => (v == null ? '—' : `${nf.format(v)} / min`);

const states = { scheduled: 'not open yet', on_sale: 'on sale', paused: 'paused', closed: 'closed' };

// What each panel shows: [key, label, how to get it from (figures, history)].
const panels = {
  'queue-figures': [
    ['waiting', 'Waiting', (f) => num(f.waiting)],
    ['active', 'Shopping now', (f) => num(f.active)],
    ['admitted', 'Admitted so far', (f) => num(f.admitted)],
    ['admission', 'Admission rate', (f) => (f.admission_per_min == null ? '—' : `${num(f.admission_per_min)} / min`)],
    ['admitting', 'Admissions', (f, h) => per_min(h.per_min('admitted'))],
  ],
  'sales-figures': [
    ['sales-rate', 'Seats sold', (f, h) => per_min(h.per_min('sales'))],
    ['holds-rate', 'Holds placed', (f, h) => per_min(h.per_min('holds'))],
    ['expiries-rate', 'Holds expired', (f, h) => per_min(h.per_min('expiries'))],
    ['free', 'Seats free', (f) => num(f.free)],
    ['held', 'Seats held', (f) => num(f.held)],
    ['sold', 'Seats sold (total)', (f) => num(f.sold)],
  ],
  'guard-figures': [
    ['declines', 'Payment declines (all events)', (f, h) => `${num(f.declines)} (${per_min(h.per_min('declines'))})`],
    ['limited', 'Rate-limited requests (429)', (f, h) => `${num(f.rate_limited)} (${per_min(h.per_min('rate_limited'))})`],
    ['pow', 'Proof-of-work challenges', (f) => num(f.challenges_pow)],
    ['step-up', 'Step-up challenges', (f) => num(f.challenges_step_up)],
    ['difficulty', 'Proof-of-work bits', (f) => num(f.pow_difficulty)],
    ['flagged', 'Accounts flagged', (f) => num(f.bot_flagged)],
    ['fsync', 'Journal fsync (mean, last minute)', (f, h) => {
      const ms = h.fsync_ms();
      return ms == null ? 'no writes' : `${ms.toFixed(2)} ms`;
    }],
    ['conns', 'Connections / streams', (f) => `${num(f.connections)} / ${num(f.streams)}`],
  ],
};

const page = {
  token: sessionStorage.getItem(token_key) || '',
  event: null, // the event detail shown
  events: [],
  hist: new history(),
  heat: null,
  timer: null,
  busy: false,
};

// Shows an error (the problem's detail, from api.js) or hides it; `from` tells a failed
// refresh, cleared by the next good one, from a failed control, kept until the next action.
function alert_of(err, from = '') {
  const a = $('alert');
  a.dataset.from = err ? from : '';
  a.textContent = err ? err.message || String(err) : '';
  a.hidden = !err;
}

const notice = (text) => {
  $('notice').textContent = text;
};

function build_panels() {
  for (const [id, rows] of Object.entries(panels)) {
    const dl = $(id);
    dl.replaceChildren();
    for (const [key, label] of rows) {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = label;
      dd.id = `fig-${key}`;
      dd.textContent = '—';
      div.append(dt, dd);
      dl.append(div);
    }
  }
}

function show_figures(f) {
  for (const rows of Object.values(panels))
    for (const [key, , get] of rows) $(`fig-${key}`).textContent = get(f, page.hist);
}

function show_event(ev) {
  const before = page.event?.state;
  page.event = ev;
  const text = states[ev.state] || ev.state;
  $('sale-state').textContent = text;
  $('sale-state').dataset.state = ev.state;
  if (before && before !== ev.state) notice(`The event is now ${text}.`);
  const paused = ev.state === 'paused';
  $('pause').disabled = paused || ev.state !== 'on_sale';
  $('resume').disabled = !paused;
  const rate = $('rate');
  if (document.activeElement !== rate && !rate.dataset.edited) rate.value = ev.admission_per_min ?? '';
  // Freezing needs a published pricing policy; without one the buttons would only fail.
  const pricing = ev.pricing;
  $('pricing-state').textContent = !pricing
    ? 'This event has fixed prices (no dynamic pricing policy).'
    : pricing.frozen
      ? `Prices are frozen (a step every ${pricing.interval_s} s when unfrozen).`
      : `Prices move every ${pricing.interval_s} s along the published ladders.`;
  $('freeze').disabled = !pricing || pricing.frozen;
  $('unfreeze').disabled = !pricing || !pricing.frozen;
}

async function refresh() {
  const id = page.event?.id || $('event').value;
  if (!id) return;
  try {
    const [text, ev] = await Promise.all([
      call('/metrics', { as_text: true, tries: 1 }),
      call(`/v1/events/${encodeURIComponent(id)}`, { tries: 1 }),
    ]);
    if (id !== $('event').value) return; // the operator chose another event meanwhile
    const f = figures_of(parse_metrics(text), id);
    page.hist.add(Date.now(), f);
    show_event(ev);
    show_figures(f);
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
    if ($('alert').dataset.from === 'refresh') alert_of(null);
  } catch (err) {
    alert_of(err, 'refresh');
  }
}

function schedule() {
  clearTimeout(page.timer);
  // A chain, not an interval: a slow scrape never overlaps the next.
  page.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, refresh_ms);
}

async function choose_event(id) {
  sessionStorage.setItem(event_key, id);
  page.hist.clear();
  page.event = null;
  if (page.heat) page.heat.close();
  const ev = page.events.find((e) => e.id === id);
  $('map-status').textContent = 'Connecting to the live seat map…';
  page.heat = follow_heatmap(id, {
    svg_host: $('heatmap'),
    tbody: $('heat-table').tBodies[0],
    status_el: $('map-status'),
    event_name: ev?.name,
    venue_id: ev?.venue_id,
  });
  await refresh();
  schedule();
}

async function load_events() {
  const { events } = await call('/v1/events');
  page.events = events;
  const select = $('event');
  select.replaceChildren(
    ...events.map((ev) => {
      const o = document.createElement('option');
      o.value = ev.id;
      o.textContent = `${ev.name || ev.id} (${ev.id})`;
      return o;
    }),
  );
  const saved = sessionStorage.getItem(event_key);
  if (saved && events.some((e) => e.id === saved)) select.value = saved;
  return events;
}

// Operator calls: the admin token, the problem's detail on failure, a notice on success.
async function admin(button, [done, failed], path, { method = 'POST', body } = {}) {
  if (page.busy || !page.event) return;
  page.busy = true;
  button.setAttribute('aria-busy', 'true');
  alert_of(null);
  try {
    const res = await call(path, { method, body, token: page.token, tries: 2 });
    notice(done);
    if (res && res.state) show_event(res);
    await refresh();
    return res;
  } catch (err) {
    alert_of(new Error(`${failed}: ${err.message}`), 'control');
    if (err.status === 401) sign_out('The admin token was refused: ' + err.message);
  } finally {
    page.busy = false;
    button.removeAttribute('aria-busy');
  }
}

const event_path = (tail) => `/v1/admin/events/${encodeURIComponent(page.event.id)}/${tail}`;

function wire_controls() {
  const on = (id, texts, tail) =>
    $(id).addEventListener('click', (e) => admin(e.currentTarget, texts, event_path(tail)));
  on('pause', ['The queue is paused.', 'Could not pause the queue'], 'pause');
  on('resume', ['The queue is admitting again.', 'Could not resume the queue'], 'resume');
  on('freeze', ['Prices are frozen.', 'Could not freeze the prices'], 'pricing/freeze');
  on('unfreeze', ['Prices move again.', 'Could not unfreeze the prices'], 'pricing/unfreeze');
  $('rate').addEventListener('input', (e) => {
    e.currentTarget.dataset.edited = '1';
  });
  $('rate-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = Number($('rate').value);
    if (!Number.isInteger(n) || n < 0) {
      alert_of(new Error('The admission rate is a whole number of fans per minute, 0 or more.'));
      $('rate').focus();
      return;
    }
    const res = await admin(e.submitter || $('rate-form'),
      [`Admitting ${n} fans per minute.`, 'Could not set the admission rate'],
      event_path('admission'), { method: 'PUT', body: { admission_per_min: n } });
    if (res) delete $('rate').dataset.edited;
  });
  $('event').addEventListener('change', (e) => choose_event(e.currentTarget.value));
  $('sign-out').addEventListener('click', () => sign_out('The token is forgotten.'));
}

function sign_out(text) {
  sessionStorage.removeItem(token_key);
  page.token = '';
  clearTimeout(page.timer);
  if (page.heat) page.heat.close();
  page.heat = null;
  page.event = null;
  $('dash').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  notice(text);
  $('token').focus();
}

// Shows the dashboard once the token is accepted by an operator route. The API has no
// operator read that stands alone (http/openapi.json: every admin GET is an event's), so
// with no event yet the token cannot be checked without side effects: the dashboard says
// so, and the first control that uses it checks it (a 401 there signs out).
async function sign_in(token) {
  alert_of(null);
  const events = await load_events();
  if (events.length) {
    // GET .../bots is an operator read: a wrong token answers 401 here, not at a control.
    await call(`/v1/admin/events/${encodeURIComponent(events[0].id)}/bots`, { token, tries: 1 });
  }
  page.token = token;
  sessionStorage.setItem(token_key, token);
  $('login').hidden = true;
  $('dash').hidden = false;
  $('sign-out').hidden = false;
  if (!events.length) {
    $('map-status').textContent = 'No events yet.';
    notice('Signed in, token not checked: there are no events yet to check it against.');
    return;
  }
  notice('Signed in.');
  await choose_event($('event').value);
}

function start() {
  build_panels();
  draw_legend($('legend'));
  wire_controls();
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    try {
      await sign_in(token);
      $('token').value = '';
      $('event').focus(); // keyboard users land on the first control of the dashboard
    } catch (err) {
      alert_of(err);
      $('token').focus();
    }
  });
  if (page.token) {
    sign_in(page.token).catch((err) => {
      sign_out('');
      alert_of(err);
    });
  } else {
    $('token').focus();
  }
}

start();
