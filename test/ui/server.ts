/**
 * Where the browser tests find the JupyterLab server that `playwright.config.ts` starts.
 */
import * as os from 'os';
import * as path from 'path';

/** Loopback port of the test server; `PVW_UI_PORT` overrides it when 8899 is taken. */
export const PORT = Number(process.env.PVW_UI_PORT ?? 8899);

/** Fixed token: the server listens on loopback only, for the length of the test run. */
export const TOKEN = 'pvw-ui-test-token';

/** Base URL of the server. */
export const BASE_URL = `http://127.0.0.1:${PORT}`;

/** Scratch directory of the run: notebook root, settings, workspaces, runtime files. */
export const STATE_DIR = path.join(os.tmpdir(), `jupyterlab-pvw-ui-${PORT}`);

/** Repository root, where screenshots go (`artifacts/ui/`). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The server's runtime directory (`JUPYTER_RUNTIME_DIR`): session files go in `pvw-sessions/`. */
export const RUNTIME_DIR = path.join(STATE_DIR, 'runtime');

/** The server's notebook root. */
export const ROOT_DIR = path.join(STATE_DIR, 'root');

// --- The launcher and the pages of smartconnect.spec.ts -------------------------------------

/** Port of the other origin the SmartConnect test serves its page from. */
export const FOREIGN_PORT = PORT + 1;

/** That origin: another host name than `BASE_URL`'s, so the server's cookies never reach it. */
export const FOREIGN_ORIGIN = `http://localhost:${FOREIGN_PORT}`;

/** Where the test page and npm wslink's own browser build are (`/static/` on the server). */
export const PAGE_DIRS = [
  path.join(__dirname, 'smartconnect'),
  path.join(REPO_ROOT, 'node_modules', 'wslink', 'dist')
];

/** The server's launcher configuration file (written by `playwright.config.ts`). */
export const LAUNCHER_CONFIG = path.join(STATE_DIR, 'launcher.json');

/** The application the launcher starts: `examples/heat.py` on one rank, a small grid. */
export const LAUNCHER_APP = 'heat';

/**
 * The launcher configuration: absolute paths, ports and logs of this run's own.
 */
export function launcherConfig(): Record<string, unknown> {
  return {
    configuration: {
      host: '127.0.0.1',
      log_dir: path.join(STATE_DIR, 'launcher-logs'),
      // A loaded machine needs a while to start ParaView.
      timeout: 180
    },
    resources: [{ host: '127.0.0.1', port_range: [PORT + 1000, PORT + 1003] }],
    // `python` is the venv's: the server runs with it first on PATH, as `jupyter` is.
    properties: { python: 'python', heat: path.join(REPO_ROOT, 'examples', 'heat.py') },
    apps: {
      [LAUNCHER_APP]: {
        cmd: [
          'mpiexec',
          '-n',
          '1',
          '${python}',
          '${heat}',
          '--host',
          '${host}',
          '--port',
          '${port}',
          '--size',
          '16',
          '--steps',
          '100000000',
          '--every',
          '10'
        ],
        ready_line: 'wslink: Starting factory'
      }
    }
  };
}
