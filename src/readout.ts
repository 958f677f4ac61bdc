/**
 * The viewport's frame readout: frame rate, input latency, bytes per frame, whether the
 * frame is reduced (LOD geometry or a fraction of the view size) and the render budget.
 */
import { IFrame } from './frames';

/**
 * Collects what the status line shows about frames; the viewport feeds it and asks for text.
 */
export class FrameReadout {
  /** The viewer sent input at `now` (ms); the next frame answers it. */
  input(now: number): void {
    if (this._pendingInput === null) {
      this._pendingInput = now;
    }
  }

  /** A frame was drawn at `now` (ms). */
  frame(frame: IFrame, now: number): void {
    this._last = frame;
    if (this._pendingInput !== null) {
      this._latencyMs = now - this._pendingInput;
      this._pendingInput = null;
    }
  }

  /** The readout, e.g. `24 fps · input 45 ms · 12 kB · LOD, 50% size · budget 15%`. */
  text(fps: number): string {
    const frame = this._last;
    const parts = [fps > 0 ? `${Math.round(fps)} fps` : 'idle'];
    if (this._latencyMs !== null) {
      parts.push(`input ${Math.round(this._latencyMs)} ms`);
    }
    if (frame) {
      parts.push(`${Math.max(1, Math.round(frame.image.byteLength / 1000))} kB`);
      const reduced: string[] = [];
      if (frame.lod) {
        reduced.push('LOD');
      }
      if (frame.scale < 1) {
        reduced.push(`${Math.round(frame.scale * 100)}% size`);
      }
      parts.push(reduced.length ? reduced.join(', ') : 'full');
      parts.push(frame.budget < 1 ? `budget ${Math.round(frame.budget * 100)}%` : 'no budget');
    }
    return parts.join(' · ');
  }

  private _last: IFrame | null = null;
  private _pendingInput: number | null = null;
  private _latencyMs: number | null = null;
}
