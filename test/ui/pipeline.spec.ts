/**
 * The side panel's pipeline section on a real 2-rank engine: add a slice, edit its normal,
 * colour it by another array, and see the step and time of a new timestep.
 */
import * as path from 'path';
import { expect, Page, test } from '@playwright/test';

import { Engine } from './engine';
import { openLab, runFromPalette, settledFrame } from './lab';
import { canvasSignature, difference } from './pixels';
import { REPO_ROOT } from './server';

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'ui');
const SESSION = 'uipipeline';

test.describe.configure({ mode: 'serial', timeout: 240_000 });

test.describe('the pipeline section of the side panel', () => {
  let engine: Engine;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(240_000);
    engine = await Engine.start(SESSION);
    await engine.call("engine.register('field', __import__('pipeline_data').field())");
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    await page?.close();
    await engine?.stop();
  });

  test('add a slice, edit its normal, colour it, follow a timestep', async () => {
    await openLab(page);
    await runFromPalette(page, 'ParaViewWeb: Open Viewport Panel');
    const panel = page.locator('#jp-pvw-panel');
    await panel.locator(`.jp-pvw-Panel-session[data-session-id="${SESSION}"] button`).click();
    const viewport = panel.locator('.jp-pvw-Viewport');
    const canvas = viewport.locator('canvas');
    let frames = await settledFrame(viewport);
    const pipeline = panel.locator('.jp-pvw-Pipeline');
    await expect(pipeline.locator('.jp-pvw-Pipeline-item[data-name="grid"]')).toBeVisible();

    // Add a slice of the field from the panel; hide the grid that hides it.
    await pipeline.getByLabel('Filter kind').selectOption('Slice');
    await pipeline.getByLabel('Filter input').selectOption('field');
    await pipeline.getByRole('button', { name: 'Add this filter to the pipeline' }).click();
    await expect(pipeline.locator('.jp-pvw-Pipeline-item[data-name="Slice1"]')).toBeVisible();
    await pipeline.getByRole('button', { name: 'Hide grid' }).click();
    await expect(pipeline.getByRole('button', { name: 'Show grid' })).toBeVisible();
    frames = await settledFrame(viewport, frames);
    const edgeOn = await canvasSignature(canvas);

    // The default normal (x) shows the slice edge-on; z turns it to face the camera.
    const normal = pipeline.locator('[data-property="SliceType.Normal"] input');
    await expect(normal).toHaveCount(3);
    await normal.nth(0).fill('0');
    await normal.nth(2).fill('1');
    await pipeline.getByRole('button', { name: 'Apply' }).click();
    frames = await settledFrame(viewport, frames);
    const facing = await canvasSignature(canvas);
    expect(difference(edgeOn, facing)).toBeGreaterThan(3);
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-slice.png') });

    // Another array from the colour picker.
    await pipeline.getByLabel('Colour by').selectOption('POINTS:velocity');
    frames = await settledFrame(viewport, frames);
    expect(difference(facing, await canvasSignature(canvas))).toBeGreaterThan(3);
    const status = viewport.locator('.jp-pvw-Viewport-status');
    await expect(status).toContainText('Slice1: velocity');

    // A new timestep with time 0.5: the status line says so.
    await engine.call(
      "engine.register('field', __import__('pipeline_data').field(3.0)) or engine.next_timestep(0.5)"
    );
    await settledFrame(viewport, frames);
    await expect(status).toContainText('step 1 · t = 0.5');
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-step.png') });
  });
});
