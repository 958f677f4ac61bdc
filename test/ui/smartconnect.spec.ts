/**
 * npm wslink's stock SmartConnect, unmodified, against the launcher under Jupyter in both
 * documented set-ups: a page of Jupyter's own origin with the login cookie, and a page of
 * another origin with the token in `sessionManagerURL`. Each launches `examples/heat.py`
 * through `POST /pvw/launcher`, opens the WebSocket to the `sessionURL` it answered and must
 * see a real frame from the engine.
 */
import { expect, Page, test } from '@playwright/test';

import { IMAGE_TOPIC, VIEW_ID } from '../../src/wire';
import { python } from './engine';
import {
  BASE_URL,
  FOREIGN_ORIGIN,
  FOREIGN_PORT,
  LAUNCHER_APP,
  PAGE_DIRS,
  RUNTIME_DIR,
  TOKEN
} from './server';
import { serveFiles } from './static-origin';

const LAUNCHER = `${BASE_URL}/pvw/launcher`;
const SIZE = [160, 120];

/** The page's query: SmartConnect's configuration and the stream to watch. */
function pageQuery(sessionManagerURL: string, xsrf = false): string {
  return new URLSearchParams({
    application: LAUNCHER_APP,
    sessionManagerURL,
    topic: IMAGE_TOPIC,
    viewId: VIEW_ID,
    size: SIZE.join('x'),
    ...(xsrf ? { xsrf: '1' } : {})
  }).toString();
}

/** Wait for the page's first frame and check what it learnt on the way. */
async function expectFrame(page: Page): Promise<Record<string, string>> {
  const result = page.locator('#result');
  // Minutes: the launch starts ParaView under mpiexec on a shared machine.
  await expect(result).toHaveAttribute('data-state', /frame|error/, { timeout: 200_000 });
  expect(await result.textContent()).toMatch(/^frame \d+: jpeg /);
  const data = await result.evaluate(el => ({ ...(el as HTMLElement).dataset }));
  // A real JPEG the browser decoded, of the size the engine said (a reduced frame may be
  // smaller than the view asked for, never larger).
  expect(`${data.width}x${data.height}`).toBe(data.frameSize);
  expect(Number(data.width)).toBeGreaterThan(0);
  expect(Number(data.width)).toBeLessThanOrEqual(SIZE[0]);
  // The engine's real secret never reached the browser: the proxy supplies it.
  const real = python(
    'import sys\nfrom jupyterlab_pvw.session_table import SessionTable\n' +
      'print(SessionTable(sys.argv[1]).get(sys.argv[2]).secret)',
    RUNTIME_DIR,
    data.id
  ).trim();
  expect(real.length).toBeGreaterThan(0);
  expect(data.secret).not.toBe(real);
  expect(await page.content()).not.toContain(real);
  return data;
}

test.describe('stock SmartConnect through the Jupyter launcher', () => {
  test.setTimeout(240_000);

  test.afterEach(async ({ request }) => {
    // Stop whatever a test launched, passed or failed: no engine outlives its test.
    const listed = await request.get(`${LAUNCHER}?token=${TOKEN}`);
    for (const session of (await listed.json()).sessions ?? []) {
      await request.delete(`${LAUNCHER}/${session.id}?token=${TOKEN}`);
    }
  });

  test('same origin, logged in: the cookie authenticates the launch and the WebSocket', async ({
    page,
    request
  }) => {
    const pagePath = '/static/smartconnect.html';
    // Log in through Jupyter's form; from here on only the cookie authenticates.
    await page.goto(`/login?next=${encodeURIComponent(`${pagePath}?${pageQuery(LAUNCHER)}`)}`);
    const refused = page.waitForResponse(r => r.url() === LAUNCHER);
    await page.fill('#password_input', TOKEN);
    await page.click('#login_submit');
    // Jupyter's XSRF check stands: a cookie POST without the _xsrf token launches nothing.
    expect((await refused).status()).toBe(403);
    const listed = await request.get(`${LAUNCHER}?token=${TOKEN}`);
    expect((await listed.json()).sessions).toEqual([]);

    // With it (SmartConnect's config.headers), the stock client launches and connects.
    await page.goto(`${pagePath}?${pageQuery(LAUNCHER, true)}`);
    const data = await expectFrame(page);
    expect(data.sessionUrl).toBe(
      `ws://127.0.0.1:${new URL(BASE_URL).port}/pvw/sessions/${data.id}/ws`
    );
  });

  test('another origin, the token in sessionManagerURL: the WebSocket is accepted too', async ({
    page,
    context,
    request
  }) => {
    const origin = await serveFiles(FOREIGN_PORT, PAGE_DIRS);
    try {
      const pageURL = `${FOREIGN_ORIGIN}/smartconnect.html`;
      // Without the token the launch is refused before anything starts (the browser sees
      // no answer: Jupyter's error pages carry no CORS header).
      await page.goto(`${pageURL}?${pageQuery(LAUNCHER)}`);
      await expect(page.locator('#result')).toHaveAttribute('data-state', 'error');
      expect((await (await request.get(`${LAUNCHER}?token=${TOKEN}`)).json()).sessions).toEqual([]);

      await page.goto(`${pageURL}?${pageQuery(`${LAUNCHER}?token=${TOKEN}`)}`);
      const data = await expectFrame(page);
      expect(await page.evaluate(() => window.location.origin)).toBe(FOREIGN_ORIGIN);
      expect(data.sessionUrl).toContain(`/pvw/sessions/${data.id}/ws?token=`);
      // No login cookie played a part: the browser holds none for the server.
      expect(await context.cookies(BASE_URL)).toEqual([]);
    } finally {
      await new Promise(resolve => origin.close(resolve));
    }
  });
});
