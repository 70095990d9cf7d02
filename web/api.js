// The public JSON API, as the pages call it: every error is the problem's `detail`, never a
// raw status, and a 429 or 503 waits out its Retry-After before it is tried again.

/** An answer of the API that is not a success: the problem's detail, code and status. */
export class problem_error extends Error {
  constructor(status, problem, retry_after_s) {
    super(problem.detail || problem.title || `The server answered ${status}.`);
    this.status = status;
    this.code = problem.code || '';
    this.retry_after_s = retry_after_s;
  }
}

const sleep = (s) => new Promise((done) => setTimeout(done, s * 1000));

/**
 * Calls `path` and returns its JSON. `tries` bounds how often a 429 or 503 is waited out;
 * `on_wait(seconds)` is told before each wait, so that the page can say so.
 */
export async function call(path, { method = 'GET', body, token, tries = 3, on_wait } = {}) {
  for (let attempt = 1; ; ++attempt) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.ok) return res.status === 204 ? null : res.json();
    const retry_after_s = Number(res.headers.get('Retry-After')) || 1;
    let p = {};
    try {
      p = await res.json();
    } catch {
      // not a problem document: the status says it all
    }
    const err = new problem_error(res.status, p, retry_after_s);
    if ((res.status === 429 || res.status === 503) && attempt < tries) {
      if (on_wait) on_wait(retry_after_s);
      await sleep(retry_after_s);
      continue;
    }
    throw err;
  }
}

/** Minor units as a price, e.g. 12900 -> "129.00". */
export function price(minor) {
  return (minor / 100).toFixed(2);
}
