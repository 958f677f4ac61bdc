/**
 * Browser tests against a real JupyterLab with jupyterlab-pvw installed (`scripts/setup.sh`).
 *
 * Run with the project venv first on PATH so `jupyter` is the venv's:
 *   PATH=$PWD/.venv/bin:$PATH npm run test:ui
 */
import * as path from 'path';
import { defineConfig } from '@playwright/test';

import {
  BASE_URL,
  LAUNCHER_CONFIG,
  launcherConfig,
  PAGE_DIRS,
  PORT,
  REPO_ROOT,
  ROOT_DIR,
  RUNTIME_DIR,
  STATE_DIR,
  TOKEN
} from './server';

const root = ROOT_DIR;
const settings = path.join(STATE_DIR, 'settings');

const jupyterLab = [
  'jupyter lab',
  '--no-browser',
  '--ServerApp.ip=127.0.0.1',
  `--ServerApp.port=${PORT}`,
  // Fail instead of silently moving to another port the tests would not find.
  '--ServerApp.port_retries=0',
  `--IdentityProvider.token=${TOKEN}`,
  `--ServerApp.root_dir=${root}`,
  '--LabApp.news_url=None',
  '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  // Containers and CI often run as root; the server refuses that unless told.
  '--allow-root',
  // smartconnect.spec.ts: a launcher and its page at /static/. No allow_origin: the page of
  // another origin authenticates with the token, which Jupyter accepts from any origin.
  `--PvwLauncher.config_file=${LAUNCHER_CONFIG}`,
  ...PAGE_DIRS.map(dir => `--ServerApp.extra_static_paths=${dir}`),
  // Warnings and errors only: they are what explains a failed run.
  '--ServerApp.log_level=WARN'
].join(' ');

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: path.join(REPO_ROOT, 'test-results', 'ui'),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 90_000,
  // A hung run (an engine that never answers) fails instead of blocking `make test`.
  globalTimeout: 30 * 60_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // The system Chromium: no browser is downloaded.
      executablePath: process.env.PVW_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    // A fresh state directory each run, so no saved workspace or setting leaks between runs;
    // the user settings start from the fixture in `user-settings/`.
    command: [
      `rm -rf '${STATE_DIR}'`,
      `mkdir -p '${root}'`,
      `cp -r '${path.join(__dirname, 'user-settings')}' '${settings}'`,
      `printf '%s' '${JSON.stringify(launcherConfig())}' > '${LAUNCHER_CONFIG}'`,
      `exec ${jupyterLab}`
    ].join(' && '),
    url: `${BASE_URL}/api`,
    env: {
      JUPYTER_CONFIG_DIR: path.join(STATE_DIR, 'config'),
      JUPYTER_DATA_DIR: path.join(STATE_DIR, 'data'),
      JUPYTER_RUNTIME_DIR: RUNTIME_DIR,
      JUPYTERLAB_SETTINGS_DIR: settings,
      JUPYTERLAB_WORKSPACES_DIR: path.join(STATE_DIR, 'workspaces'),
      // No user IPython profile: kernels start without `%pvw` unless a test loads it.
      IPYTHONDIR: path.join(STATE_DIR, 'ipython')
    },
    // Never test against a server started by someone else on the same port.
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe'
  }
});
