/**
 * A real 2-rank ParaView engine for the browser tests, announced to the test's Jupyter server.
 *
 * Runs `python/tests/mpi_sim.py` under `mpiexec` (a 16^3 grid: rank 0's lower half blue, rank
 * 1's upper half red) and writes its session file into the server's runtime directory, as a
 * kernel's `%pvw start` would. Needs an X display and the MPI settings of
 * `scripts/with-display.sh`.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

import { REPO_ROOT, RUNTIME_DIR } from './server';

/** The project's Python (ParaView, mpi4py and jupyterlab_pvw importable). */
export const PYTHON = path.join(
  process.env.PVW_VENV ?? path.join(REPO_ROOT, '.venv'),
  'bin',
  'python'
);

/** What rank 0 printed on `PVW_INFO`. */
export interface IEngineInfo {
  host: string;
  port: number;
  secret: string;
  ranks: number;
  url: string;
}

/**
 * A running `mpiexec -n 2 python mpi_sim.py`, driven through its stdin.
 */
export class Engine {
  private constructor(
    private readonly _proc: ChildProcess,
    readonly sessionId: string
  ) {
    const lines = readline.createInterface({ input: this._proc.stdout! });
    lines.on('line', line => {
      this._log.push(line);
      const waiter = this._waiters.find(w => line.startsWith(w.prefix));
      if (waiter) {
        this._waiters.splice(this._waiters.indexOf(waiter), 1);
        waiter.resolve(line.slice(waiter.prefix.length).trim());
      }
    });
    this._proc.stderr!.on('data', chunk => this._log.push(String(chunk)));
    this._proc.on('exit', code => {
      this._exited = true;
      for (const waiter of this._waiters.splice(0)) {
        waiter.reject(
          new Error(`the engine exited (code ${code}) before ${waiter.prefix}:\n${this.log}`)
        );
      }
    });
  }

  /**
   * Start the engine and announce it as session `sessionId`.
   */
  static async start(sessionId: string, name = 'ui-test'): Promise<Engine> {
    if (!process.env.DISPLAY) {
      throw new Error('the engine needs an X display: run through scripts/with-display.sh');
    }
    const proc = spawn(
      'mpiexec',
      ['-n', '2', PYTHON, '-u', path.join('python', 'tests', 'mpi_sim.py')],
      {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe']
      }
    );
    const engine = new Engine(proc, sessionId);
    const info = engine.expect('PVW_INFO', 120_000);
    await engine.expect('PVW_READY', 120_000);
    engine.info = JSON.parse(await info);
    engine.announce(name);
    return engine;
  }

  /** The current server address and secret. */
  info: IEngineInfo | null = null;

  /** Everything the engine printed. */
  get log(): string {
    return this._log.slice(-80).join('\n');
  }

  /**
   * Write the session file into the test server's runtime directory (same id every time).
   */
  announce(name = 'ui-test'): void {
    const info = this.info!;
    const args = {
      host: info.host ?? '127.0.0.1',
      port: info.port,
      secret: info.secret,
      name,
      ranks: info.ranks ?? 2,
      pid: this._proc.pid,
      runtime_dir: RUNTIME_DIR,
      session_id: this.sessionId
    };
    python(
      'import json, sys\nfrom jupyterlab_pvw.session_table import announce\nannounce(**json.loads(sys.argv[1]))',
      JSON.stringify(args)
    );
  }

  /** Remove the session file: the server no longer lists the session. */
  withdraw(): void {
    python(
      'import sys\nfrom jupyterlab_pvw.session_table import withdraw\nwithdraw(sys.argv[1], runtime_dir=sys.argv[2])',
      this.sessionId,
      RUNTIME_DIR
    );
  }

  /**
   * Restart the engine's server (new port and secret) and announce it again under the same id.
   */
  async restart(): Promise<void> {
    const info = this.expect('PVW_INFO', 120_000);
    this.send('restart');
    this.info = JSON.parse(await info);
    await this.expect('PVW_DONE restart', 120_000);
    this.announce();
  }

  /**
   * Send a command (see mpi_sim.py) and wait for its `PVW_DONE`.
   */
  async command(command: string): Promise<void> {
    const done = this.expect(`PVW_DONE ${command.split(' ')[0]}`, 120_000);
    this.send(command);
    await done;
  }

  /**
   * Evaluate an engine call on every rank (see mpi_sim.py) and return rank 0's result.
   */
  async call(expression: string): Promise<unknown> {
    const result = this.expect('PVW_RESULT', 120_000);
    await this.command(`call ${expression}`);
    return JSON.parse(await result);
  }

  /**
   * Stop the engine (collectively), withdraw the session and wait for mpiexec to end.
   */
  async stop(): Promise<void> {
    this.withdraw();
    if (this._exited) {
      return;
    }
    const exited = new Promise<void>(resolve => this._proc.once('exit', () => resolve()));
    this.send('stop');
    this._proc.stdin!.end();
    const timer = setTimeout(() => this._proc.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * The rest of the next output line starting with `prefix`.
   */
  expect(prefix: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const waiter = { prefix, resolve, reject };
      this._waiters.push(waiter);
      setTimeout(() => {
        const index = this._waiters.indexOf(waiter);
        if (index >= 0) {
          this._waiters.splice(index, 1);
          reject(new Error(`no ${prefix} line within ${timeoutMs} ms:\n${this.log}`));
        }
      }, timeoutMs);
    });
  }

  private send(line: string): void {
    this._proc.stdin!.write(`${line}\n`);
  }

  private _log: string[] = [];
  private _waiters: {
    prefix: string;
    resolve: (rest: string) => void;
    reject: (e: Error) => void;
  }[] = [];
  private _exited = false;
}

/**
 * Run Python code with the project's interpreter; throws with its output on failure.
 */
export function python(code: string, ...args: string[]): string {
  // Bounded: a synchronous child that hangs would block every timer of the test worker.
  const result = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf-8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`python failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
