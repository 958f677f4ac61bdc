/**
 * When to try connecting again: exponential backoff, and knowing when to stop.
 *
 * An engine pauses (a long simulation step, a restart) or goes away for good (`%pvw stop`,
 * the kernel died). The browser cannot read the HTTP status of a refused WebSocket, so after
 * each failure the owner asks the server whether the session is still listed. A session that
 * was connected and is no longer listed was stopped by its owner: this stops at once. One
 * never reached is given up once it has been missing `maxGoneFailures` times in a row.
 */

/**
 * What the reconnector needs from its owner.
 */
export interface IReconnectorOptions {
  /** One connection attempt; resolves once the connection is live. */
  connect: () => Promise<void>;
  /**
   * After a failed attempt: is the session gone for good? A rejection counts as "not known
   * to be gone" (the Jupyter server itself may be restarting).
   */
  isGone: () => Promise<boolean>;
  /** Told before waiting `delayMs` for the next attempt, after `failures` failures. */
  onRetry?: (delayMs: number, failures: number, reason: unknown) => void;
  /**
   * Told once when it stops trying because the session is gone; `wasConnected` says whether
   * any attempt since the reconnector was built had succeeded (a stopped session, not one
   * never reached).
   */
  onGiveUp: (reason: unknown, wasConnected: boolean) => void;
  /** First delay (ms); doubled after each failure. Default 500. */
  initialDelayMs?: number;
  /** Longest delay (ms). Default 10000. */
  maxDelayMs?: number;
  /** Consecutive failures with the session missing before giving up. Default 3. */
  maxGoneFailures?: number;
}

/**
 * Drives connection attempts with exponential backoff.
 *
 * Call `start()` for the first attempt and `lost()` whenever a live connection drops.
 */
export class Reconnector {
  constructor(options: IReconnectorOptions) {
    this._options = options;
    this._initialDelay = options.initialDelayMs ?? 500;
    this._maxDelay = options.maxDelayMs ?? 10000;
    this._maxGone = options.maxGoneFailures ?? 3;
    this._delay = this._initialDelay;
  }

  /** The wait (ms) before the next attempt after a failure. */
  get delayMs(): number {
    return this._delay;
  }

  /** Failed attempts since the last successful one. */
  get failures(): number {
    return this._failures;
  }

  /** Whether it has stopped trying because the session is gone. */
  get gaveUp(): boolean {
    return this._gaveUp;
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Attempt now; also the way to start over after giving up (a user's "reconnect").
   */
  start(): void {
    if (this._disposed) {
      return;
    }
    this._cancelTimer();
    this._gaveUp = false;
    this._goneCount = 0;
    this._failures = 0;
    this._delay = this._initialDelay;
    void this._attempt();
  }

  /**
   * A live connection dropped: try again after the current delay.
   *
   * @param reason - why it dropped, passed on to `onRetry`
   */
  lost(reason?: unknown): void {
    if (this._disposed || this._gaveUp || this._attempting || this._timer !== null) {
      return;
    }
    this._schedule(reason);
    // Stopped by its owner: no longer listed. Asked now rather than after the first retry.
    const generation = this._generation;
    void this._isGone().then(gone => {
      if (gone && !this._disposed && !this._gaveUp && generation === this._generation) {
        this._cancelTimer();
        this._giveUp(reason);
      }
    });
  }

  /**
   * Stop for good: no further attempt starts, an attempt in flight is ignored.
   */
  dispose(): void {
    this._disposed = true;
    this._cancelTimer();
  }

  private async _attempt(): Promise<void> {
    const generation = ++this._generation;
    this._attempting = true;
    try {
      await this._options.connect();
      if (this._disposed || generation !== this._generation) {
        return;
      }
      this._failures = 0;
      this._goneCount = 0;
      this._delay = this._initialDelay;
      this._wasConnected = true;
    } catch (reason) {
      if (this._disposed || generation !== this._generation) {
        return;
      }
      this._failures += 1;
      const gone = await this._isGone();
      if (this._disposed || generation !== this._generation) {
        return;
      }
      this._goneCount = gone ? this._goneCount + 1 : 0;
      if ((gone && this._wasConnected) || this._goneCount >= this._maxGone) {
        this._giveUp(reason);
        return;
      }
      this._schedule(reason);
    } finally {
      if (generation === this._generation) {
        this._attempting = false;
      }
    }
  }

  /** Whether the session is known to be gone; not known when the server does not answer. */
  private async _isGone(): Promise<boolean> {
    try {
      return await this._options.isGone();
    } catch {
      return false;
    }
  }

  private _giveUp(reason: unknown): void {
    this._gaveUp = true;
    this._options.onGiveUp(reason, this._wasConnected);
  }

  private _schedule(reason: unknown): void {
    const delay = this._delay;
    this._delay = Math.min(this._delay * 2, this._maxDelay);
    this._options.onRetry?.(delay, this._failures, reason);
    this._timer = setTimeout(() => {
      this._timer = null;
      if (!this._disposed) {
        void this._attempt();
      }
    }, delay);
  }

  private _cancelTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private readonly _options: IReconnectorOptions;
  private readonly _initialDelay: number;
  private readonly _maxDelay: number;
  private readonly _maxGone: number;
  private _delay: number;
  private _failures = 0;
  private _goneCount = 0;
  private _gaveUp = false;
  private _wasConnected = false;
  private _disposed = false;
  private _attempting = false;
  private _generation = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
