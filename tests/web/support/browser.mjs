// Debian's chromium driven by playwright-core (Playwright's own browser download does not
// work here), kept off the network, with a page that records console errors and CSP
// violations, an axe check and screenshots kept as CI artefacts.
import AxeBuilder from '@axe-core/playwright';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const artefacts_dir = resolve(process.env.SEATGRAB_WEB_ARTEFACTS || join(here, '..', 'artefacts'));
export const chromium_path = process.env.SEATGRAB_CHROMIUM || '/usr/bin/chromium';

// HeadlessChrome's own user agent is scored as automation by the server's bot guard.
export const desktop_ua =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches chromium once for the calling test file (closed in an after() hook). Each
 * new_context() is a fresh profile's worth of cookies and storage, like a second fan.
 */
export async function start_browser() {
  // launch() refuses --user-data-dir: it gives chromium a fresh temporary profile of its
  // own and removes it on close, which is what a fresh --user-data-dir would be.
  const browser = await chromium.launch({ executablePath: chromium_path, headless: true, args: flags });
  after(() => browser.close());

  async function new_context() {
    return browser.newContext({
      userAgent: desktop_ua,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
    });
  }

  /**
   * A page in a context of its own (or `context`). `page.problems` collects console errors,
   * uncaught exceptions and CSP violations: a test asserts it stays empty.
   */
  async function new_page(context) {
    const ctx = context || (await new_context());
    const page = await ctx.newPage();
    page.problems = [];
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const where = msg.location()?.url || '';
      // chromium asks for /favicon.ico by itself; its 404 is no fault of the page.
      if (where.endsWith('/favicon.ico')) return;
      page.problems.push(`console: ${msg.text()}${where ? ` (${where})` : ''}`);
    });
    page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
    // A CSP violation is reported on the console too; this catches it even if not.
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    return page;
  }

  return { browser, new_context, new_page };
}

/** axe-core's violations of impact serious or critical (WCAG 2.1 A/AA and best practice). */
export async function axe_check(page, { include } = {}) {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']);
  if (include) builder = builder.include(include);
  const { violations } = await builder.analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Saves a full-page PNG as `<artefacts>/<name>.png`; returns its path. */
export async function screenshot(page, name) {
  await mkdir(artefacts_dir, { recursive: true });
  const path = join(artefacts_dir, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
