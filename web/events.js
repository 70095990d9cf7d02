// The fan's start page: every event with its sale state and its price range, from
// GET /v1/events.
import { call, price } from './api.js';

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

function item(ev) {
  const li = document.createElement('li');
  li.className = `event ${ev.state}`;
  const name = document.createElement('h3');
  name.textContent = ev.name || ev.id;
  const state = document.createElement('p');
  state.className = 'state';
  let text = states[ev.state] || ev.state;
  if (ev.state === 'scheduled' && ev.opens_at) text += `: opens ${when(ev.opens_at)}`;
  state.textContent = text;
  li.append(name, state);
  if (ev.price_range) {
    const p = document.createElement('p');
    const { min, max } = ev.price_range;
    p.textContent = min === max ? `Seats at ${price(min)}` : `Seats from ${price(min)} to ${price(max)}`;
    li.append(p);
  }
  return li;
}

async function show() {
  const status = document.getElementById('status');
  const list = document.getElementById('events');
  try {
    const { events } = await call('/v1/events', {
      on_wait: (s) => {
        status.textContent = `Many fans are here right now: trying again in ${s} s…`;
      },
    });
    list.replaceChildren(...events.map(item));
    status.textContent = events.length ? `${events.length} events` : 'No events yet.';
  } catch (err) {
    status.textContent = err.message;
  }
}

show();
