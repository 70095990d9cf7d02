// SHA-256 in plain JS (FIPS 180-4), for the proof of work: one crypto.subtle.digest call per
// nonce costs a promise and a copy each, this costs a compression or two. `pow_search` keeps
// the midstate of the challenge's whole blocks and hashes only the tail per nonce.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
  0x5be0cd19];

const W = new Uint32Array(64);

/** Compresses the 64-byte block of `bytes` at `off` into the state `h` (8 words). */
function compress(h, bytes, off) {
  for (let i = 0; i < 16; ++i) {
    const j = off + i * 4;
    W[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
  }
  for (let i = 16; i < 64; ++i) {
    const a = W[i - 15];
    const b = W[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let [a, b, c, d, e, f, g, hh] = h;
  for (let i = 0; i < 64; ++i) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    hh = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
}

/** Pads `tail` (the bytes after `done` whole bytes) into `buf`; returns the blocks' length. */
function pad(buf, tail_len, total_len) {
  buf[tail_len] = 0x80;
  const n = tail_len + 9 <= 64 ? 64 : 128;
  buf.fill(0, tail_len + 1, n);
  const bits = total_len * 8;
  buf[n - 4] = (bits >>> 24) & 0xff; // messages here stay far below 2^32 bits
  buf[n - 3] = (bits >>> 16) & 0xff;
  buf[n - 2] = (bits >>> 8) & 0xff;
  buf[n - 1] = bits & 0xff;
  buf[n - 5] = Math.floor(bits / 2 ** 32) & 0xff;
  return n;
}

/** SHA-256 of a string (UTF-8) or bytes, as lower-case hex. */
export function sha256_hex(input) {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const h = new Int32Array(IV);
  const whole = bytes.length - (bytes.length % 64);
  for (let off = 0; off < whole; off += 64) compress(h, bytes, off);
  const buf = new Uint8Array(128);
  buf.set(bytes.subarray(whole));
  const n = pad(buf, bytes.length - whole, bytes.length);
  for (let off = 0; off < n; off += 64) compress(h, buf, off);
  return Array.from(h, (x) => (x >>> 0).toString(16).padStart(8, '0')).join('');
}

/** Whether the state's digest starts with `bits` zero bits (most significant bit first). */
function leading_zeros(h, bits) {
  let i = 0;
  for (; bits >= 32; bits -= 32, ++i) if (h[i] !== 0) return false;
  return bits === 0 || (h[i] >>> (32 - bits)) === 0;
}

/**
 * Tries the decimal nonces from `start` up, `count` of them, for SHA-256(prefix + nonce) with
 * `bits` leading zero bits; returns the nonce found (a number) or -1.
 */
export function pow_search(prefix, bits, start, count) {
  const bytes = new TextEncoder().encode(prefix);
  const whole = bytes.length - (bytes.length % 64);
  const mid = new Int32Array(IV);
  for (let off = 0; off < whole; off += 64) compress(mid, bytes, off);
  const rest = bytes.subarray(whole);
  const buf = new Uint8Array(128);
  const h = new Int32Array(8);
  for (let nonce = start; nonce < start + count; ++nonce) {
    buf.set(rest);
    const digits = String(nonce);
    let len = rest.length;
    for (let i = 0; i < digits.length; ++i) buf[len++] = digits.charCodeAt(i);
    const n = pad(buf, len, whole + len);
    h.set(mid);
    compress(h, buf, 0);
    if (n === 128) compress(h, buf, 64);
    if (leading_zeros(h, bits)) return nonce;
  }
  return -1;
}
