// The browser side of the benchmarks: Debian's Chromium, headless, driven by playwright-core.
//
//   node bench/browser.mjs '{"page":"ours","url":"ws://...","secret":"...","mode":"drag",
//                            "duration":10,"hz":60,"out":"/tmp/x.json"}'
//
// mode "drag": wait for the first painted frame, then press the left button in the middle of
//   the 600x600 viewport and move the real (CDP) mouse along a fixed Lissajous path at `hz`
//   for `duration` seconds, release, wait `settle` seconds for the last frames.
// mode "listen": print READY once a frame is painted, then record until a line arrives on
//   stdin (the in-situ benchmark's driver does the work meanwhile).
// Writes {frames, moves, error, window} (see web/common.js) to `out`.
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const opts = JSON.parse(process.argv[2]);
const size = opts.size || 600;
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function waitFor(page, predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await page.evaluate(
      () => window.bench && { ready: window.bench.ready, error: window.bench.error }
    );
    if (state && state.error) throw new Error(`page error: ${state.error}`);
    if (state && predicate(state)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function drag(page) {
  const hz = opts.hz || 60;
  const duration = (opts.duration || 10) * 1000;
  const cx = size / 2;
  const cy = size / 2;
  const at = t => [
    cx + 0.3 * size * Math.sin((2 * Math.PI * t) / 4000),
    cy + 0.15 * size * Math.sin((2 * Math.PI * t) / 2600)
  ];
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const start = Date.now();
  let k = 0;
  let late = 0;
  for (;;) {
    const target = start + (k * 1000) / hz;
    const wait = target - Date.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -1000 / hz) late += 1;
    const t = Date.now() - start;
    if (t >= duration) break;
    const [x, y] = at(t);
    await page.mouse.move(x, y);
    k = Math.floor(((Date.now() - start) * hz) / 1000) + 1;
  }
  const end = Date.now();
  const [x, y] = at(end - start);
  await page.mouse.move(x, y);
  await page.mouse.up();
  return { t_start: start, t_end: end, late_ticks: late };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.PVW_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  });
  const result = { error: null };
  try {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    page.on('console', m => {
      if (m.type() === 'error') process.stderr.write(`[page] ${m.text()}\n`);
    });
    // The page's own record only sees "Script error." (file:// pages are opaque origins).
    page.on('pageerror', e => process.stderr.write(`[page] ${e.stack || e}\n`));
    const q = new URLSearchParams({ url: opts.url, secret: opts.secret, size: String(size) });
    if (opts.interactive) q.set('interactive', String(opts.interactive));
    if (opts.still) q.set('still', String(opts.still));
    await page.goto(`${pathToFileURL(join(here, 'web', `${opts.page}.html`))}?${q}`);
    await waitFor(page, s => s.ready, 60000, 'the first painted frame');
    result.browser = browser.version();
    if (opts.mode === 'drag') {
      await sleep((opts.before || 1) * 1000);
      result.window = await drag(page);
      // Let the server work through the events it has queued (up to `drain` s), then settle.
      const drainUntil = Date.now() + (opts.drain || 40) * 1000;
      while (Date.now() < drainUntil) {
        const pending = await page.evaluate(
          () => window.bench.moves.filter(m => m.t_ack === null).length
        );
        if (pending === 0) break;
        await sleep(100);
      }
      result.drained = Date.now() < drainUntil;
      await sleep((opts.settle || 2) * 1000);
      if (opts.page === 'ours') {
        result.status = await page.evaluate(() => window.bench.status());
      }
    } else {
      process.stdout.write('READY\n');
      const rl = createInterface({ input: process.stdin });
      await new Promise(resolve => {
        rl.on('line', resolve);
        rl.on('close', resolve);
      });
      rl.close();
      await sleep(300);
    }
    const data = await page.evaluate(() => ({
      frames: window.bench.frames,
      moves: window.bench.moves,
      quality: window.bench.quality,
      error: window.bench.error
    }));
    Object.assign(result, data);
  } catch (e) {
    result.error = String(e && e.stack ? e.stack : e);
  } finally {
    await browser.close();
  }
  writeFileSync(opts.out, JSON.stringify(result));
  process.stdout.write(`DONE ${result.error ? 'error' : 'ok'}\n`);
}

main();
