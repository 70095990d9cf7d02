// The waiting room: joining (proof of work in a Web Worker, device signals, the step-up
// challenge when the bot guard asks for one) and the live place over the queue stream. The
// place is kept per event and account, so that a reopened tab resumes it.
import { call, random_id, server_now } from './api.js';
import { solve } from './pow.js';
import { open_stream } from './sse.js';
import { device_id, device_signals } from './signals.js';
import { queue_place, set_queue_place } from './store.js';
import { fairness, state_text } from './events.js';
import { h, about, alert_error, announce, focus_on } from './ui.js';

const endings = {
  expired: 'Your turn to shop ran out before you finished. You can join the queue again '
    + '(at the back).',
  skipped: 'Your place was skipped because this page was not following the queue when your '
    + 'turn came. You can join again.',
  closed: 'The sale is closed: the organiser ended it and nobody more is admitted.',
  done: 'Your shopping turn is over: you checked out or left.',
};

let stream = null;
let generation = 0; // a view left while it awaited does nothing more
let joining = null; // the AbortController of a join under way (proof of work, step-up, POST)

function close_stream() {
  if (stream) stream.close();
  stream = null;
}

/** Stops following the queue (e.g. when leaving the event). */
export function stop_queue() {
  generation += 1;
  close_stream();
  // A join under way stops: the worker ends, the step-up form is dropped, no POST is sent.
  if (joining) joining.abort();
  joining = null;
}

/**
 * Fills #queue-view for the event `ev`; `on_admitted(place)` once the fan may shop, with
 * place = {event, ticket, admission_token, admission_expires_at, price_version}.
 */
export async function queue_view(ev, token, on_admitted) {
  stop_queue();
  const gen = generation;
  const view = document.getElementById('queue-view');
  const live = h('p', { id: 'queue-live', role: 'status', 'aria-live': 'polite' });
  const place_el = h('div', { id: 'queue-place', class: 'card' });
  const work = h('div', { id: 'pow', hidden: true });
  const stepup = h('div', { id: 'step-up', hidden: true });
  const join_button = h('button', { type: 'button', class: 'primary', id: 'join' }, 'Join the queue');
  const conn = h('p', { class: 'hint', id: 'queue-conn' });
  view.replaceChildren(
    h('h2', { text: `Queue: ${ev.name || ev.id}` }),
    h('p', { class: 'state', id: 'queue-sale', text: state_text(ev) }),
    live, place_el, conn, join_button, work, stepup,
  );
  let detail = ev;
  try {
    detail = await call(`/v1/events/${encodeURIComponent(ev.id)}`);
    view.querySelector('#queue-sale').textContent = state_text(detail);
  } catch (err) {
    alert_error(err);
  }
  if (gen !== generation) return;
  const f = fairness(detail);
  if (f) view.append(f);

  let last_state = '';
  let last_paused = null;
  const render = (st, place) => {
    const paused = st.paused === true;
    const sale = view.querySelector('#queue-sale');
    if (sale) sale.textContent = paused ? 'Sale paused' : state_text(detail);
    if (st.state === 'waiting') {
      const before_open = !st.position && detail.state === 'scheduled';
      const lines = before_open ? [
        h('p', { class: 'big', text: 'You are in the waiting room.' }),
        h('p', {
          text: (detail.queue_mode === 'fifo'
            ? 'When the sale opens, fans are let in in the order they arrived; '
            : 'When the sale opens, everyone in the waiting room is put in a random order '
              + '(see below how to check it); ')
            + `your place shows then. Opens in ${about(st.eta_s || 0)}.`,
        }),
      ] : [
        h('p', { class: 'big' }, 'Your place: ', h('strong', { text: String(st.position ?? '…') })),
        h('p', { text: `Estimated wait: ${about(st.eta_s || 0)}.` }),
      ];
      if (paused) {
        lines.unshift(h('p', {
          class: 'paused', id: 'paused-note',
          text: 'The sale is paused by the organiser; you keep your place.',
        }));
      }
      lines.push(h('p', {
        class: 'hint',
        text: 'Keep this page open. If you close it, come back with the same account: you keep '
          + 'your place.',
      }));
      place_el.replaceChildren(...lines);
      if (last_state !== 'waiting' || paused !== last_paused) {
        announce(paused ? 'The sale is paused by the organiser; you keep your place.'
          : before_open ? 'You are in the waiting room.' : `You are in the queue, place ${st.position}.`);
      }
    } else if (st.state === 'admitted' && st.admission_token) {
      const admitted = {
        ...place,
        admission_token: st.admission_token,
        admission_expires_at: st.admission_expires_at,
        price_version: st.price_version,
      };
      set_queue_place(ev.id, admitted);
      place_el.replaceChildren(h('p', { class: 'big', text: 'It is your turn: pick your seats.' }));
      announce('It is your turn: pick your seats.');
      close_stream();
      on_admitted(admitted);
    } else if (st.state === 'admitted') {
      place_el.replaceChildren(h('p', { class: 'big', text: 'It is your turn: getting your pass…' }));
    } else {
      const text = endings[st.state] || `Queue state: ${st.state}.`;
      place_el.replaceChildren(h('p', { class: 'ended', id: 'queue-ended', text }));
      if (last_state !== st.state) announce(text);
      close_stream();
      if (st.state !== 'closed') {
        set_queue_place(ev.id, null);
        join_button.hidden = false;
        join_button.textContent = 'Join the queue again';
      }
    }
    last_state = st.state;
    last_paused = paused;
  };

  const follow = (place) => {
    join_button.hidden = true;
    close_stream();
    stream = open_stream(
      `/v1/events/${encodeURIComponent(ev.id)}/queue/${place.ticket}/stream`, {
        token,
        on_event: (e) => {
          if (e.event !== 'status') return;
          try {
            render(JSON.parse(e.data), place);
          } catch (err) {
            conn.textContent = `An update could not be read: ${err.message}`;
          }
        },
        on_state: (text) => {
          conn.textContent = text;
        },
        on_fatal: (err) => {
          conn.textContent = '';
          alert_error(err);
          if (err.status === 404) {
            set_queue_place(ev.id, null);
            place_el.replaceChildren(h('p', { text: 'This queue place is no longer known.' }));
            join_button.hidden = false;
          }
        },
      });
  };

  join_button.onclick = async () => {
    join_button.disabled = true;
    alert_error(null);
    if (joining) joining.abort();
    const controller = new AbortController();
    joining = controller;
    try {
      const st = await join(ev.id, token, { work, stepup, live, heading: view.querySelector('h2') },
        controller.signal);
      const place = { event: ev.id, ticket: st.ticket };
      set_queue_place(ev.id, place); // even when left meanwhile: coming back resumes it
      if (gen !== generation) return;
      render(st, place);
      if (st.state === 'waiting' || (st.state === 'admitted' && !st.admission_token)) follow(place);
    } catch (err) {
      if (controller.signal.aborted || gen !== generation) return; // the fan left: say nothing
      alert_error(err);
    } finally {
      if (joining === controller) joining = null;
      join_button.disabled = false;
    }
  };

  const kept = queue_place(ev.id);
  if (kept && kept.admission_token && Date.parse(kept.admission_expires_at) > server_now()) {
    on_admitted(kept);
  } else if (kept) {
    place_el.replaceChildren(h('p', { text: `Resuming your place (ticket ${kept.ticket})…` }));
    follow({ event: kept.event, ticket: kept.ticket });
  } else if (detail.state === 'closed') {
    join_button.hidden = true;
  }
}

/** Solves a challenge in the worker, showing progress in `work`; returns the nonce. */
async function solve_shown(ch, work, signal) {
  signal.throwIfAborted();
  const bar = h('progress', { id: 'pow-progress', max: '100', value: '0', 'aria-labelledby': 'pow-label' });
  const label = h('p', { id: 'pow-label', text: 'Checking this browser (a short computation)…' });
  const count = h('p', { class: 'hint', id: 'pow-count' });
  work.replaceChildren(label, bar, count);
  work.hidden = false;
  const fmt = new Intl.NumberFormat();
  const t0 = performance.now();
  const nonce = await solve(ch.challenge, ch.difficulty, (tried, expected) => {
    // The expected count is an average: past it, the bar creeps towards the end.
    const f = tried <= expected ? tried / expected * 0.9 : 0.9 + 0.1 * (1 - expected / tried);
    bar.value = String(Math.round(f * 100));
    count.textContent = `${fmt.format(tried)} hashes tried of about ${fmt.format(expected)} expected`;
  }, signal);
  bar.value = '100';
  label.textContent = `Browser check done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
  return nonce;
}

/**
 * Asks the fan the step-up challenge in `box`; resolves with the answer. Once sent, the
 * focus moves to `after` (the form that had it is hidden). `signal` drops the question.
 */
function ask_step_up(su, box, after, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException('The join was stopped.', 'AbortError'));
      return;
    }
    signal.addEventListener('abort', () => {
      box.hidden = true;
      reject(new DOMException('The join was stopped.', 'AbortError'));
    }, { once: true });
    const input = h('input', {
      id: 'step-up-answer', type: 'text', inputmode: 'numeric', autocomplete: 'off', required: true,
    });
    const img = h('img', {
      src: su.image || `/v1/challenges/step-up/${encodeURIComponent(su.token)}/image.svg`,
      alt: `Challenge image. Text alternative: ${su.question || ''}`,
      class: 'step-up-image',
    });
    box.replaceChildren(h('form', {
      class: 'card',
      onsubmit: (e) => {
        e.preventDefault();
        if (!input.reportValidity()) return;
        box.hidden = true;
        focus_on(after);
        resolve(input.value.trim());
      },
    },
    h('h3', { text: 'One more check' }),
    h('p', { text: 'Type the digits shown in the image, or answer the question below it.' }),
    img,
    h('p', { id: 'step-up-question', text: su.question || '' }),
    h('div', { class: 'field' },
      h('label', { for: 'step-up-answer', text: 'Your answer' }), input),
    h('button', { type: 'submit', class: 'primary' }, 'Send')));
    box.hidden = false;
    input.focus();
  });
}

/**
 * Joins the queue past the bot guard; returns the QueueStatus of the new place. `signal`
 * (stop_queue) stops it at any step, and no join is sent once it has.
 */
async function join(event_id, token, { work, stepup, live, heading }, signal) {
  const path = `/v1/events/${encodeURIComponent(event_id)}`;
  const on_wait = (s, text) => {
    live.textContent = text || `Many fans are joining: trying again in ${Math.ceil(s)} s…`;
  };
  const signals = await device_signals();
  signal.throwIfAborted();
  let ch = await call(`${path}/challenge`, { on_wait, signal });
  let step_up = null;
  for (let attempt = 0; attempt < 5; ++attempt) {
    const body = { device: device_id(), signals };
    if (ch) {
      body.challenge = ch.challenge;
      body.nonce = ch.difficulty > 0 ? await solve_shown(ch, work, signal) : '0';
    }
    if (step_up) body.step_up = step_up;
    signal.throwIfAborted(); // left meanwhile: no join
    try {
      live.textContent = 'Joining the queue…';
      // One key per join request (this body): a retry after no answer or a 5xx is the same
      // join, not a second place. Once sent it is not abandoned (its outcome would be
      // unknown): a place made after the fan left is kept for their return.
      const st = await call(`${path}/queue`, {
        method: 'POST', token, body, on_wait, tries: 5,
        headers: { 'Idempotency-Key': random_id() },
      });
      live.textContent = '';
      work.hidden = true;
      return st;
    } catch (err) {
      const p = err.problem || {};
      if (err.code === 'challenge_required' || err.code === 'step_up_required'
          || err.code === 'step_up_failed' || err.code === 'challenge_failed') {
        live.textContent = err.code === 'step_up_required' ? 'One more check is needed before you join.'
          : err.code === 'challenge_required' ? 'The server asks this browser for a longer check.'
            : err.message;
        ch = p.challenge || (err.code === 'challenge_failed'
          ? await call(`${path}/challenge`, { on_wait, signal }) : null);
        step_up = null;
        if (p.step_up) {
          step_up = { token: p.step_up.token, answer: await ask_step_up(p.step_up, stepup, heading, signal) };
        }
        continue;
      }
      throw err;
    }
  }
  throw new Error('The browser check did not pass after several tries: please reload the page.');
}
