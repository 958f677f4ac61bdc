/**
 * Pause, step, resume and the time slider in JupyterLab, against the demo's real MPI engines
 * (`%pvw start -n 2 --history 10`) while the heat simulation loops in the kernel's engines.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect, Locator, Page, test } from '@playwright/test';

import { openLab, runFromPalette, settledFrame } from './lab';
import { REPO_ROOT, ROOT_DIR } from './server';

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'ui');
const NOTEBOOK = 'heat-run.ipynb';

// Cell indices in examples/heat.ipynb.
const START = 1;
const SETUP = 3;
const REGISTER = 4;
const STOP = 11;

// The demo's loop, but long enough to pause (the same number of steps on every rank: rank 0
// decides when it ends).
const LOOP = `%%px
import time
end = MPI.COMM_WORLD.bcast(time.time() + 90, root=0)
step = 0
while MPI.COMM_WORLD.bcast(time.time() < end, root=0):
    step += 1
    slab.step()
    if step % 10 == 0:
        engine.register("temperature", slab.piece(engine))
        engine.next_timestep(time=step * 0.15)`;

test.describe.configure({ mode: 'serial', timeout: 400_000 });

function cell(page: Page, index: number): Locator {
  return page.locator('.jp-Notebook .jp-Cell').nth(index);
}

/** Run a cell; wait for it to finish without error unless `wait` is false. */
async function runCell(page: Page, index: number, wait = true): Promise<Locator> {
  const target = cell(page, index);
  await target.locator('.jp-InputPrompt').click();
  await page.keyboard.press('Shift+Enter');
  if (wait) {
    await expect(target.locator('.jp-InputPrompt')).toHaveText(/\[\d+\]:/, { timeout: 240_000 });
    await expect(
      target.locator('[data-mime-type="application/vnd.jupyter.error"]'),
      `cell ${index} failed`
    ).toHaveCount(0);
  }
  return target;
}

/** Add a code cell at the end and start it (without waiting for it). */
async function startNewCell(page: Page, code: string): Promise<Locator> {
  const cells = page.locator('.jp-Notebook .jp-Cell');
  const last = (await cells.count()) - 1;
  await cells.nth(last).locator('.jp-InputPrompt').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('b');
  await page.keyboard.press('Enter');
  await page.keyboard.insertText(code);
  await page.keyboard.press('Control+Enter');
  return cells.nth(last + 1);
}

async function liveStep(controls: Locator): Promise<number> {
  return Number(await controls.getAttribute('data-live-step'));
}

test.describe('run controls', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'heat.ipynb'), path.join(ROOT_DIR, NOTEBOOK));
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'heat.py'), path.join(ROOT_DIR, 'heat.py'));
    page = await browser.newPage();
  });

  test.afterAll(async () => {
    if (page && !page.isClosed()) {
      // Let a paused run finish, then stop the engines (the cluster would outlive the test).
      const controls = cell(page, START).locator('.jp-pvw-RunControls');
      if ((await controls.getAttribute('data-paused').catch(() => null)) === 'true') {
        await controls.locator('.jp-pvw-RunControls-resume').click();
      }
      const stop = cell(page, STOP);
      await stop.locator('.jp-InputPrompt').click();
      await page.keyboard.press('Shift+Enter');
      await expect(stop.locator('.jp-InputPrompt')).toHaveText(/\[\d+\]:/, { timeout: 240_000 });
      await page.close();
    }
  });

  test('pause stops the timestep counter, the slider scrubs back and returns to live', async () => {
    await openLab(page, `lab/tree/${NOTEBOOK}`);
    await expect(page.getByText('Python 3 (ipykernel) | Idle')).toBeVisible({ timeout: 60_000 });
    const start = await runCell(page, START);
    const viewport = start.locator('.jp-pvw-Viewport');
    await runCell(page, SETUP);
    await runCell(page, REGISTER);
    await settledFrame(viewport);
    const controls = viewport.locator('.jp-pvw-RunControls');
    const status = viewport.locator('.jp-pvw-Viewport-status');
    await expect(controls).toHaveAttribute('data-paused', 'false');
    await expect(controls.locator('.jp-pvw-RunControls-pause')).toHaveAttribute(
      'title',
      /ends by itself 5 min after the last viewer leaves/
    );

    const loop = await startNewCell(page, LOOP);
    await expect.poll(() => liveStep(controls), { timeout: 120_000 }).toBeGreaterThanOrEqual(4);
    await controls.locator('.jp-pvw-RunControls-pause').click();
    await expect(controls).toHaveAttribute('data-paused', 'true');
    await expect(controls.locator('.jp-pvw-RunControls-label')).toContainText(/^paused/, {
      timeout: 60_000
    });
    const held = await liveStep(controls);
    await expect(status).toContainText(`step ${held}`);
    await page.waitForTimeout(3000);
    expect(await liveStep(controls), 'the counter must stop while paused').toBe(held);
    await expect(status).toContainText(`step ${held}`);

    // Step: exactly one more.
    await controls.locator('.jp-pvw-RunControls-step').click();
    await expect.poll(() => liveStep(controls), { timeout: 60_000 }).toBe(held + 1);
    await expect(controls.locator('.jp-pvw-RunControls-label')).toContainText(/^paused/);

    // Scrub back three steps: the frame of that step is shown, the Live button appears.
    const slider = controls.locator('.jp-pvw-RunControls-slider');
    await expect(slider).toBeVisible();
    const target = held + 1 - 3;
    await slider.fill(String(target));
    await expect(controls).toHaveAttribute('data-step', String(target));
    await expect(status).toContainText(`step ${target}`);
    await expect(controls.locator('.jp-pvw-RunControls-label')).toContainText('3 behind live');
    await viewport.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'runcontrols-back.png') });

    // Resume from the palette: the run goes on while the viewer still looks back.
    await runFromPalette(page, 'ParaViewWeb: Resume the Run');
    await expect(controls).toHaveAttribute('data-paused', 'false');
    await expect.poll(() => liveStep(controls), { timeout: 60_000 }).toBeGreaterThan(held + 1);
    await expect(controls).toHaveAttribute('data-step', String(target));

    // Back to live.
    await controls.locator('.jp-pvw-RunControls-live').click();
    await expect
      .poll(
        async () => (await controls.getAttribute('data-step')) === String(await liveStep(controls))
      )
      .toBe(true);
    await expect(controls.locator('.jp-pvw-RunControls-live')).toBeHidden();
    await page.screenshot({ path: path.join(SHOTS, 'runcontrols-live.png') });
    await expect(loop.locator('.jp-InputPrompt')).toHaveText(/\[\d+\]:/, { timeout: 240_000 });
  });
});
