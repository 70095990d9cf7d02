// The event-stream parser of web/sse.js (no browser needed): frames split anywhere between
// chunks, a CRLF split between two chunks included, keep their event name, id and data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sse_parser } from '../../web/sse.js';

const parse = (chunks) => {
  const got = [];
  const feed = sse_parser((e) => got.push(e));
  for (const c of chunks) feed(c);
  return got;
};

test('a CRLF split between two chunks keeps the event name', () => {
  assert.deepEqual(parse(['event: status\r', '\nid: 3\r\ndata: {"a":1}\r\n\r\n']),
    [{ event: 'status', data: '{"a":1}', id: '3' }]);
});

test('a lone CR ends a line, and CR CR is a blank line', () => {
  assert.deepEqual(parse(['event: x\rdata: 1\r', '\r', 'event: y\ndata: 2\n\n']), [
    { event: 'x', data: '1', id: null },
    { event: 'y', data: '2', id: null },
  ]);
});

test('every split of a CRLF frame gives the same events', () => {
  const text = ': hello\r\nevent: delta\r\nid: 7\r\ndata: a\r\ndata: b\r\n\r\nevent: snapshot\r\ndata: c\r\n\r\n';
  const whole = parse([text]);
  assert.deepEqual(whole, [
    { event: 'delta', data: 'a\nb', id: '7' },
    { event: 'snapshot', data: 'c', id: null },
  ]);
  for (let i = 1; i < text.length; ++i) {
    assert.deepEqual(parse([text.slice(0, i), text.slice(i)]), whole, `split at ${i}`);
  }
  assert.deepEqual(parse([...text]), whole, 'one character at a time');
});
