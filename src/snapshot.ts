/**
 * A picture of the live view in the saved notebook.
 *
 * Where no widget manager runs (nbconvert, nbviewer, GitHub) a widget output shows only its
 * fallback text. So each session's newest still frame is kept as a PNG, and when a notebook
 * is saved every viewport widget output gets that PNG beside its widget-view data. JupyterLab
 * keeps preferring the widget-view type (its renderer ranks before images), so the live view
 * stays; other renderers show the picture.
 *
 * The save is synchronous from the moment it starts, so the PNG must be ready before: it is
 * encoded as still frames arrive, at most once per `intervalMs`.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import type { IFrame } from './frames';
import type { SessionConnection } from './connection';

/** The mime type of an ipywidget view output. */
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

/** The mime type of the saved picture. */
export const PNG_MIME = 'image/png';

/**
 * Keeps the PNG (base64) of the newest still frame, encoding at most once per interval.
 *
 * Interactive frames are skipped: they are low quality and a still one follows each drag.
 */
export class PngSnapshot implements IDisposable {
  /**
   * @param encode - encodes a frame as PNG, resolving to base64 without a data-URL prefix
   * @param intervalMs - least time (ms) between the starts of two encodings
   */
  constructor(
    private readonly _encode: (frame: IFrame) => Promise<string>,
    readonly intervalMs = 1000
  ) {}

  /** The PNG of the newest still frame encoded so far, or `null`. */
  get png(): string | null {
    return this._png;
  }

  /** The engine's frame counter (`mtime`) of the frame in `png`. */
  get pngFrame(): number | null {
    return this._pngFrame;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Offer a frame. Still frames are encoded now when the encoder is idle and the interval has
   * passed, otherwise once it has; a newer frame offered meanwhile replaces a waiting one.
   *
   * @returns whether the frame was taken (now or later)
   */
  offer(frame: IFrame, now = Date.now()): boolean {
    if (this._disposed || !frame.still) {
      return false;
    }
    this._waiting = frame;
    this._schedule(now);
    return true;
  }

  dispose(): void {
    this._disposed = true;
    this._waiting = null;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _schedule(now: number): void {
    if (this._busy || this._timer !== null || !this._waiting) {
      return;
    }
    const wait = this._lastStart + this.intervalMs - now;
    if (wait > 0) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this._schedule(Date.now());
      }, wait);
      return;
    }
    const frame = this._waiting;
    this._waiting = null;
    this._busy = true;
    this._lastStart = now;
    this._encode(frame)
      .then(png => {
        if (!this._disposed) {
          this._png = png;
          this._pngFrame = frame.mtime;
        }
      })
      .catch(reason => console.warn('jupyterlab-pvw: could not encode a PNG snapshot', reason))
      .then(() => {
        this._busy = false;
        if (!this._disposed) {
          this._schedule(Date.now());
        }
      });
  }

  private _png: string | null = null;
  private _pngFrame: number | null = null;
  private _waiting: IFrame | null = null;
  private _busy = false;
  private _lastStart = -Infinity;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
}

/**
 * The output data to save for a widget output, with the session's picture.
 *
 * @param data - the output's mime bundle
 * @param png - the picture (base64), or `null` when none was encoded yet
 * @returns the new bundle (the widget-view entry untouched), or `null` when nothing changes:
 *   no widget view, no picture yet, or the same picture already there
 */
export function withSnapshot(
  data: Readonly<Record<string, unknown>>,
  png: string | null
): Record<string, unknown> | null {
  if (!(WIDGET_VIEW_MIME in data) || !png || data[PNG_MIME] === png) {
    return null;
  }
  return { ...data, [PNG_MIME]: png };
}

/**
 * The widget model id of an output's widget-view data, if it has one.
 */
export function widgetModelId(data: Readonly<Record<string, unknown>>): string | null {
  const view = data[WIDGET_VIEW_MIME] as { model_id?: unknown } | undefined;
  return view && typeof view.model_id === 'string' && view.model_id ? view.model_id : null;
}

/**
 * Knows which widget model shows which session and keeps each session's PNG.
 */
export class SnapshotStore {
  /**
   * @param encode - encodes a frame as PNG (base64)
   * @param intervalMs - least time (ms) between two encodings of one session
   */
  constructor(
    private readonly _encode: (frame: IFrame) => Promise<string>,
    private readonly _intervalMs = 1000
  ) {}

  /**
   * Keep the picture of `connection`'s session for widget model `modelId` while a view of it
   * lives: the newest still frame of the size `sizeOf` gives (each viewport gets frames of its
   * own size, so another viewport's frames are not this output's picture).
   *
   * @returns disposing it ends the watch (a re-created view starts a new one)
   */
  watch(
    modelId: string,
    connection: SessionConnection,
    sizeOf: () => readonly [number, number] | null
  ): IDisposable {
    if (!this._snapshots.has(connection)) {
      const bySize = new Map<string, PngSnapshot>();
      this._snapshots.set(connection, bySize);
      const offer = (frame: IFrame) => {
        const key = sizeKey(frame.viewSize);
        let snapshot = bySize.get(key);
        if (!snapshot) {
          snapshot = new PngSnapshot(this._encode, this._intervalMs);
          bySize.set(key, snapshot);
        }
        snapshot.offer(frame);
      };
      // The connection's signals are cleared when it is disposed; the WeakMap lets go.
      connection.frameReceived.connect((_, frame) => offer(frame));
      if (connection.lastFrame) {
        offer(connection.lastFrame);
      }
    }
    const watch = { modelId, connection, sizeOf };
    this._watches.add(watch);
    return new DisposableDelegate(() => {
      this._watches.delete(watch);
    });
  }

  /**
   * The picture for a widget model's output, or `null` when the model shows no watched
   * session, none of its size was encoded yet, or its session is in the middle of a drag
   * (replacing the output would re-create the view under the user's pointer).
   */
  pngFor(modelId: string): string | null {
    for (const watch of this._watches) {
      if (watch.modelId === modelId) {
        const size = watch.sizeOf();
        if (watch.connection.isDisposed || watch.connection.interacting || !size) {
          return null;
        }
        return this._snapshots.get(watch.connection)?.get(sizeKey(size))?.png ?? null;
      }
    }
    return null;
  }

  /** Frames of one size per viewport size: a few sizes per session at most. */
  private _snapshots = new WeakMap<SessionConnection, Map<string, PngSnapshot>>();
  private _watches = new Set<{
    modelId: string;
    connection: SessionConnection;
    sizeOf: () => readonly [number, number] | null;
  }>();
}

function sizeKey(size: readonly [number, number]): string {
  return `${size[0]}x${size[1]}`;
}

/**
 * Puts the pictures into every tracked notebook as it starts saving.
 */
export class NotebookSnapshots implements IDisposable {
  /**
   * @param tracker - the notebooks
   * @param pngFor - the picture for a widget model id, or `null`
   */
  constructor(
    tracker: INotebookTracker,
    private readonly _pngFor: (modelId: string) => string | null
  ) {
    tracker.widgetAdded.connect(this._onNotebook, this);
    tracker.forEach(panel => this._onNotebook(tracker, panel));
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    // Also the save-state connections, made with this object as their receiver.
    Signal.disconnectReceiver(this);
  }

  /**
   * Put the pictures into a notebook's widget outputs now.
   *
   * @returns how many outputs changed
   */
  fill(panel: NotebookPanel): number {
    const model = panel.content.model;
    if (this._disposed || !model) {
      return 0;
    }
    let changed = 0;
    for (const cell of model.cells) {
      if (cell.type !== 'code') {
        continue;
      }
      const outputs = (cell as ICodeCellModel).outputs;
      for (let i = 0; i < outputs.length; i++) {
        const output = outputs.get(i);
        const data = output.data as Readonly<Record<string, unknown>>;
        const modelId = widgetModelId(data);
        const next = modelId ? withSnapshot(data, this._pngFor(modelId)) : null;
        if (next) {
          output.setData({ data: next as typeof output.data });
          changed += 1;
        }
      }
    }
    return changed;
  }

  private _onNotebook(_: INotebookTracker, panel: NotebookPanel): void {
    panel.context.saveState.connect((__, state) => {
      if (state === 'started') {
        this.fill(panel);
      }
    }, this);
  }

  private _disposed = false;
}

/**
 * Encode a JPEG frame as PNG (base64) through a canvas.
 */
export async function encodePng(frame: IFrame): Promise<string> {
  const bitmap = await createImageBitmap(
    new Blob([frame.image], { type: `image/${frame.format}` })
  );
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext('2d');
    if (!context) {
      throw new Error('no 2D canvas context');
    }
    context.drawImage(bitmap, 0, 0);
    const url = canvas.toDataURL(PNG_MIME);
    return url.slice(url.indexOf(',') + 1);
  } finally {
    bitmap.close();
  }
}
