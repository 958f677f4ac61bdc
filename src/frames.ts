/**
 * Frames from the engine: what they carry, decoding the newest only, and their rate.
 */
import { ISignal, Signal } from '@lumino/signaling';

/**
 * A frame published on `viewport.image.push.subscription`.
 */
export interface IFrame {
  /** The encoded picture. */
  image: Uint8Array;
  /** The encoding of `image`; the engine sends `jpeg`. */
  format: string;
  /** Width and height in pixels. */
  size: [number, number];
  /** The viewport size the frame answers (a reduced frame is smaller than this). */
  viewSize: [number, number];
  /** Whether this is a full-quality frame (no interaction going on). */
  still: boolean;
  /** JPEG quality used. */
  quality: number;
  /** Render and encode time in ms. */
  workTime: number;
  /** Frame counter of the engine. */
  mtime: number;
  /** The simulation step and time shown. */
  timestep: number;
  time: number;
  /** Drawn with ParaView's decimated (LOD) geometry, as during a drag. */
  lod: boolean;
  /** Fraction of the view size rendered (1: full); the viewport scales the picture up. */
  scale: number;
  /** The render budget in force on the engine (1: the whole machine). */
  budget: number;
  /** What is coloured by which array and range (visible pipeline items). */
  coloring: IFrameColoring[];
}

/**
 * One visible item's colouring, as the frame's metadata carries it.
 */
export interface IFrameColoring {
  item: string;
  array: string;
  association: string;
  range: number[];
}

/**
 * Check a published message and return it as a frame.
 *
 * @returns the frame, or `null` when the message is not a usable frame
 */
export function asFrame(data: unknown): IFrame | null {
  if (!data || typeof data !== 'object') {
    return null;
  }
  const frame = data as Partial<IFrame>;
  if (!(frame.image instanceof Uint8Array) || frame.image.byteLength === 0) {
    return null;
  }
  const size = Array.isArray(frame.size) ? frame.size : [0, 0];
  const viewSize = Array.isArray(frame.viewSize) ? frame.viewSize : size;
  return {
    image: frame.image,
    format: typeof frame.format === 'string' ? frame.format : 'jpeg',
    size: [Number(size[0]) || 0, Number(size[1]) || 0],
    viewSize: [Number(viewSize[0]) || 0, Number(viewSize[1]) || 0],
    still: frame.still !== false,
    quality: Number(frame.quality) || 0,
    workTime: Number(frame.workTime) || 0,
    mtime: Number(frame.mtime) || 0,
    timestep: Number(frame.timestep) || 0,
    time: Number(frame.time) || 0,
    coloring: Array.isArray(frame.coloring)
      ? frame.coloring.filter(c => c && typeof c.array === 'string')
      : [],
    lod: frame.lod === true,
    scale: Number(frame.scale) > 0 && Number(frame.scale) <= 1 ? Number(frame.scale) : 1,
    budget: Number(frame.budget) > 0 && Number(frame.budget) <= 1 ? Number(frame.budget) : 1
  };
}

/**
 * A decoded frame, ready to draw.
 */
export interface IDecodedFrame<B> {
  readonly bitmap: B;
  readonly frame: IFrame;
}

/**
 * Decodes frames one at a time, always the newest: frames that arrive while one is being
 * decoded replace each other, so a slow decoder never falls behind.
 */
export class FrameDecoder<B> {
  /**
   * @param decode - decodes one frame (e.g. `createImageBitmap` of a JPEG blob)
   * @param release - frees a decoded frame that is no longer current (e.g. `bitmap.close()`)
   */
  constructor(
    private readonly _decode: (frame: IFrame) => Promise<B>,
    private readonly _release: (bitmap: B) => void = () => undefined
  ) {}

  /** Emitted after each decoded frame becomes current. */
  get decoded(): ISignal<this, IDecodedFrame<B>> {
    return this._decoded;
  }

  /** The newest decoded frame. */
  get current(): IDecodedFrame<B> | null {
    return this._current;
  }

  /**
   * Decode a frame as soon as the decoder is free; replaces any frame still waiting.
   */
  push(frame: IFrame): void {
    if (this._disposed) {
      return;
    }
    this._waiting = frame;
    void this._pump();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._waiting = null;
    if (this._current) {
      this._release(this._current.bitmap);
      this._current = null;
    }
    Signal.clearData(this);
  }

  private async _pump(): Promise<void> {
    while (this._waiting && !this._busy && !this._disposed) {
      const frame = this._waiting;
      this._waiting = null;
      this._busy = true;
      try {
        const bitmap = await this._decode(frame);
        if (this._disposed) {
          this._release(bitmap);
          return;
        }
        const previous = this._current;
        this._current = { bitmap, frame };
        this._decoded.emit(this._current);
        // Released after the signal: every listener has drawn the new frame by now.
        if (previous) {
          this._release(previous.bitmap);
        }
      } catch (reason) {
        console.warn('jupyterlab-pvw: could not decode a frame', reason);
      } finally {
        this._busy = false;
      }
    }
  }

  private _decoded = new Signal<this, IDecodedFrame<B>>(this);
  private _current: IDecodedFrame<B> | null = null;
  private _waiting: IFrame | null = null;
  private _busy = false;
  private _disposed = false;
}

/**
 * Frames per second over a sliding window.
 */
export class FrameRate {
  /**
   * @param windowMs - the window (ms) frames are counted over
   */
  constructor(readonly windowMs = 1000) {}

  /** Count a frame received at time `now` (ms). */
  add(now: number): void {
    this._times.push(now);
    this._trim(now);
  }

  /** Frames per second at time `now` (ms): 0 when no frame arrived within the window. */
  rate(now: number): number {
    this._trim(now);
    return (this._times.length * 1000) / this.windowMs;
  }

  private _trim(now: number): void {
    while (this._times.length && this._times[0] <= now - this.windowMs) {
      this._times.shift();
    }
  }

  private _times: number[] = [];
}
