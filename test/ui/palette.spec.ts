import * as path from 'path';
import { expect, test } from '@playwright/test';

import { openLab, paletteItem, searchPalette, toast } from './lab';
import { REPO_ROOT } from './server';

const SCREENSHOT = path.join(REPO_ROOT, 'artifacts', 'ui', 'palette.png');

const ENABLED = [
  'ParaViewWeb: Start Engines',
  'ParaViewWeb: Stop Engines',
  'ParaViewWeb: Show Status',
  'ParaViewWeb: Activate Dataset…',
  'ParaViewWeb: Next Timestep',
  'ParaViewWeb: Open Viewport Panel'
];
// Enabled once a viewport exists.
const DISABLED = ['ParaViewWeb: Reset Camera'];

test.describe('jupyterlab-pvw in JupyterLab', () => {
  test('the palette lists the ParaViewWeb commands', async ({ page }, testInfo) => {
    const pluginErrors: string[] = [];
    page.on('console', msg => {
      if (msg.type() === 'error' && msg.text().includes('jupyterlab-pvw')) {
        pluginErrors.push(msg.text());
      }
    });

    await openLab(page);
    await searchPalette(page, 'ParaViewWeb');

    await expect(paletteItem(page, 'ParaViewWeb: Start Engines')).toBeVisible();
    for (const label of ENABLED) {
      await expect(paletteItem(page, label)).toBeVisible();
      await expect(paletteItem(page, label)).not.toHaveClass(/lm-mod-disabled/);
    }
    // The modal palette lists disabled commands hidden.
    for (const label of DISABLED) {
      await expect(paletteItem(page, label)).toHaveCount(1);
      await expect(paletteItem(page, label)).toHaveClass(/lm-mod-disabled/);
    }

    await page.screenshot({ path: SCREENSHOT });
    await testInfo.attach('palette', { path: SCREENSHOT, contentType: 'image/png' });
    expect(pluginErrors).toEqual([]);
  });

  test('the ParaViewWeb menu holds the commands; the panel opens empty', async ({ page }) => {
    await openLab(page);
    await page.locator('.lm-MenuBar-itemLabel', { hasText: /^ParaViewWeb$/ }).click();
    const menu = page.locator('.lm-Menu').filter({ visible: true });
    for (const label of ['Start Engines', 'Next Timestep', 'Open Viewport Panel', 'Reset Camera']) {
      await expect(
        menu.locator('.lm-Menu-itemLabel', { hasText: `ParaViewWeb: ${label}` })
      ).toBeVisible();
    }
    await menu.locator('.lm-Menu-itemLabel', { hasText: 'Open Viewport Panel' }).click();
    const panel = page.locator('#jp-pvw-panel');
    await expect(panel).toBeVisible();
    await expect(panel.locator('.jp-pvw-Panel-message')).toContainText(
      'No ParaViewWeb session is running'
    );
    await expect(panel.locator('.jp-pvw-Panel-message')).toContainText('%pvw start');
  });

  test('a kernel command without a notebook says what is missing', async ({ page }) => {
    await openLab(page);
    await searchPalette(page, 'ParaViewWeb: Start');
    await paletteItem(page, 'ParaViewWeb: Start Engines').click();

    await expect(
      toast(page, 'ParaViewWeb: Start Engines: open a notebook first; ParaViewWeb commands run')
    ).toBeVisible();
  });

  test('a command runs %pvw in the kernel and its error comes back', async ({ page }) => {
    await openLab(page);
    await page.locator('.jp-LauncherCard[data-category="Notebook"]').first().click();
    await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
    // The command loads the extension itself; with no session started, %pvw refuses with
    // its own message, which must reach the user.
    await expect(page.getByText('Python 3 (ipykernel) | Idle')).toBeVisible({ timeout: 60_000 });

    await searchPalette(page, 'ParaViewWeb: Next Timestep');
    await paletteItem(page, 'ParaViewWeb: Next Timestep').click();

    await expect(
      toast(
        page,
        'ParaViewWeb: Next Timestep failed: UsageError: no ParaViewWeb session in this kernel'
      )
    ).toBeVisible();
  });

  test('the Settings Editor shows the ParaViewWeb settings', async ({ page }) => {
    await openLab(page);
    await searchPalette(page, 'Settings Editor');
    await paletteItem(page, 'Settings Editor').click();

    await page.locator('.jp-PluginList-entry').filter({ hasText: 'ParaViewWeb' }).click();
    for (const title of [
      'Engine count',
      'Interactive quality',
      'Still quality',
      'Maximum frame rate',
      'Panel side'
    ]) {
      await expect(
        page.locator('.jp-FormGroup-fieldLabel').filter({ hasText: new RegExp(`^${title}$`) })
      ).toBeVisible();
    }
    const field = (name: string) =>
      page.locator(`[id="jp-SettingsEditor-jupyterlab-pvw:plugin_${name}"]`);
    await expect(field('engineCount')).toHaveValue('2');
    await expect(field('engineCount')).toHaveAttribute('min', '1');
    await expect(field('interactiveQuality')).toHaveValue('50');
    await expect(field('stillQuality')).toHaveValue('90');
    await expect(field('maxFps')).toHaveValue('60');
    await expect(field('maxFps')).toHaveAttribute('max', '120');
    await expect(field('panelSide').locator('option:checked')).toHaveText('right');
  });
});
