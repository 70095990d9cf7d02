// What the browser says of itself when it joins a queue (DeviceSignals in the API): the
// bot guard weighs their absence. The device id is a random one kept in localStorage.
import { random_id } from './api.js';
import { sha256_hex } from './sha256.js';

const device_key = 'seatgrab.device';

/** This browser's own device id, made once and kept. */
export function device_id() {
  let id = localStorage.getItem(device_key);
  if (!id) {
    id = random_id();
    localStorage.setItem(device_key, id);
  }
  return id;
}

function canvas_hash() {
  try {
    const c = document.createElement('canvas');
    c.width = 200;
    c.height = 40;
    const g = c.getContext('2d');
    g.textBaseline = 'top';
    g.font = '16px sans-serif';
    g.fillStyle = '#f60';
    g.fillRect(100, 1, 62, 20);
    g.fillStyle = '#069';
    g.fillText('SeatGrab \u263a 1.0', 2, 15);
    g.fillStyle = 'rgba(102, 204, 0, 0.7)';
    g.fillText('SeatGrab \u263a 1.0', 4, 17);
    return sha256_hex(c.toDataURL()).slice(0, 32);
  } catch {
    return '';
  }
}

async function audio_hash() {
  try {
    const ctx = new OfflineAudioContext(1, 4410, 44100);
    const osc = ctx.createOscillator();
    osc.type = 'triangle';
    osc.frequency.value = 1000;
    const comp = ctx.createDynamicsCompressor();
    osc.connect(comp);
    comp.connect(ctx.destination);
    osc.start(0);
    const buf = await Promise.race([
      ctx.startRendering(),
      new Promise((_, no) => setTimeout(() => no(new Error('slow')), 500)),
    ]);
    const data = buf.getChannelData(0).subarray(4000, 4400);
    return sha256_hex(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).slice(0, 32);
  } catch {
    return '';
  }
}

/** The signals, every field present only when the browser could tell it. */
export async function device_signals() {
  const s = {};
  if (window.screen) s.screen = `${screen.width}x${screen.height}x${screen.colorDepth}`;
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) s.timezone = tz.slice(0, 64);
  } catch {
    // no time zone: left out
  }
  if (navigator.languages) s.languages = navigator.languages.join(',').slice(0, 256);
  if (navigator.platform) s.platform = navigator.platform.slice(0, 64);
  const canvas = canvas_hash();
  if (canvas) s.canvas = canvas;
  const audio = await audio_hash();
  if (audio) s.audio = audio;
  if (navigator.hardwareConcurrency) {
    s.hardware_concurrency = Math.min(1024, navigator.hardwareConcurrency);
  }
  return s;
}
