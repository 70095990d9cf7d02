// A real `seatgrab serve` for one test file: a free loopback port, a fresh data directory,
// a random admin token. Its log is kept and printed when a test of the file failed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach } from 'node:test';

// The repository's build by default, wherever the repository is.
export const seatgrab_bin = process.env.SEATGRAB_BIN
  || fileURLToPath(new URL('../../../build/app/seatgrab', import.meta.url));

// Servers still running when this process exits (a failed test, exit(), a signal): killed so
// that none outlives the test file, their temporary directories removed (unless
// SEATGRAB_WEB_KEEP). A top-level error of a test file (a failed setup) ends node from the
// test runner's uncaughtException handler, where no 'exit' event comes, and a SIGKILL runs
// nothing: for those the server is started through setpriv --pdeathsig (util-linux, which
// execs it under the same pid), so that the kernel kills it when this process dies.
const setpriv = '/usr/bin/setpriv';
const running = new Set();
const dirs = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  if (process.env.SEATGRAB_WEB_KEEP) return;
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
});
// A signal's default action would end node without the 'exit' event: exit() instead.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => process.exit(128 + constants.signals[sig]));
}

/** Resolves when `check()` returns a truthy value; throws `what` after `timeout_ms`. */
export async function until(check, { timeout_ms = 10_000, every_ms = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout_ms;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if (err.fatal) throw err; // no use waiting any longer
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((done) => setTimeout(done, every_ms));
  }
}

// The kernel picks a free port; the server binds it right after (a tiny race, retried by
// start_server when the bind fails).
function free_port() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server; `flags` are extra `serve` flags. Registers its stop (SIGTERM) in an
 * after() hook of the calling test file. Returns { url, page_url, token, admin, make_venue,
 * make_event, sign_up, request, log }: open pages at page_url, call the API at url.
 */
export async function start_server({ flags = [], timeout_ms = 20_000 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'seatgrab-web-'));
  dirs.add(dir);
  const data_dir = await mkdtemp(join(dir, 'data-')); // mkdtemp makes it 0700
  const token = randomBytes(24).toString('hex');
  let failed = false;
  afterEach((t) => {
    // The context's passed flag says whether the test failed (node 20.x).
    if (t && t.passed === false) failed = true;
  });
  let server;
  for (let attempt = 1; ; ++attempt) {
    try {
      server = await launch({ data_dir, token, flags, timeout_ms });
      break;
    } catch (err) {
      if (attempt >= 3 || !err.retry) {
        process.stderr.write(`seatgrab serve did not start:\n${err.log || ''}\n`);
        throw err;
      }
    }
  }
  // The pages' address: the server itself, or with SEATGRAB_WEB_DEV_PROXY=1 a proxy that
  // serves web/ from disk in front of it (no rebuild while the pages change).
  server.page_url = server.url;
  let proxy = null;
  if (process.env.SEATGRAB_WEB_DEV_PROXY === '1') {
    const { start_dev_proxy } = await import('./dev_proxy.mjs');
    proxy = await start_dev_proxy(server.url);
    server.page_url = proxy.url;
  }
  after(async () => {
    if (proxy) await proxy.close();
    await server.stop();
    if (failed || process.env.SEATGRAB_WEB_SERVER_LOG) {
      process.stderr.write(`--- seatgrab serve log (${server.url}) ---\n${await server.log()}\n---\n`);
    }
    if (!process.env.SEATGRAB_WEB_KEEP) await rm(dir, { recursive: true, force: true });
    dirs.delete(dir);
  });
  return server;
}

async function launch({ data_dir, token, flags, timeout_ms }) {
  const port = await free_port();
  const url = `http://127.0.0.1:${port}`;
  const chunks = [];
  const args = ['serve', '--data-dir', data_dir, '--listen', `127.0.0.1:${port}`, '--admin-token', token,
    '--scrypt-cost', '10', ...flags];
  // Through setpriv when there is one: see `running` above.
  const child = existsSync(setpriv)
    ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', seatgrab_bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(seatgrab_bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  child.stdout.on('data', (b) => chunks.push(b));
  child.stderr.on('data', (b) => chunks.push(b));
  let exited = null;
  const gone = new Promise((done) => {
    child.on('exit', (code, sig) => done((exited = { code, sig })));
    // Not started at all (missing, not executable): no exit event follows.
    child.on('error', (err) => done((exited = { code: err.code, sig: null })));
  });
  const log = async () => Buffer.concat(chunks).toString('utf8');
  try {
    // Process start, not timing: poll /healthz until it answers or the process ends.
    await until(async () => {
      if (exited) throw Object.assign(new Error(`seatgrab serve exited (${exited.code ?? exited.sig})`), { fatal: true });
      const res = await fetch(`${url}/healthz`);
      return res.ok;
    }, { timeout_ms, every_ms: 100, what: `${url}/healthz` });
  } catch (err) {
    child.kill('SIGKILL');
    const text = await log();
    throw Object.assign(err, { log: text, retry: /address already in use|bind/i.test(text) });
  }
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  };
  return make_api({ url, token, stop, log, data_dir });
}

function make_api({ url, token, stop, log, data_dir }) {
  /** Calls the API; answers { status, body, headers } and never throws on a status. */
  async function request(method, path, body, bearer) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const res = await fetch(url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (metrics, pages): the text itself
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  // Throws with the problem's detail when the status is not the one expected.
  function expect_ok(res, what) {
    if (res.status >= 200 && res.status < 300) return res.body;
    throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  const admin = async (method, path, body) =>
    expect_ok(await request(method, path, body, token), `${method} ${path}`);

  /**
   * A venue of `sections` (ids "A", "B", …) of `rows` rows × `seats` seats, seat ids
   * "<section>-<row>-<n>", positions on a 1-unit grid, every section at `price` cents.
   */
  async function make_venue({ id = 'hall', name = 'Test Hall', sections = 2, rows = 2, seats = 5,
    price = 5000 } = {}) {
    const venue = {
      id,
      name,
      currency: 'EUR',
      price_tiers: [{ id: 'std', name: 'Standard', price }],
      sections: Array.from({ length: sections }, (_, s) => {
        const sid = String.fromCharCode(65 + s);
        return {
          id: sid,
          name: `Section ${sid}`,
          tier: 'std',
          rows: Array.from({ length: rows }, (_, r) => ({
            id: String(r + 1),
            seats: Array.from({ length: seats }, (_, n) => ({
              id: `${sid}-${r + 1}-${n + 1}`,
              number: n + 1,
              x: n,
              y: r,
            })),
          })),
        };
      }),
    };
    return admin('POST', '/v1/admin/venues', venue);
  }

  /**
   * An event on `venue_id`, opened for sale now (FIFO queue, opens_at in the past). With
   * `pricing` ({interval_s, ladders}) the policy is published first, which must happen
   * before the sale opens: opens_at is then an hour ahead and the event opened by hand.
   */
  async function make_event({ id = 'show', venue_id = 'hall', name = 'Test Show', hold_ttl_s = 120,
    admission_per_min = 600, max_active_shoppers = 100, queue_mode = 'fifo', pricing, ...more } = {}) {
    await admin('POST', '/v1/admin/events', {
      id,
      venue_id,
      name,
      opens_at: new Date(Date.now() + (pricing ? 3_600_000 : -60_000)).toISOString(),
      hold_ttl_s,
      admission_per_min,
      max_active_shoppers,
      queue_mode,
      ...more,
    });
    if (pricing) await admin('PUT', `/v1/admin/events/${id}/pricing`, pricing);
    // An event whose opens_at has passed may already be open: that answer is fine.
    const res = await request('POST', `/v1/admin/events/${id}/open`, undefined, token);
    if (!(res.status < 300 || (res.status === 400 && /already open/.test(res.body?.detail || ''))))
      expect_ok(res, `open ${id}`);
    return admin('GET', `/v1/events/${id}`);
  }

  /** Signs up `email` and logs in: the bearer token. */
  async function sign_up(email, password = 'correct horse battery staple') {
    expect_ok(await request('POST', '/v1/accounts', { email, password }), `sign up ${email}`);
    return expect_ok(await request('POST', '/v1/sessions', { email, password }), `log in ${email}`).token;
  }

  return { url, token, data_dir, stop, log, request, admin, make_venue, make_event, sign_up };
}
