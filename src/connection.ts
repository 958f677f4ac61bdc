/**
 * One live, self-healing connection per engine session, shared by every viewport on it.
 *
 * The notebook widget and the side panel on the same session, and a view JupyterLab
 * re-creates (re-rendered output, saved notebook), all lease the same `SessionConnection`
 * from the `ConnectionRegistry`, so one WebSocket carries one frame stream however many
 * viewports show it.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { Interaction, mergeInteractions } from './events';
import { asFrame, FrameDecoder, FrameRate, IFrame } from './frames';
import { Reconnector } from './reconnect';
import { CoalescingSender } from './sender';
import { ITransportStatus, WslinkTransport } from './transport';
import { IMAGE_TOPIC, MAX_VIEW_SIZE, MIN_VIEW_SIZE, PRESENCE_TOPIC, VIEW_ID } from './wire';

/** One viewer of a session, as the engine publishes it (engine/presence.py). */
export interface IViewer {
  client: string;
  username: string;
  name?: string;
  display_name?: string;
  initials?: string;
  color?: string;
  owner: boolean;
  driver: boolean;
  wantsControl: boolean;
}

/** Who watches a session, who drives it, and which viewer this connection is. */
export interface IPresence {
  driver: string | null;
  viewers: IViewer[];
  you: string;
}

/** How long (ms) size requests settle before one is sent: a resize fires many. */
export const SIZE_DEBOUNCE_MS = 150;

/**
 * The state of a session connection.
 *
 * - `connecting`: the first attempt is under way
 * - `live`: frames flow
 * - `reconnecting`: the connection failed or dropped while the session is still listed;
 *   another attempt is scheduled
 * - `stopped`: the session was live and is no longer listed: its owner stopped it (or its
 *   kernel exited); the last frame stays
 * - `error`: it gave up on a session it never reached; `reconnect()` starts over
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'stopped' | 'error';

/**
 * A state and what the user should read about it.
 */
export interface IConnectionStatus {
  readonly state: ConnectionState;
  /** Why it is reconnecting or failed; empty otherwise. */
  readonly message: string;
  /** Whether the connection was live at least once (an engine that stopped, not one never reached). */
  readonly wasLive: boolean;
}

/**
 * The viewer's image settings, sent to the engine with `pvw.quality`.
 */
export interface IQuality {
  stillQuality: number;
  interactiveQuality: number;
  maxFps: number;
  /** The render budget and reduced frames while interacting (`pvw.budget`), when set. */
  renderBudget?: number;
  interactiveLod?: boolean;
  /** Whether viewports show the frame readout. */
  showFrameInfo?: boolean;
}

/**
 * How to build a session connection.
 */
export interface ISessionConnectionOptions {
  /** The proxy's session id. */
  sessionId: string;
  /** Opens one wslink transport to the session (a new one for every attempt). */
  createTransport: () => WslinkTransport;
  /** After a failed attempt: is the session gone (no longer listed by the server)? */
  isGone: () => Promise<boolean>;
  /** The image settings to apply on every (re)connect. */
  quality: IQuality;
  /** Decodes a frame for drawing. Default: `createImageBitmap` of the JPEG. */
  decode?: (frame: IFrame) => Promise<ImageBitmap>;
  /** Backoff of the reconnector (ms); defaults 500 and 10000. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * A session's connection: connects, re-connects with backoff, applies the image settings,
 * keeps the newest frame (raw and decoded) and sends interaction one message at a time.
 */
export class SessionConnection implements IDisposable {
  constructor(options: ISessionConnectionOptions) {
    this.sessionId = options.sessionId;
    this._options = options;
    this._quality = { ...options.quality };
    this._decode =
      options.decode ??
      (frame => createImageBitmap(new Blob([frame.image], { type: `image/${frame.format}` })));
    this._decoder = new FrameDecoder<ImageBitmap>(this._decode, bitmap => bitmap.close?.());
    this._sender = new CoalescingSender<Interaction>(
      message => this._call(message.method, [message.event]),
      mergeInteractions,
      reason => {
        console.warn(`jupyterlab-pvw: an interaction failed: ${errorText(reason)}`);
        this._interactionFailed.emit(errorText(reason));
      }
    );
    this._reconnector = new Reconnector({
      connect: () => this._connectOnce(),
      isGone: options.isGone,
      initialDelayMs: options.initialDelayMs,
      maxDelayMs: options.maxDelayMs,
      onRetry: (delayMs, failures, reason) => {
        const why = errorText(reason);
        const wait = delayMs < 1000 ? 'in a moment' : `in ${Math.round(delayMs / 1000)} s`;
        this._setStatus('reconnecting', `${why}; trying again ${wait}`);
      },
      onGiveUp: (reason, wasConnected) =>
        wasConnected
          ? this._setStatus(
              'stopped',
              `session ${this.sessionId} was stopped (its engine was stopped or its kernel exited)`
            )
          : this._setStatus(
              'error',
              `session ${this.sessionId} is gone: its engine was stopped or its kernel exited ` +
                `(${errorText(reason)})`
            )
    });
    this._reconnector.start();
  }

  /** The proxy's session id. */
  readonly sessionId: string;

  /** The current state. */
  get status(): IConnectionStatus {
    return this._status;
  }

  /** Emitted on every state change. */
  get statusChanged(): ISignal<this, IConnectionStatus> {
    return this._statusChanged;
  }

  /** Emitted for every frame received, before decoding. */
  get frameReceived(): ISignal<this, IFrame> {
    return this._frameReceived;
  }

  /** The newest frame received. */
  get lastFrame(): IFrame | null {
    return this._lastFrame;
  }

  /** The decoder: its `current` frame is drawn by new viewports, `decoded` by live ones. */
  get frames(): FrameDecoder<ImageBitmap> {
    return this._decoder;
  }

  /** Whether a drag or wheel gesture is in progress on any viewport of this session. */
  get interacting(): boolean {
    return this._dragging || this._wheeling;
  }

  /** Frames received per second over the last second. */
  frameRate(now = Date.now()): number {
    return this._rate.rate(now);
  }

  /** The size the engine renders at (the last requested one), if any was requested. */
  get size(): readonly [number, number] | null {
    return this._size;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Call any engine method.
   *
   * @throws Error when not live; WslinkError when the engine answers with an error
   */
  call<T = unknown>(method: string, args: unknown[] = []): Promise<T> {
    return this._call<T>(method, args);
  }

  /**
   * Receive what the engine publishes on `topic`, over this and every later transport.
   *
   * @returns disposing it unsubscribes
   */
  subscribe(topic: string, callback: (data: unknown) => void): IDisposable {
    const entry: ITopicEntry = { topic, callback, current: null };
    this._topics.add(entry);
    if (this._transport) {
      entry.current = this._transport.subscribe(topic, callback);
    }
    return {
      get isDisposed() {
        return entry.current === undefined;
      },
      dispose: () => {
        entry.current?.dispose();
        entry.current = undefined;
        this._topics.delete(entry);
      }
    };
  }

  /**
   * Queue an interaction; moves and wheel spins that wait are merged (see `CoalescingSender`).
   * Dropped while not live: a camera move for an engine that is not there is meaningless.
   */
  interact(message: Interaction): void {
    if (message.method === 'viewport.mouse.interaction') {
      this._dragging = message.event.action !== 'up';
    } else if (message.event.type !== 'MouseWheel') {
      this._wheeling = message.event.type === 'StartMouseWheel';
    }
    if (this._status.state === 'live') {
      this._sender.push(message);
    }
  }

  /**
   * Ask the engine to render at this size for `viewport` (debounced; the newest request of
   * each viewport wins). Every viewport gets frames of its own size.
   */
  requestSize(width: number, height: number, viewport = 'default'): void {
    const size: [number, number] = [clampSize(width), clampSize(height)];
    const old = this._sizes.get(viewport);
    if (old && old[0] === size[0] && old[1] === size[1]) {
      return;
    }
    this._sizes.set(viewport, size);
    this._size = size;
    if (this._sizeTimer !== null) {
      clearTimeout(this._sizeTimer);
    }
    this._sizeTimer = setTimeout(() => {
      this._sizeTimer = null;
      if (this._status.state === 'live') {
        this._sendSizes().catch(reason =>
          console.warn(`jupyterlab-pvw: resize failed: ${errorText(reason)}`)
        );
      }
    }, SIZE_DEBOUNCE_MS);
  }

  /** `viewport` is gone: the engine stops rendering its size for this connection. */
  releaseSize(viewport: string): void {
    if (this._sizes.delete(viewport) && this._status.state === 'live') {
      this._call('viewport.image.push', [{ view: VIEW_ID, viewport, size: null }]).catch(
        () => undefined
      );
    }
  }

  /** Decoded frames of one size (each viewport draws its own); `release` when done. */
  framesOf(size: readonly [number, number]): FrameDecoder<ImageBitmap> {
    const key = `${size[0]}x${size[1]}`;
    let entry = this._sized.get(key);
    if (!entry) {
      entry = { decoder: new FrameDecoder<ImageBitmap>(this._decode, b => b.close?.()), users: 0 };
      this._sized.set(key, entry);
    }
    entry.users += 1;
    return entry.decoder;
  }

  /** A viewport no longer draws frames of `size`. */
  releaseFrames(size: readonly [number, number]): void {
    const key = `${size[0]}x${size[1]}`;
    const entry = this._sized.get(key);
    if (entry && --entry.users <= 0) {
      entry.decoder.dispose();
      this._sized.delete(key);
    }
  }

  /** Who watches this session and who drives it (null until the engine says). */
  get presence(): IPresence | null {
    return this._presence;
  }

  get presenceChanged(): ISignal<this, IPresence> {
    return this._presenceChanged;
  }

  /** An interaction the engine refused (e.g. someone else drives), with its message. */
  get interactionFailed(): ISignal<this, string> {
    return this._interactionFailed;
  }

  /** Ask to drive (granted at once when nobody drives or the driver is idle). */
  async requestControl(): Promise<void> {
    this._setPresence(await this._call<IPresence>('pvw.control.request', []));
  }

  /** The driver hands control to viewer `client`. */
  async giveControl(client: string): Promise<void> {
    this._setPresence(await this._call<IPresence>('pvw.control.give', [client]));
  }

  private _setPresence(presence: IPresence): void {
    if (presence && Array.isArray(presence.viewers)) {
      this._presence = presence;
      this._presenceChanged.emit(presence);
    }
  }

  private async _sendSizes(): Promise<void> {
    for (const [viewport, size] of this._sizes) {
      await this._call('viewport.image.push', [{ view: VIEW_ID, viewport, size: [...size] }]);
    }
  }

  /**
   * Apply new image settings now (when live) and on every later reconnect.
   */
  setQuality(quality: IQuality): void {
    this._quality = { ...quality };
    if (this._status.state === 'live') {
      this._applyQuality().catch(() => undefined);
    }
  }

  /**
   * Reset the camera to show all the data.
   */
  resetCamera(): Promise<unknown> {
    return this._call('viewport.camera.reset', [VIEW_ID]);
  }

  /**
   * Start connecting again now, with the backoff reset (after an error, a user's retry).
   */
  reconnect(): void {
    if (this._disposed) {
      return;
    }
    this._dropTransport();
    this._setStatus('connecting', '');
    this._reconnector.start();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._reconnector.dispose();
    this._sender.dispose();
    if (this._sizeTimer !== null) {
      clearTimeout(this._sizeTimer);
    }
    const transport = this._transport;
    if (transport && transport.status.state === 'live') {
      // Tell the engine this viewer is done before closing; the close follows either way.
      void transport
        .call('viewport.image.push.observer.remove', [VIEW_ID])
        .catch(() => undefined)
        .then(() => transport.dispose());
      this._transport = null;
    }
    this._dropTransport();
    this._decoder.dispose();
    for (const entry of this._sized.values()) {
      entry.decoder.dispose();
    }
    this._sized.clear();
    Signal.clearData(this);
  }

  private async _connectOnce(): Promise<void> {
    this._dropTransport();
    const transport = this._options.createTransport();
    this._transport = transport;
    transport.subscribe(IMAGE_TOPIC, data => this._onFrame(data));
    for (const entry of this._topics) {
      entry.current = transport.subscribe(entry.topic, entry.callback);
    }
    await transport.connect();
    if (transport !== this._transport || this._disposed) {
      transport.dispose();
      return;
    }
    await this._applyQuality();
    transport.subscribe(PRESENCE_TOPIC, data => this._setPresence(data as IPresence));
    for (const [viewport, size] of this._sizes) {
      await transport.call('viewport.image.push', [{ view: VIEW_ID, viewport, size: [...size] }]);
    }
    await transport.call('viewport.image.push.observer.add', ['-1']);
    // Not awaited: an engine without presence still streams.
    transport
      .call<IPresence>('pvw.presence')
      .then(p => this._setPresence(p))
      .catch(() => undefined);
    transport.stateChanged.connect(this._onTransportState, this);
    this._setStatus('live', '');
  }

  private async _applyQuality(): Promise<void> {
    const q = this._quality;
    try {
      await this._call('pvw.quality', [q.stillQuality, q.interactiveQuality, q.maxFps]);
      if (q.renderBudget !== undefined || q.interactiveLod !== undefined) {
        await this._call('pvw.budget', [q.renderBudget ?? null, q.interactiveLod ?? null]);
      }
    } catch (reason) {
      // An engine without the call still streams, with its own qualities.
      console.warn(`jupyterlab-pvw: could not apply the image settings: ${errorText(reason)}`);
    }
  }

  private _onTransportState(transport: WslinkTransport, status: ITransportStatus): void {
    if (transport !== this._transport || this._disposed) {
      return;
    }
    if (status.state === 'closed' || status.state === 'error') {
      this._dropTransport();
      this._dragging = this._wheeling = false;
      this._reconnector.lost(new Error(status.message));
    }
  }

  private _onFrame(data: unknown): void {
    const frame = asFrame(data);
    if (!frame || this._disposed) {
      return;
    }
    this._lastFrame = frame;
    this._rate.add(Date.now());
    this._frameReceived.emit(frame);
    this._decoder.push(frame);
    this._sized.get(`${frame.viewSize[0]}x${frame.viewSize[1]}`)?.decoder.push(frame);
  }

  private _call<T = unknown>(method: string, args: unknown[]): Promise<T> {
    if (!this._transport) {
      return Promise.reject(new Error(`${method}: not connected`));
    }
    return this._transport.call<T>(method, args);
  }

  private _dropTransport(): void {
    if (this._transport) {
      this._transport.stateChanged.disconnect(this._onTransportState, this);
      this._transport.dispose();
      this._transport = null;
    }
    this._sender.clear();
  }

  private _setStatus(state: ConnectionState, message: string): void {
    if (this._disposed) {
      return;
    }
    const wasLive = this._status.wasLive || state === 'live';
    if (this._status.state === state && this._status.message === message) {
      return;
    }
    this._status = { state, message, wasLive };
    this._statusChanged.emit(this._status);
  }

  private readonly _options: ISessionConnectionOptions;
  private _quality: IQuality;
  private _status: IConnectionStatus = { state: 'connecting', message: '', wasLive: false };
  private _statusChanged = new Signal<this, IConnectionStatus>(this);
  private _frameReceived = new Signal<this, IFrame>(this);
  private _transport: WslinkTransport | null = null;
  private _decoder: FrameDecoder<ImageBitmap>;
  private _decode: (frame: IFrame) => Promise<ImageBitmap>;
  private _sender: CoalescingSender<Interaction>;
  private _reconnector: Reconnector;
  private _rate = new FrameRate();
  private _lastFrame: IFrame | null = null;
  private _size: [number, number] | null = null;
  private _sizeTimer: ReturnType<typeof setTimeout> | null = null;
  private _sizes = new Map<string, [number, number]>();
  private _sized = new Map<string, { decoder: FrameDecoder<ImageBitmap>; users: number }>();
  private _presence: IPresence | null = null;
  private _presenceChanged = new Signal<this, IPresence>(this);
  private _interactionFailed = new Signal<this, string>(this);
  private _dragging = false;
  private _wheeling = false;
  private _disposed = false;
  private _topics = new Set<ITopicEntry>();
}

/** A topic subscription that outlives transports (`current`: undefined once disposed). */
interface ITopicEntry {
  topic: string;
  callback: (data: unknown) => void;
  current: IDisposable | null | undefined;
}

/**
 * A viewport's hold on a shared connection; disposing it lets the connection go.
 */
export interface IConnectionLease extends IDisposable {
  readonly connection: SessionConnection;
}

/**
 * The shared connections, one per session, counted by lease.
 *
 * A connection outlives its last lease by `graceMs`, so a view that JupyterLab disposes and
 * re-creates right away (a re-rendered output) takes over the same WebSocket and frame.
 */
export class ConnectionRegistry implements IDisposable {
  /**
   * @param create - builds the connection of a session
   * @param graceMs - how long (ms) an unused connection stays open
   */
  constructor(
    private readonly _create: (sessionId: string) => SessionConnection,
    private readonly _graceMs = 5000
  ) {}

  /**
   * Lease the connection of a session, opening it if needed.
   */
  acquire(sessionId: string): IConnectionLease {
    if (this._disposed) {
      throw new Error('the connection registry is disposed');
    }
    let entry = this._entries.get(sessionId);
    if (!entry || entry.connection.isDisposed) {
      entry = { connection: this._create(sessionId), leases: 0, timer: null };
      this._entries.set(sessionId, entry);
    }
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
      entry.timer = null;
    }
    entry.leases += 1;
    const held = entry;
    let disposed = false;
    return {
      connection: held.connection,
      get isDisposed() {
        return disposed;
      },
      dispose: () => {
        if (!disposed) {
          disposed = true;
          this._release(sessionId, held);
        }
      }
    };
  }

  /**
   * The open connection of a session, without leasing it.
   */
  get(sessionId: string): SessionConnection | undefined {
    return this._entries.get(sessionId)?.connection;
  }

  /** Every open connection. */
  get connections(): SessionConnection[] {
    return Array.from(this._entries.values(), entry => entry.connection);
  }

  /** Leases held on a session's connection. */
  leases(sessionId: string): number {
    return this._entries.get(sessionId)?.leases ?? 0;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    for (const entry of this._entries.values()) {
      if (entry.timer !== null) {
        clearTimeout(entry.timer);
      }
      entry.connection.dispose();
    }
    this._entries.clear();
  }

  private _release(sessionId: string, entry: IEntry): void {
    entry.leases -= 1;
    if (entry.leases > 0 || this._disposed) {
      return;
    }
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (entry.leases === 0 && this._entries.get(sessionId) === entry) {
        this._entries.delete(sessionId);
        entry.connection.dispose();
      }
    }, this._graceMs);
  }

  private _entries = new Map<string, IEntry>();
  private _disposed = false;
}

interface IEntry {
  connection: SessionConnection;
  leases: number;
  timer: ReturnType<typeof setTimeout> | null;
}

function clampSize(value: number): number {
  const rounded = Math.round(Number.isFinite(value) ? value : MIN_VIEW_SIZE);
  return Math.max(MIN_VIEW_SIZE, Math.min(MAX_VIEW_SIZE, rounded));
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
