/**
 * Driving JupyterLab in the browser tests: opening it, the command palette, viewports.
 */
import { expect, Locator, Page } from '@playwright/test';

import { TOKEN } from './server';

/**
 * Open JupyterLab with a reset workspace and wait until the shell has settled.
 *
 * The splash screen goes before the workspace is restored; the restore ends by focusing the
 * main area (the launcher here), which would close a command palette opened earlier.
 */
export async function openLab(page: Page, path = 'lab'): Promise<void> {
  await page.goto(`/${path}?reset&token=${TOKEN}`);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, { timeout: 60_000 });
  await page.waitForFunction(
    () => !!document.activeElement?.closest('#jp-main-dock-panel'),
    undefined,
    { timeout: 30_000 }
  );
}

/**
 * Open the command palette from the keyboard and filter it.
 */
export async function searchPalette(page: Page, query: string): Promise<void> {
  await page.keyboard.press('Control+Shift+C');
  const input = page.locator('.lm-CommandPalette-input').filter({ visible: true });
  await expect(input).toBeFocused();
  await input.fill(query);
}

/**
 * The palette item with exactly this label (visible or not).
 */
export function paletteItem(page: Page, label: string): Locator {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page
    .locator('.lm-CommandPalette-item')
    .filter({ has: page.locator('.lm-CommandPalette-itemLabel', { hasText: exact }) });
}

/**
 * Run a command from the palette.
 */
export async function runFromPalette(page: Page, label: string): Promise<void> {
  await searchPalette(page, label);
  await paletteItem(page, label).click();
}

/**
 * The toast showing this text.
 */
export function toast(page: Page, text: string): Locator {
  return page.locator('.Toastify__toast').filter({ hasText: text });
}

/**
 * How many frames a viewport has drawn.
 */
export async function framesDrawn(viewport: Locator): Promise<number> {
  return Number(await viewport.getAttribute('data-frames'));
}

/**
 * Wait until a viewport is live and shows a full-quality frame newer than frame `after`, and
 * no further frame arrives for a moment (the picture has settled).
 *
 * @returns the number of frames drawn by then
 */
export async function settledFrame(
  viewport: Locator,
  after = 0,
  timeout = 30_000
): Promise<number> {
  await expect(viewport).toHaveAttribute('data-state', 'live', { timeout });
  let last = -1;
  let stableSince = Date.now();
  await expect
    .poll(
      async () => {
        const frames = await framesDrawn(viewport);
        const still = (await viewport.getAttribute('data-still')) === 'true';
        if (frames !== last) {
          last = frames;
          stableSince = Date.now();
        }
        return frames > after && still && Date.now() - stableSince >= 700;
      },
      { timeout, intervals: [100] }
    )
    .toBe(true);
  return last;
}

/**
 * Drag across a viewport's canvas with the mouse, from its centre by (dx, dy) pixels.
 */
export async function drag(
  page: Page,
  canvas: Locator,
  dx: number,
  dy: number,
  modifiers: ('Shift' | 'Control')[] = []
): Promise<void> {
  const box = (await canvas.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  for (const key of modifiers) {
    await page.keyboard.down(key);
  }
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y + dy, { steps: 12 });
  await page.mouse.up();
  for (const key of modifiers) {
    await page.keyboard.up(key);
  }
}
