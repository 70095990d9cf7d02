// Runs the proof of work in a Web Worker (pow_worker.js) and reports its progress: hashes
// tried against the 2^difficulty expected.

/**
 * Solves `challenge` at `difficulty` bits; `on_progress(tried, expected)` is told as it goes.
 * Returns the nonce (a string). `signal` (an AbortSignal) stops the worker.
 */
export function solve(challenge, difficulty, on_progress, signal) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./pow_worker.js', import.meta.url), { type: 'module' });
    const expected = 2 ** difficulty;
    const stop = () => worker.terminate();
    if (signal) {
      signal.addEventListener('abort', () => {
        stop();
        reject(new DOMException('The proof of work was stopped.', 'AbortError'));
      }, { once: true });
    }
    worker.onmessage = (e) => {
      if (on_progress) on_progress(e.data.tried, expected);
      if (e.data.nonce !== undefined) {
        stop();
        resolve(e.data.nonce);
      }
    };
    worker.onerror = (e) => {
      stop();
      reject(new Error(`The proof of work could not run: ${e.message || 'worker error'}`));
    };
    worker.postMessage({ challenge, difficulty });
  });
}
