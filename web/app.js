// The fan's page: events -> account -> queue -> seats and hold -> tickets, one view at a
// time. A reload resumes where the fan was (the event, its queue place, its hold).
import { call } from './api.js';
import { show_events } from './events.js';
import { account_form, show_who } from './session.js';
import { queue_view, stop_queue } from './queue.js';
import { shop_view, stop_shop } from './shop.js';
import { tickets_view, stop_tickets } from './tickets.js';
import { current_event, session, set_current_event, set_session, queue_place } from './store.js';
import { show_view, alert_error } from './ui.js';

const stop_all = () => {
  stop_queue();
  stop_shop();
  stop_tickets();
  alert_error(null);
};

/** Runs `then(session)` once logged in, asking for the account first if needed. */
function with_session(then) {
  const s = session();
  if (s) {
    then(s);
    return;
  }
  stop_all();
  account_form((fresh) => {
    show_who(to_events);
    then(fresh);
  });
  show_view('account');
}

function to_events(focus = true) {
  stop_all();
  set_current_event(null);
  show_who(to_events);
  show_view('events', { focus });
  show_events(choose);
}

function choose(ev) {
  set_current_event(ev.id);
  with_session((s) => to_queue(ev, s));
}

function to_queue(ev, s) {
  stop_all();
  show_view('queue');
  queue_view(ev, s.token, (place) => to_shop(ev, s, place));
}

function to_shop(ev, s, place) {
  stop_all();
  show_view('shop');
  shop_view(ev, s.token, place, {
    on_paid: () => to_tickets(),
    on_admission_lost: () => to_queue(ev, s),
  });
}

function to_tickets() {
  with_session((s) => {
    stop_all();
    show_view('tickets');
    tickets_view(s.token);
  });
}

document.getElementById('nav-events').addEventListener('click', () => to_events());
document.getElementById('nav-tickets').addEventListener('click', () => to_tickets());

// The session ended on the server's side: log in again, then back to the events.
window.addEventListener('seatgrab:unauthorized', (e) => {
  if (!session()) return;
  set_session(null);
  show_who(to_events);
  with_session(() => to_events());
  // After the failed call's own handler has shown its detail: this says what to do.
  setTimeout(() => alert_error(new Error(`Your session has ended (${e.detail}): please log in again.`)), 0);
});

async function start() {
  show_who(to_events);
  const id = current_event();
  const s = session();
  if (id && s && queue_place(id)) {
    try {
      const ev = await call(`/v1/events/${encodeURIComponent(id)}`);
      to_queue(ev, s);
      return;
    } catch {
      // the event is gone: start from the list
    }
  }
  to_events(false);
}

start();
