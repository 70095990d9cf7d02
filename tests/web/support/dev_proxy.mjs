// Opt-in (SEATGRAB_WEB_DEV_PROXY=1): serves web/ from disk in front of a running server, so
// that the pages can be tested without rebuilding the binary that embeds them. The pages
// get the same headers as the server's own; every other path goes to the server.
import { readFile } from 'node:fs/promises';
import { createServer, request as http_request } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const web_dir = resolve(process.env.SEATGRAB_WEB_DIR || join(here, '..', '..', '..', 'web'));

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'self'; frame-ancestors 'none'";
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};
const pages = { '/': 'index.html', '/ops': 'ops.html' };

async function serve_file(res, name) {
  // Names only, no folders: nothing outside web/ is served.
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) return false;
  let body;
  try {
    body = await readFile(join(web_dir, name));
  } catch {
    return false;
  }
  if (extname(name) === '.html') body = Buffer.from(body.toString('utf8').replaceAll('{{web}}', '/web/dev'));
  res.writeHead(200, {
    'Content-Type': types[extname(name)] || 'application/octet-stream',
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  res.end(body);
  return true;
}

/** Starts the proxy on a free loopback port in front of `target`; resolves { url, close }. */
export function start_dev_proxy(target) {
  const upstream = new URL(target);
  const srv = createServer(async (req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && (pages[path] || path.startsWith('/web/dev/'))) {
      const name = pages[path] || path.slice('/web/dev/'.length);
      if (await serve_file(res, name)) return;
    }
    const out = http_request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
    res.on('close', () => out.destroy()); // an SSE stream ends when the page goes
  });
  return new Promise((done) => {
    srv.listen(Number(process.env.SEATGRAB_WEB_DEV_PORT || 0), '127.0.0.1', () => {
      const { port } = srv.address();
      done({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((closed) => {
          srv.closeAllConnections();
          srv.close(closed);
        }),
      });
    });
  });
}

// Run by hand: node dev_proxy.mjs http://127.0.0.1:18500 (port from SEATGRAB_WEB_DEV_PORT).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await start_dev_proxy(process.argv[2] || 'http://127.0.0.1:8080');
  console.log(`web/ from ${web_dir} at ${url}`);
}
