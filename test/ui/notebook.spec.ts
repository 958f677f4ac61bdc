/**
 * The demo notebook (`examples/heat.ipynb`) run in JupyterLab against real MPI engines: the
 * viewport widget streams the heat simulation, interaction and `%pvw next` change it, the side
 * panel shows the same session over the same WebSocket, and saving puts a PNG of the frame
 * into the notebook while the live widget stays.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect, Locator, Page, test } from '@playwright/test';

import { drag, openLab, runFromPalette, settledFrame } from './lab';
import { canvasSignature, dataFraction, difference } from './pixels';
import { REPO_ROOT, ROOT_DIR } from './server';

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'ui');
const NOTEBOOK = 'heat.ipynb';
const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

// Cell indices in examples/heat.ipynb (markdown cells count too).
const START = 1;
const SETUP = 3;
const REGISTER = 4;
const LOOP = 6;
const NEXT = 8;
const STATUS = 9;
const STOP = 11;

test.describe.configure({ mode: 'serial', timeout: 300_000 });

/**
 * Run one code cell and wait until it has finished without an error.
 */
async function runCell(
  page: Page,
  index: number,
  timeout = 120_000,
  key: 'Shift+Enter' | 'Control+Enter' = 'Shift+Enter'
): Promise<Locator> {
  const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
  await cell.locator('.jp-InputPrompt').click();
  await page.keyboard.press(key);
  await expect(cell.locator('.jp-InputPrompt')).toHaveText(/\[\d+\]:/, { timeout });
  await expect(
    cell.locator('[data-mime-type="application/vnd.jupyter.error"]'),
    `cell ${index} failed`
  ).toHaveCount(0);
  return cell;
}

/**
 * Add a code cell of the test's own at the end of the notebook (the demo's cells keep their
 * indices) and run it.
 */
async function addCell(page: Page, code: string): Promise<Locator> {
  const cells = page.locator('.jp-Notebook .jp-Cell');
  const last = (await cells.count()) - 1;
  await cells.nth(last).locator('.jp-InputPrompt').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('b');
  await page.keyboard.press('Enter');
  await page.keyboard.insertText(code);
  // Control+Enter: no new empty cell below, so the next added cell follows this one.
  return runCell(page, last + 1, 120_000, 'Control+Enter');
}

/**
 * How many clients the engine counts, asked in the kernel.
 */
async function engineClients(page: Page): Promise<number> {
  const cell = await addCell(
    page,
    'import jupyterlab_pvw\nprint("clients", jupyterlab_pvw.status()["clients"])'
  );
  const text = await cell.locator('.jp-OutputArea-output').textContent();
  return Number(text!.match(/clients (\d+)/)![1]);
}

test.describe('the demo notebook', () => {
  let page: Page;
  const sockets: string[] = [];

  test.beforeAll(async ({ browser }) => {
    for (const name of [NOTEBOOK, 'heat.py']) {
      fs.copyFileSync(path.join(REPO_ROOT, 'examples', name), path.join(ROOT_DIR, name));
    }
    page = await browser.newPage();
    page.on('websocket', socket => {
      if (socket.url().includes('/pvw/sessions/')) {
        sockets.push(socket.url());
      }
    });
  });

  test.afterAll(async () => {
    // Stop the engines even after a failure: the kernel's cluster would outlive the test.
    if (page && !page.isClosed()) {
      const stop = page.locator('.jp-Notebook .jp-Cell').nth(STOP);
      const prompt = (await stop.count())
        ? await stop.locator('.jp-InputPrompt').textContent({ timeout: 10_000 })
        : '';
      if (prompt !== null && /\[ ?\]/.test(prompt)) {
        await stop.locator('.jp-InputPrompt').click();
        await page.keyboard.press('Shift+Enter');
        await expect(stop.locator('.jp-InputPrompt')).toHaveText(/\[\d+\]:/, { timeout: 60_000 });
      }
      await page.close();
    }
  });

  test('%pvw start shows a viewport that streams the simulation', async () => {
    await openLab(page, `lab/tree/${NOTEBOOK}`);
    await expect(page.getByText('Python 3 (ipykernel) | Idle')).toBeVisible({ timeout: 60_000 });

    const start = await runCell(page, START, 240_000);
    const viewport = start.locator('.jp-pvw-Viewport');
    await expect(viewport).toHaveCount(1);
    // Live, but nothing to draw before a dataset is activated.
    await expect(viewport).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
    await expect(viewport.locator('.jp-pvw-Viewport-overlay')).toContainText('%pvw activate');

    await runCell(page, SETUP);
    await runCell(page, REGISTER);
    const frames = await settledFrame(viewport);
    await expect(viewport.locator('.jp-pvw-Viewport-overlay')).toBeHidden();
    expect(await dataFraction(viewport.locator('canvas'))).toBeGreaterThan(0.05);

    await runCell(page, LOOP, 240_000);
    await settledFrame(viewport, frames);
    // The frames of the loop arrived. (The faces in view are held at fixed temperatures, so
    // the picture itself need not change.)
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('step 30');
    expect(await dataFraction(viewport.locator('canvas'))).toBeGreaterThan(0.05);
    await viewport.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'notebook.png') });
  });

  test('a drag and %pvw next change the picture', async () => {
    const viewport = page.locator('.jp-Notebook .jp-Cell').nth(START).locator('.jp-pvw-Viewport');
    const canvas = viewport.locator('canvas');
    let frames = await settledFrame(viewport);
    const before = await canvasSignature(canvas);
    await drag(page, canvas, 120, 60);
    frames = await settledFrame(viewport, frames);
    const dragged = await canvasSignature(canvas);
    expect(difference(before, dragged)).toBeGreaterThan(3);
    await viewport.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'notebook-dragged.png') });

    await runCell(page, NEXT);
    frames = await settledFrame(viewport, frames);
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('step 31');

    // New values on the boundary faces too, so the next timestep must change the picture.
    const stepped = await canvasSignature(canvas);
    await addCell(
      page,
      '%px slab.u = slab.u + 0.5; piece = slab.piece(engine)\n' +
        '%pvw register temperature piece\n%pvw next'
    );
    await settledFrame(viewport, frames);
    await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('step 32');
    expect(difference(stepped, await canvasSignature(canvas))).toBeGreaterThan(3);
    await viewport.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'notebook-next.png') });
  });

  test('the side panel shows the same session over the same connection', async () => {
    const notebookViewport = page
      .locator('.jp-Notebook .jp-Cell')
      .nth(START)
      .locator('.jp-pvw-Viewport');
    const sessionId = await notebookViewport.getAttribute('data-session-id');
    const clients = await engineClients(page);
    // With no session named, the command opens the current notebook kernel's session.
    await runFromPalette(page, 'ParaViewWeb: Open Viewport Panel');
    const viewport = page.locator('#jp-pvw-panel .jp-pvw-Viewport');
    await expect(viewport).toHaveAttribute('data-session-id', sessionId!);
    await expect(
      page.locator(`.jp-pvw-Panel-session.jp-mod-own[data-session-id="${sessionId}"]`)
    ).toContainText("this notebook's kernel");
    await settledFrame(viewport);
    expect(await dataFraction(viewport.locator('canvas'))).toBeGreaterThan(0.05);
    // The panel's viewport asked for its own size; the notebook's shows the frame scaled.
    await expect(notebookViewport).toHaveAttribute('data-state', 'live');
    // One WebSocket for both viewports, and no new client at the engine.
    expect(sockets).toHaveLength(1);
    expect(await engineClients(page)).toBe(clients);
    await notebookViewport.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'notebook-panel.png') });
  });

  test('saving puts a PNG of the frame beside the live widget', async () => {
    const cell = page.locator('.jp-Notebook .jp-Cell').nth(START);
    // The notebook's viewport sets the render size again, then the picture settles.
    await drag(page, cell.locator('canvas'), 10, 0);
    await settledFrame(cell.locator('.jp-pvw-Viewport'));
    // The PNG of a still frame is encoded at most once a second.
    await page.waitForTimeout(1500);
    await cell.locator('.jp-InputPrompt').click();
    await page.keyboard.press('Control+s');

    const file = path.join(ROOT_DIR, NOTEBOOK);
    let output: Record<string, any> | undefined;
    await expect
      .poll(
        () => {
          const saved = JSON.parse(fs.readFileSync(file, 'utf-8'));
          output = saved.cells[START].outputs.find((o: any) => o.data?.[WIDGET_MIME]);
          return typeof output?.data?.['image/png'];
        },
        { timeout: 30_000 }
      )
      .toBe('string');
    const png = Buffer.from(output!.data['image/png'], 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const canvas = cell.locator('canvas');
    const size = await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual(size);
    expect(output!.data[WIDGET_MIME].model_id).toBeTruthy();
    expect([output!.data['text/plain']].flat().join('')).toContain('ParaViewWeb viewport on');

    // JupyterLab still shows the live widget (re-created for the new data, on the same
    // connection), not the picture.
    const viewport = cell.locator('.jp-pvw-Viewport');
    await expect(viewport).toHaveCount(1);
    await expect(cell.locator('.jp-RenderedImage')).toHaveCount(0);
    await expect(viewport).toHaveAttribute('data-state', 'live');
    await settledFrame(viewport);
    expect(sockets).toHaveLength(1);
  });

  test('the kernel reads the view’s status', async () => {
    const start = page.locator('.jp-Notebook .jp-Cell').nth(START);
    const count = (await start.locator('.jp-InputPrompt').textContent())!.match(/\d+/)![0];
    const status = await runCell(page, STATUS);
    await expect(status.locator('.jp-OutputArea-output')).toContainText('"active": "temperature"');
    // The widget in the kernel knows what the browser reported.
    const scratch = await addCell(page, `print("status:", Out[${count}].status)`);
    await expect(scratch.locator('.jp-OutputArea-output')).toContainText('status: live');
  });

  test('%pvw stop: both viewports say "stopped" calmly and keep the last picture', async () => {
    const viewports = [
      page.locator('.jp-Notebook .jp-Cell').nth(START).locator('.jp-pvw-Viewport'),
      page.locator('#jp-pvw-panel .jp-pvw-Viewport')
    ];
    await settledFrame(viewports[0]);
    const before = await canvasSignature(viewports[0].locator('canvas'));
    const stop = await runCell(page, STOP, 120_000);
    await expect(stop.locator('.jp-OutputArea-output')).toContainText('pvw: stopped');
    for (const viewport of viewports) {
      await expect(viewport).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
      await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('Stopped');
      await expect(viewport.locator('.jp-pvw-Viewport-status')).toContainText('last picture');
      await expect(viewport.locator('.jp-pvw-Viewport-overlay')).toBeHidden();
      await expect(viewport.getByRole('button', { name: 'Reconnect' })).toBeHidden();
    }
    // The same picture, undimmed.
    expect(difference(before, await canvasSignature(viewports[0].locator('canvas')))).toBe(0);
    await expect(viewports[0]).not.toHaveClass(/jp-mod-stale/);
    await page
      .locator('.jp-Notebook .jp-Cell')
      .nth(START)
      .locator('.jp-pvw-Viewport')
      .scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'notebook-stopped.png') });
  });
});
