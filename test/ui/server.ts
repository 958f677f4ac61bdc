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
