// The proof of work, off the page's thread: finds a nonce such that
// SHA-256(challenge ":" nonce) starts with `difficulty` zero bits (nonce in decimal, bits most
// significant first, as security/proof_of_work.cpp checks). Reports progress every batch.
import { pow_search } from './sha256.js';

const batch = 20000;

self.onmessage = (e) => {
  const { challenge, difficulty } = e.data;
  const prefix = `${challenge}:`;
  let tried = 0;
  const step = () => {
    const found = pow_search(prefix, difficulty, tried, batch);
    if (found >= 0) {
      self.postMessage({ nonce: String(found), tried: found + 1 });
      return;
    }
    tried += batch;
    self.postMessage({ tried });
    setTimeout(step, 0); // lets a terminate() through
  };
  step();
};
