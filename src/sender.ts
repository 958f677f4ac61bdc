/**
 * An ordered queue that keeps at most one message in flight and merges what waits.
 *
 * Pointer moves arrive far faster than the engine renders. Sending each would queue renders
 * of stale cameras; instead the next message leaves only when the previous one is answered,
 * and messages waiting meanwhile are merged (the newest move wins, wheel spins add up).
 */

/**
 * Sends messages one at a time, merging the waiting ones.
 */
export class CoalescingSender<T> {
  /**
   * @param send - sends one message; the next leaves when the returned promise settles
   * @param merge - the one message to send instead of a waiting `queued` and a new `next`,
   *   or `null` to send both in order
   * @param onError - told about a failed send; the queue goes on with the next message
   */
  constructor(
    private readonly _send: (message: T) => Promise<unknown>,
    private readonly _merge: (queued: T, next: T) => T | null,
    private readonly _onError: (reason: unknown) => void = () => undefined
  ) {}

  /** Whether a message is in flight. */
  get busy(): boolean {
    return this._busy;
  }

  /** The messages waiting behind the one in flight. */
  get waiting(): readonly T[] {
    return this._queue;
  }

  /**
   * Queue a message; it leaves at once when nothing is in flight.
   */
  push(message: T): void {
    if (this._disposed) {
      return;
    }
    const last = this._queue.length ? this._queue[this._queue.length - 1] : undefined;
    const merged = last === undefined ? null : this._merge(last, message);
    if (merged !== null) {
      this._queue[this._queue.length - 1] = merged;
    } else {
      this._queue.push(message);
    }
    this._pump();
  }

  /**
   * Drop the waiting messages (the one in flight still completes).
   */
  clear(): void {
    this._queue = [];
  }

  /**
   * Drop everything and send nothing more.
   */
  dispose(): void {
    this._disposed = true;
    this._queue = [];
  }

  private _pump(): void {
    if (this._busy || this._disposed || this._queue.length === 0) {
      return;
    }
    const message = this._queue.shift() as T;
    this._busy = true;
    let sent: Promise<unknown>;
    try {
      sent = this._send(message);
    } catch (reason) {
      sent = Promise.reject(reason);
    }
    sent
      .catch(reason => {
        if (!this._disposed) {
          this._onError(reason);
        }
      })
      .then(() => {
        this._busy = false;
        this._pump();
      });
  }

  private _queue: T[] = [];
  private _busy = false;
  private _disposed = false;
}
