/**
 * The side panel on a real 2-rank engine (no notebook): listing, streaming, interaction,
 * reconnecting after an engine restart, and "stopped" once the session is gone.
 */
import * as path from 'path';
import { expect, Page, test } from '@playwright/test';

import { Engine } from './engine';
import { drag, openLab, runFromPalette, settledFrame } from './lab';
import { canvasSignature, dataFraction, difference, expectRedOverBlue } from './pixels';
import { REPO_ROOT } from './server';

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'ui');
const SESSION = 'uipanel';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.describe('the side panel on a real engine', () => {
  let engine: Engine;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    engine = await Engine.start(SESSION);
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    await page?.close();
    await engine?.stop();
  });

  test('lists the session and streams both ranks’ pieces', async () => {
    await openLab(page);
    await runFromPalette(page, 'ParaViewWeb: Open Viewport Panel');
    const panel = page.locator('#jp-pvw-panel');
    await expect(panel).toBeVisible();
    const item = panel.locator(`.jp-pvw-Panel-session[data-session-id="${SESSION}"]`);
    await expect(item).toContainText('ui-test');
    await expect(item).toContainText('2 ranks');
    await expect(item).toContainText('started outside Jupyter');

    await item.locator('button').click();
    const viewport = panel.locator('.jp-pvw-Viewport');
    await settledFrame(viewport);
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('Live');
    const halves = await expectRedOverBlue(viewport.locator('canvas'));
    // The engine renders at the panel's size (the viewport fills the panel).
    const stage = (await viewport.locator('.jp-pvw-Viewport-stage').boundingBox())!;
    expect(Math.abs(halves.width - Math.round(stage.width))).toBeLessThanOrEqual(2);
    expect(Math.abs(halves.height - Math.round(stage.height))).toBeLessThanOrEqual(2);
    await page.screenshot({ path: path.join(SHOTS, 'panel.png') });
  });

  test('a drag turns the camera; r resets it; the wheel zooms', async () => {
    const viewport = page.locator('#jp-pvw-panel .jp-pvw-Viewport');
    const canvas = viewport.locator('canvas');
    let frames = await settledFrame(viewport);
    // The reset view is the reference (the engine's first camera need not be the same).
    await viewport.getByRole('button', { name: 'Reset camera' }).click();
    frames = await settledFrame(viewport, frames);
    const before = await canvasSignature(canvas);

    await drag(page, canvas, 80, 40);
    frames = await settledFrame(viewport, frames);
    const dragged = await canvasSignature(canvas);
    expect(difference(before, dragged)).toBeGreaterThan(3);
    await page.screenshot({ path: path.join(SHOTS, 'panel-dragged.png') });

    // The drag focused the viewport; its keys reach it before JupyterLab's shortcuts.
    await expect(viewport).toBeFocused();
    await page.keyboard.press('r');
    frames = await settledFrame(viewport, frames);
    expect(difference(before, await canvasSignature(canvas))).toBeLessThan(2);

    // Each arrow key turns the camera by a short drag (10 degrees).
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('ArrowLeft');
    }
    frames = await settledFrame(viewport, frames);
    expect(difference(before, await canvasSignature(canvas))).toBeGreaterThan(3);
    await page.keyboard.press('r');
    frames = await settledFrame(viewport, frames);

    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    frames = await settledFrame(viewport, frames);
    const zoomed = await canvasSignature(canvas);
    expect(difference(before, zoomed)).toBeGreaterThan(3);

    await runFromPalette(page, 'ParaViewWeb: Reset Camera');
    await settledFrame(viewport, frames);
    expect(difference(before, await canvasSignature(canvas))).toBeLessThan(2);
  });

  test('touch: one finger rotates, two fingers pinch to zoom', async () => {
    const viewport = page.locator('#jp-pvw-panel .jp-pvw-Viewport');
    const canvas = viewport.locator('canvas');
    let frames = await settledFrame(viewport);
    const before = await canvasSignature(canvas);
    const covered = await dataFraction(canvas);
    const box = (await canvas.boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    // Pointer events as a touch screen sends them.
    const touch = (type: string, pointerId: number, x: number, y: number) =>
      canvas.dispatchEvent(type, {
        pointerId,
        pointerType: 'touch',
        isPrimary: pointerId === 1,
        clientX: x,
        clientY: y,
        buttons: type === 'pointerup' ? 0 : 1,
        bubbles: true
      });

    await touch('pointerdown', 1, cx, cy);
    for (let i = 1; i <= 10; i++) {
      await touch('pointermove', 1, cx + 6 * i, cy);
    }
    await touch('pointerup', 1, cx + 60, cy);
    frames = await settledFrame(viewport, frames);
    const rotated = await canvasSignature(canvas);
    expect(difference(before, rotated)).toBeGreaterThan(3);

    await viewport.getByRole('button', { name: 'Reset camera' }).click();
    frames = await settledFrame(viewport, frames);
    await touch('pointerdown', 1, cx - 20, cy);
    await touch('pointerdown', 2, cx + 20, cy);
    for (let i = 1; i <= 10; i++) {
      await touch('pointermove', 2, cx + 20 + 8 * i, cy);
    }
    await touch('pointerup', 2, cx + 100, cy);
    await touch('pointerup', 1, cx - 20, cy);
    await settledFrame(viewport, frames);
    const pinched = await canvasSignature(canvas);
    expect(difference(before, pinched)).toBeGreaterThan(3);
    // Spreading the fingers zoomed in: the data covers more of the picture.
    expect(await dataFraction(canvas)).toBeGreaterThan(covered + 0.05);
    await page.screenshot({ path: path.join(SHOTS, 'panel-pinched.png') });
    await viewport.getByRole('button', { name: 'Reset camera' }).click();
  });

  test('a new timestep reaches the viewport', async () => {
    const viewport = page.locator('#jp-pvw-panel .jp-pvw-Viewport');
    const canvas = viewport.locator('canvas');
    const frames = await settledFrame(viewport);
    const before = await canvasSignature(canvas);
    // Values 5 (rank 0) and 6 (rank 1): one colour all over once the range adapts, or at
    // least a different picture.
    await engine.command('next 5');
    await settledFrame(viewport, frames);
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('step 1');
    expect(difference(before, await canvasSignature(canvas))).toBeGreaterThan(1);
  });

  test('an engine restart is survived: reconnecting, then live again', async () => {
    const viewport = page.locator('#jp-pvw-panel .jp-pvw-Viewport');
    const frames = await settledFrame(viewport);
    const restart = engine.restart();
    await expect(viewport).toHaveAttribute('data-state', 'reconnecting', { timeout: 30_000 });
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText(
      'Connection lost — reconnecting'
    );
    await page.screenshot({ path: path.join(SHOTS, 'panel-reconnecting.png') });
    await restart;
    await settledFrame(viewport, frames, 60_000);
    await expectRedOverBlue(viewport.locator('canvas'));
  });

  test('a stopped session says so calmly and keeps its last picture', async () => {
    const viewport = page.locator('#jp-pvw-panel .jp-pvw-Viewport');
    await settledFrame(viewport);
    await engine.stop();
    await expect(viewport).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText(
      `Stopped · session ${SESSION} was stopped`
    );
    await expect(viewport.locator('.jp-pvw-Viewport-overlay')).toBeHidden();
    await expect(viewport).not.toHaveClass(/jp-mod-stale/);
    await expectRedOverBlue(viewport.locator('canvas'));
    await expect(page.locator(`.jp-pvw-Panel-session[data-session-id="${SESSION}"]`)).toHaveCount(
      0
    );
    await page.screenshot({ path: path.join(SHOTS, 'panel-gone.png') });
  });
});
