/**
 * Pause, step and resume the run, and scrub back through the steps the engine keeps: the
 * controls in a viewport's footer. The state is the session's (every viewer sees the same
 * pause and the same shown step); it comes from the engine's run topic.
 */
import { IDisposable } from '@lumino/disposable';

import { SessionConnection } from './connection';
import { RUN_TOPIC } from './wire';

/**
 * The run state every run RPC answers and the run topic carries.
 */
export interface IRunState {
  paused: boolean;
  /** The step shown. */
  step: number;
  /** The newest step. */
  live_step: number;
  /** The oldest and newest steps kept, or `null` without a history. */
  kept: [number, number] | null;
  /** Whether the simulation is waiting at a step boundary right now. */
  held?: boolean;
  /** Simulation time of the shown step. */
  time?: number;
  /** Seconds a pause lasts once no viewer is left. */
  pause_timeout?: number;
  /** Why the last pause ended by itself (no viewer, engine stopped). */
  released_because?: string | null;
}

/**
 * The run state in `data`, or `null` when it is not one.
 */
export function asRunState(data: unknown): IRunState | null {
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const d = data as Record<string, unknown>;
  const kept = d.kept;
  const keptOk =
    kept === null ||
    (Array.isArray(kept) && kept.length === 2 && kept.every(v => Number.isInteger(v)));
  if (
    typeof d.paused !== 'boolean' ||
    !Number.isInteger(d.step) ||
    !Number.isInteger(d.live_step) ||
    !keptOk
  ) {
    return null;
  }
  return d as unknown as IRunState;
}

/**
 * One line about the run: paused or running, the shown step and how far behind live it is.
 */
export function describeRun(state: IRunState): string {
  const behind = state.live_step - state.step;
  const where =
    behind > 0
      ? `step ${state.step} · ${behind} behind live (${state.live_step})`
      : `step ${state.step}`;
  if (!state.paused) {
    return where;
  }
  const hold = state.held ? 'paused' : 'pausing at the next step';
  return `${hold} · ${where}`;
}

/**
 * What the pause button's tooltip says: how long a pause lasts without viewers.
 */
export function pauseHint(state: IRunState | null): string {
  const seconds = state?.pause_timeout;
  const limit =
    seconds === undefined
      ? ''
      : ` A pause ends by itself ${formatSeconds(seconds)} after the last viewer leaves.`;
  return `Hold the simulation at its next step; the view stays interactive.${limit}`;
}

function formatSeconds(seconds: number): string {
  return seconds >= 120 && seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/**
 * The run controls of one viewport: buttons, the time slider and a line about the run.
 */
export class RunControls implements IDisposable {
  /**
   * @param connection - the session's connection
   * @param onError - shows an engine's refusal (e.g. a step no longer kept) to the user
   */
  constructor(connection: SessionConnection, onError: (text: string) => void) {
    this._connection = connection;
    this._onError = onError;
    const node = (this.node = document.createElement('div'));
    node.className = 'jp-pvw-RunControls';
    node.hidden = true; // until the engine tells its state
    this._pause = button('Pause', 'jp-pvw-RunControls-pause', pauseHint(null));
    this._step = button('Step', 'jp-pvw-RunControls-step', 'Let exactly one step through');
    this._resume = button('Resume', 'jp-pvw-RunControls-resume', 'Let the simulation run on');
    this._slider = document.createElement('input');
    this._slider.type = 'range';
    this._slider.step = '1';
    this._slider.className = 'jp-pvw-RunControls-slider';
    this._slider.setAttribute('aria-label', 'Shown step (the kept steps, newest on the right)');
    this._live = button('Live', 'jp-pvw-RunControls-live', 'Back to the newest step');
    this._label = document.createElement('span');
    this._label.className = 'jp-pvw-RunControls-label';
    node.append(this._pause, this._step, this._resume, this._slider, this._live, this._label);

    this._pause.addEventListener('click', () => void this.pause());
    this._step.addEventListener('click', () => void this.step());
    this._resume.addEventListener('click', () => void this.resume());
    this._live.addEventListener('click', () => void this.goto('live'));
    this._slider.addEventListener('input', () => {
      this._label.textContent = `go to step ${this._slider.value}`;
    });
    this._slider.addEventListener('change', () => {
      const step = Number(this._slider.value);
      void this.goto(this._state && step >= this._state.live_step ? 'live' : step);
    });

    this._subscription = connection.subscribe(RUN_TOPIC, data => this._show(asRunState(data)));
    connection.statusChanged.connect(this._onStatus, this);
    this._onStatus();
  }

  readonly node: HTMLDivElement;

  /** The newest run state known, or `null` before the engine told it. */
  get state(): IRunState | null {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  pause(): Promise<IRunState | null> {
    return this._call('pvw.pause', []);
  }

  step(): Promise<IRunState | null> {
    return this._call('pvw.step', []);
  }

  resume(): Promise<IRunState | null> {
    return this._call('pvw.resume', []);
  }

  /** Show a kept step (every viewer of the session sees it), or the live one. */
  goto(step: number | 'live'): Promise<IRunState | null> {
    return this._call('pvw.history.goto', [step]);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._subscription.dispose();
    this._connection.statusChanged.disconnect(this._onStatus, this);
    this.node.remove();
  }

  private async _call(method: string, args: unknown[]): Promise<IRunState | null> {
    try {
      const state = asRunState(await this._connection.call(method, args));
      this._show(state);
      return state;
    } catch (reason) {
      this._onError(reason instanceof Error ? reason.message : String(reason));
      this._show(this._state); // a refused slider move springs back
      return null;
    }
  }

  private _onStatus(): void {
    if (this._connection.status.state === 'live') {
      // An engine without run control (older) answers with an error: the controls stay hidden.
      this._connection
        .call('pvw.run.state', [])
        .then(data => this._show(asRunState(data)))
        .catch(() => undefined);
    }
  }

  private _show(state: IRunState | null): void {
    if (this._disposed || state === null) {
      return;
    }
    this._state = state;
    const node = this.node;
    node.hidden = false;
    node.dataset.paused = String(state.paused);
    node.dataset.step = String(state.step);
    node.dataset.liveStep = String(state.live_step);
    node.classList.toggle('jp-mod-paused', state.paused);
    this._pause.hidden = state.paused;
    this._pause.title = pauseHint(state);
    this._step.hidden = this._resume.hidden = !state.paused;
    const kept = state.kept;
    this._slider.hidden = kept === null;
    if (kept) {
      this._slider.min = String(kept[0]);
      this._slider.max = String(kept[1]);
      this._slider.value = String(state.step);
      this._slider.title = `Kept steps ${kept[0]}–${kept[1]}; drag to look back`;
    }
    const behind = state.live_step !== state.step;
    this._live.hidden = !behind;
    node.classList.toggle('jp-mod-behind', behind);
    this._label.textContent = describeRun(state);
  }

  private _connection: SessionConnection;
  private _onError: (text: string) => void;
  private _subscription: IDisposable;
  private _state: IRunState | null = null;
  private _pause: HTMLButtonElement;
  private _step: HTMLButtonElement;
  private _resume: HTMLButtonElement;
  private _live: HTMLButtonElement;
  private _slider: HTMLInputElement;
  private _label: HTMLSpanElement;
  private _disposed = false;
}

function button(label: string, className: string, title: string): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = `jp-pvw-Viewport-button ${className}`;
  element.textContent = label;
  element.title = title;
  return element;
}
