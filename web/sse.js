// Server-Sent Events over fetch(): EventSource cannot send the Bearer header that the queue
// stream needs. Parses the frames (event:, data:, id:, blank line), resumes with
// Last-Event-ID, reconnects with backoff and honours Retry-After on a 429 or 503.
import { lost_text, note_server_date, problem_error, retry_after, sleep } from './api.js';

const quiet_limit_ms = 60000; // no byte (not even a heartbeat) for this long: reconnect
const healthy_ms = 10000; // a stream up this long starts the backoff again when it ends

/**
 * Feeds text to `dispatch(event)` frame by frame; returns the feeder. Lines end with CRLF, LF
 * or CR, and a chunk may end between the CR and the LF of one CRLF: that LF is not a line.
 */
export function sse_parser(dispatch) {
  let rest = '';
  let skip_lf = false; // the last chunk ended with a CR: an LF first in the next is its pair
  let frame = { event: '', data: [], id: null };
  const line = (l) => {
    if (l === '') {
      if (frame.data.length) {
        dispatch({ event: frame.event || 'message', data: frame.data.join('\n'), id: frame.id });
      }
      frame = { event: '', data: [], id: null };
      return;
    }
    if (l.startsWith(':')) return; // a comment: heartbeat or "resumed"
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') frame.event = value;
    else if (field === 'data') frame.data.push(value);
    else if (field === 'id' && !value.includes('\0')) frame.id = value;
  };
  return (text) => {
    if (!text) return;
    if (skip_lf && text[0] === '\n') text = text.slice(1);
    skip_lf = false;
    if (!text) return;
    rest += text;
    skip_lf = rest.endsWith('\r');
    const lines = rest.split(/\r\n|\r|\n/);
    rest = lines.pop();
    lines.forEach(line);
  };
}

/**
 * Opens `url` as an event stream. `on_event({event, data, id})` gets every frame;
 * `on_state(text)` is told of waits and reconnections; `on_fatal(err)` of an answer that a
 * retry cannot mend (401, 403, 404, 410), after which the stream stays closed.
 * `last_event_id` resumes from a version the caller already has. Returns { close() }.
 */
export function open_stream(url, {
  token, on_event, on_state = () => {}, on_fatal = () => {}, last_event_id = null,
}) {
  let closed = false;
  let last_id = last_event_id;
  let controller = null;
  let backoff_s = 1;

  const once = async () => {
    controller = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (last_id !== null) headers['Last-Event-ID'] = last_id;
    // A TypeError here (no answer at all) is caught by the loop below and said in words.
    const res = await fetch(url, { headers, signal: controller.signal, cache: 'no-store' });
    note_server_date(res);
    if (!res.ok) {
      let p = {};
      try {
        p = await res.json();
      } catch {
        // no problem document
      }
      return new problem_error(res.status, p, retry_after(res, 0));
    }
    on_state('');
    const opened_at = Date.now();
    const feed = sse_parser((ev) => {
      if (ev.id !== null) last_id = ev.id;
      backoff_s = 1; // data flows: the next loss starts the backoff again
      on_event(ev);
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let watchdog = setTimeout(() => controller.abort(), quiet_limit_ms);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), quiet_limit_ms);
        feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      clearTimeout(watchdog);
      // A stream that stayed up a while was healthy, even with heartbeats only.
      if (Date.now() - opened_at >= healthy_ms) backoff_s = 1;
    }
    return null;
  };

  (async () => {
    while (!closed) {
      let err = null;
      let lost = false;
      try {
        err = await once();
      } catch {
        lost = true; // no answer, or the connection dropped or went quiet (the watchdog)
      }
      if (closed) return;
      // Read only now: a stream that flowed for a while has reset the backoff meanwhile.
      let wait_s = backoff_s;
      if (err) {
        if (err.status === 401) {
          window.dispatchEvent(new CustomEvent('seatgrab:unauthorized', { detail: err.message }));
        }
        if ([401, 403, 404, 410].includes(err.status)) {
          closed = true;
          on_fatal(err);
          return;
        }
        if (err.status === 429 || err.status === 503) wait_s = Math.max(err.retry_after_s, 1);
        on_state(`${err.message} Trying again in ${Math.ceil(wait_s)} s…`);
      } else if (lost) {
        on_state(lost_text);
      } else {
        on_state('The live updates were cut: reconnecting…');
      }
      await sleep(wait_s * (0.8 + Math.random() * 0.4));
      backoff_s = Math.min(backoff_s * 2, 30);
    }
  })();

  return {
    close() {
      closed = true;
      if (controller) controller.abort();
    },
  };
}
