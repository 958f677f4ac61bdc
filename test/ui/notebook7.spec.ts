/**
 * Jupyter Notebook 7 (served by the same Jupyter server as JupyterLab) on a real 2-rank
 * engine: the ParaViewWeb menu is there, and a viewport in a notebook streams and turns.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect, Page, test } from '@playwright/test';

import { Engine } from './engine';
import { drag, settledFrame } from './lab';
import { canvasSignature, difference, expectRedOverBlue } from './pixels';
import { REPO_ROOT, ROOT_DIR, TOKEN } from './server';

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'ui');
const SESSION = 'uinb7';
const NOTEBOOK = 'notebook7.ipynb';

test.describe.configure({ mode: 'serial', timeout: 240_000 });

test.describe('Jupyter Notebook 7', () => {
  let engine: Engine;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    engine = await Engine.start(SESSION, 'notebook7-test');
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
      },
      cells: [
        {
          cell_type: 'code',
          id: 'attach',
          metadata: {},
          execution_count: null,
          outputs: [],
          source: `%load_ext jupyterlab_pvw\n%pvw attach ${SESSION} --height 320`
        }
      ]
    };
    fs.mkdirSync(ROOT_DIR, { recursive: true });
    fs.writeFileSync(path.join(ROOT_DIR, NOTEBOOK), JSON.stringify(notebook));
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    await page?.close();
    await engine?.stop();
  });

  test('has the ParaViewWeb menu, and a viewport that streams and turns', async () => {
    await page.goto(`/notebooks/${NOTEBOOK}?token=${TOKEN}`);
    // Notebook 7's own shell, not JupyterLab's.
    await expect(page.locator('body[data-notebook="notebooks"]')).toHaveCount(1, {
      timeout: 60_000
    });
    const menu = page.locator('.lm-MenuBar-itemLabel', { hasText: /^ParaViewWeb$/ });
    await expect(menu).toBeVisible({ timeout: 60_000 });
    await menu.click();
    await expect(
      page.locator('.lm-Menu-itemLabel', { hasText: 'Open Viewport Panel' })
    ).toHaveCount(1);
    await page.keyboard.press('Escape');

    const cell = page.locator('.jp-Notebook .jp-Cell').first();
    await cell.locator('.jp-InputPrompt').click();
    await page.keyboard.press('Shift+Enter');
    const viewport = cell.locator('.jp-pvw-Viewport');
    await expect(viewport).toHaveCount(1, { timeout: 90_000 });
    let frames = await settledFrame(viewport, 0, 60_000);
    const canvas = viewport.locator('canvas');
    await expectRedOverBlue(canvas);
    const before = await canvasSignature(canvas);

    await drag(page, canvas, 120, 40);
    frames = await settledFrame(viewport, frames);
    expect(difference(before, await canvasSignature(canvas))).toBeGreaterThan(3);
    await page.screenshot({ path: path.join(SHOTS, 'notebook7.png') });

    // A new timestep reaches it too.
    const turned = await canvasSignature(canvas);
    await engine.command('next 5');
    await settledFrame(viewport, frames);
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('step 1');
    expect(difference(turned, await canvasSignature(canvas))).toBeGreaterThan(1);
  });
});
