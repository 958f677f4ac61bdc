/**
 * Three people on one session through the Jupyter proxy, one browser context each (each its
 * own anonymous Jupyter user): frames of each one's own size, presence, the driver rule and
 * hand-over as the UI shows them, and a viewer link opening a working watcher viewport.
 */
import { Browser, BrowserContext, expect, Locator, Page, test } from '@playwright/test';

import { Engine } from './engine';
import { drag, openLab, runFromPalette, settledFrame } from './lab';
import { canvasSignature, difference } from './pixels';
import { TOKEN } from './server';

const SESSION = 'uicollab';
const WINDOWS = [
  { width: 1280, height: 800 },
  { width: 1100, height: 720 },
  { width: 980, height: 640 }
];

test.describe.configure({ mode: 'serial', timeout: 240_000 });

interface IPerson {
  context: BrowserContext;
  page: Page;
  viewport: Locator;
  name: string; // as others see it in notices ("<name> drives")
  username: string;
}

async function join(browser: Browser, window: { width: number; height: number }) {
  const context = await browser.newContext({ viewport: window });
  const page = await context.newPage();
  await openLab(page);
  await runFromPalette(page, 'ParaViewWeb: Open Viewport Panel');
  const panel = page.locator('#jp-pvw-panel');
  await panel.locator(`.jp-pvw-Panel-session[data-session-id="${SESSION}"] button`).click();
  const viewport = panel.locator('.jp-pvw-Viewport');
  await settledFrame(viewport, 0, 60_000);
  const me = panel.locator('.jp-pvw-PresenceList-viewer', { hasText: '(you)' });
  await expect(me).toHaveCount(1);
  const name = (await me.getAttribute('data-name'))!;
  const username = (await me.getAttribute('data-username'))!;
  return { context, page, viewport, name, username };
}

test.describe('several people on one session', () => {
  let engine: Engine;
  const people: IPerson[] = [];

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(240_000);
    engine = await Engine.start(SESSION);
    for (const window of WINDOWS) {
      people.push(await join(browser, window));
    }
  });

  test.afterAll(async () => {
    for (const person of people) {
      await person.context.close();
    }
    await engine?.stop();
  });

  test('each draws frames of its own size, and all see three viewers', async () => {
    const sizes = new Set<string>();
    for (const { page, viewport } of people) {
      const canvas = viewport.locator('canvas');
      const stage = (await viewport.locator('.jp-pvw-Viewport-stage').boundingBox())!;
      const drawn = await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
      expect(Math.abs(drawn[0] - Math.round(stage.width))).toBeLessThanOrEqual(2);
      expect(Math.abs(drawn[1] - Math.round(stage.height))).toBeLessThanOrEqual(2);
      sizes.add(drawn.join('x'));
      await expect(page.locator('#jp-pvw-panel .jp-pvw-PresenceList')).toHaveAttribute(
        'data-viewers',
        '3'
      );
    }
    expect(sizes.size).toBe(3);
    expect(new Set(people.map(p => p.username)).size).toBe(3);
    // Three different lines, even when Jupyter gave two anonymous people the same name.
    for (const { page } of people) {
      const lines = await page
        .locator('#jp-pvw-panel .jp-pvw-PresenceList-viewer')
        .allTextContents();
      expect(new Set(lines.map(line => line.replace(' (you)', ''))).size).toBe(3);
    }
  });

  test("a watcher's drag is refused and says who drives; hand-over moves everyone", async () => {
    const [ada, bob, cy] = people;
    // The first to come drives.
    await expect(ada.viewport).toHaveAttribute('data-driving', 'true');
    await expect(bob.viewport).toHaveAttribute('data-driving', 'false');
    const bobCanvas = bob.viewport.locator('canvas');
    const before = await canvasSignature(bobCanvas);
    await drag(bob.page, bobCanvas, 90, 30);
    await expect(bob.viewport).toContainText(`${ada.name} drives`);
    expect(difference(before, await canvasSignature(bobCanvas))).toBeLessThan(2);

    const ask = bob.viewport.locator('.jp-pvw-Viewport-control');
    await expect(ask).toHaveText('Ask for control');
    await ask.click();
    const handOver = ada.viewport.locator('.jp-pvw-Viewport-control');
    await expect(handOver).toContainText(`Hand over to ${bob.name}`);
    await handOver.click();
    await expect(bob.viewport).toHaveAttribute('data-driving', 'true');
    await expect(ada.viewport).toHaveAttribute('data-driving', 'false');
    await expect(cy.page.locator('.jp-pvw-PresenceList-viewer.jp-mod-driver')).toContainText(
      bob.name
    );

    const frames = await Promise.all(people.map(p => settledFrame(p.viewport)));
    const seen = await Promise.all(people.map(p => canvasSignature(p.viewport.locator('canvas'))));
    await drag(bob.page, bobCanvas, 90, 30);
    for (const [i, person] of people.entries()) {
      await settledFrame(person.viewport, frames[i]);
      const now = await canvasSignature(person.viewport.locator('canvas'));
      expect(difference(seen[i], now), `${person.name}'s view follows`).toBeGreaterThan(3);
    }
  });

  test('the viewer link opens a working watcher viewport', async () => {
    const cy = people[2];
    await cy.viewport.getByRole('button', { name: 'Copy viewer link' }).click();
    const toast = cy.page.locator('.Toastify__toast', { hasText: 'Viewer link copied' });
    const text = (await toast.textContent())!;
    const link = text.match(/https?:\/\/\S+pvw-session=\S+/)![0];
    expect(link).toContain(`pvw-session=${SESSION}`);

    const page = await cy.context.newPage();
    await page.goto(`${link}&reset&token=${TOKEN}`);
    const viewer = page.locator('.jp-pvw-Viewer .jp-pvw-Viewport');
    await settledFrame(viewer, 0, 60_000);
    await expect(viewer).toHaveAttribute('data-driving', 'false');
    await page.close();
  });
});
