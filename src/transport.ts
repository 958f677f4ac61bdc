/**
 * The wslink 2 client: one WebSocket to one engine, through the Jupyter server's proxy.
 *
 * The framing codec and the wire's constants are in `wire.ts`; this is the connection: the
 * hello, calls and their replies, subscriptions, and why a socket closed.
 */
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { CHUNK_HEADER_BYTES, encodeMessage, HELLO_LIMIT_BYTES, Reassembler } from './wire';

/** The id of the hello, the first message of a connection. */
export const HELLO_ID = 'system:c0:0';

/** What the server's chunks may be at most until its hello reply says otherwise. */
const DEFAULT_MAX_MESSAGE = 512 * 1024;

/**
 * The hello a client opens its connection with.
 *
 * @param secret - the secret (through the Jupyter proxy, any: the proxy puts the engine's in)
 */
export function helloMessage(secret: string): object {
  return { wslink: '1.0', id: HELLO_ID, method: 'wslink.hello', args: [{ secret }], kwargs: {} };
}

/**
 * An error the server answered a call with.
 */
export class WslinkError extends Error {
  /**
   * @param method - the method called
   * @param error - the `error` member of the reply: `{code, message, data}`
   */
  constructor(
    readonly method: string,
    readonly error: { code?: number; message?: string; data?: unknown }
  ) {
    super(`${method}: ${WslinkError.describe(error)}`);
    this.name = 'WslinkError';
  }

  /** The wslink error code (e.g. -32001 for a failed hello). */
  get code(): number | undefined {
    return this.error.code;
  }

  /** The useful part of a server error: the exception text when the server sent one. */
  static describe(error: { message?: string; data?: unknown }): string {
    const data = error.data as { exception?: unknown } | undefined;
    if (data && typeof data === 'object' && typeof data.exception === 'string') {
      return data.exception;
    }
    return error.message ?? 'unknown error';
  }
}

/**
 * The state of a transport: `connecting` until the hello is answered, then `live`; `closed`
 * when a live connection ended, `error` when it never became live.
 */
export type TransportState = 'connecting' | 'live' | 'closed' | 'error';

/**
 * A state and, for `closed` and `error`, why.
 */
export interface ITransportStatus {
  readonly state: TransportState;
  readonly message: string;
}

/**
 * How to build a transport.
 */
export interface ITransportOptions {
  /** The `ws:` or `wss:` URL of the proxy endpoint. */
  url: string;
  /** Sent in the hello; the Jupyter proxy replaces it with the engine's real secret. */
  secret?: string;
  /** Opens the socket; tests pass a fake. Default `new WebSocket(url)`. */
  createSocket?: (url: string) => WebSocket;
  /** How long (ms) the socket may take to open and answer the hello. Default 20000. */
  connectTimeoutMs?: number;
}

/**
 * One wslink connection. It connects once; reconnecting means a new transport.
 */
export class WslinkTransport implements IDisposable {
  constructor(options: ITransportOptions) {
    this._options = options;
  }

  /** Emitted on every state change. */
  get stateChanged(): ISignal<this, ITransportStatus> {
    return this._stateChanged;
  }

  /** The current state. */
  get status(): ITransportStatus {
    return this._status;
  }

  /** The id the server gave this client in its hello reply. */
  get clientId(): string | null {
    return this._clientId;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Open the socket and say hello.
   *
   * @returns resolves once the server accepted the hello
   * @throws Error when the socket fails or closes first, or the hello is refused
   */
  connect(): Promise<void> {
    if (this._connecting) {
      return this._connecting;
    }
    this._connecting = new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          this._hello = null;
          this._fail(why);
          reject(new Error(why));
        }
      };
      const timer = setTimeout(
        () => fail('the connection timed out'),
        this._options.connectTimeoutMs ?? 20000
      );
      let socket: WebSocket;
      try {
        socket = (this._options.createSocket ?? (url => new WebSocket(url)))(this._options.url);
      } catch (reason) {
        fail(`could not open ${this._options.url}: ${errorText(reason)}`);
        return;
      }
      this._socket = socket;
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => {
        const hello = encodeMessage(helloMessage(this._options.secret ?? 'jupyter'), 0);
        if (hello.length !== 1 || hello[0].byteLength > HELLO_LIMIT_BYTES) {
          // wslink would drop it without an answer: say why instead of timing out.
          fail(
            `the hello is ${hello[0].byteLength} bytes, more than the ${HELLO_LIMIT_BYTES} ` +
              'wslink accepts before it; use a shorter secret'
          );
          return;
        }
        socket.send(hello[0]);
      };
      socket.onmessage = event => this._receive(event.data);
      socket.onclose = event => {
        const why = closeReason(event);
        if (this._status.state === 'live') {
          this._setStatus('closed', why);
          this._rejectAll(new Error(`the connection closed: ${why}`));
        }
        fail(why);
      };
      this._hello = {
        resolve: (result: unknown) => {
          if (settled) {
            return;
          }
          settled = true;
          clearTimeout(timer);
          const reply = (result ?? {}) as { clientID?: unknown; maxMsgSize?: unknown };
          this._clientId = typeof reply.clientID === 'string' ? reply.clientID : 'c0';
          if (typeof reply.maxMsgSize === 'number' && reply.maxMsgSize > CHUNK_HEADER_BYTES) {
            this._maxFrame = reply.maxMsgSize;
          }
          this._setStatus('live', '');
          resolve();
        },
        reject: (reason: Error) => fail(`the engine refused the connection: ${reason.message}`)
      };
    });
    return this._connecting;
  }

  /**
   * Call a method on the server.
   *
   * @param method - the registered method name, e.g. `viewport.camera.reset`
   * @param args - positional arguments
   * @param kwargs - keyword arguments
   * @returns the result
   * @throws WslinkError when the server answers with an error; Error when not live or when the
   *   connection closes before the answer
   */
  call<T = unknown>(method: string, args: unknown[] = [], kwargs: object = {}): Promise<T> {
    if (this._status.state !== 'live') {
      return Promise.reject(new Error(`${method}: not connected (${this._status.state})`));
    }
    const id = `rpc:${this._clientId}:${++this._count}`;
    return new Promise<T>((resolve, reject) => {
      this._pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject: (reason: Error) => reject(reason),
        method
      });
      this._sendNow(id, method, args, kwargs);
    });
  }

  /**
   * Receive what the server publishes on a topic.
   *
   * @returns disposing it unsubscribes
   */
  subscribe(topic: string, callback: (data: unknown) => void): IDisposable {
    let callbacks = this._subscribers.get(topic);
    if (!callbacks) {
      callbacks = new Set();
      this._subscribers.set(topic, callbacks);
    }
    callbacks.add(callback);
    return new DisposableDelegate(() => {
      this._subscribers.get(topic)?.delete(callback);
    });
  }

  /**
   * Close the connection; pending calls fail.
   */
  close(): void {
    if (this._socket && this._socket.readyState <= 1) {
      this._socket.close(1000, 'closed by the viewer');
    }
    if (this._status.state === 'live' || this._status.state === 'connecting') {
      this._setStatus('closed', 'closed by the viewer');
    }
    this._rejectAll(new Error('the connection was closed'));
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this.close();
    this._disposed = true;
    this._subscribers.clear();
    Signal.clearData(this);
  }

  private _sendNow(id: string, method: string, args: unknown[], kwargs: object): void {
    if (!this._socket || this._socket.readyState !== 1) {
      this._settle(id, undefined, new Error(`${method}: the connection is not open`));
      return;
    }
    const frames = encodeMessage(
      { wslink: '1.0', id, method, args, kwargs },
      ++this._frameId,
      this._maxFrame
    );
    for (const frame of frames) {
      this._socket.send(frame);
    }
  }

  private _receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      return; // wslink 2 sends binary frames only
    }
    let message: unknown;
    try {
      message = this._reassembler.feed(data);
    } catch (reason) {
      console.warn(`jupyterlab-pvw: dropped a malformed wslink frame: ${errorText(reason)}`);
      return;
    }
    if (!message || typeof message !== 'object') {
      return;
    }
    const { id, result, error } = message as { id?: unknown; result?: unknown; error?: unknown };
    if (typeof id !== 'string') {
      return;
    }
    if (id.startsWith('publish:')) {
      // publish:<topic>:<n>; topics contain dots but no colons.
      const topic = id.slice('publish:'.length, id.lastIndexOf(':'));
      for (const callback of Array.from(this._subscribers.get(topic) ?? [])) {
        try {
          callback(result);
        } catch (reason) {
          console.error(`jupyterlab-pvw: a "${topic}" subscriber failed`, reason);
        }
      }
      return;
    }
    const failure =
      error && typeof error === 'object'
        ? new WslinkError(
            id === HELLO_ID ? 'wslink.hello' : (this._pending.get(id)?.method ?? id),
            error as { code?: number; message?: string; data?: unknown }
          )
        : undefined;
    this._settle(id, result, failure);
  }

  private _settle(id: string, result: unknown, failure: Error | undefined): void {
    if (id === HELLO_ID) {
      const hello = this._hello;
      this._hello = null;
      if (hello) {
        if (failure) {
          hello.reject(failure);
        } else {
          hello.resolve(result);
        }
      }
      return;
    }
    const pending = this._pending.get(id);
    if (!pending) {
      return;
    }
    this._pending.delete(id);
    if (failure) {
      pending.reject(failure);
    } else {
      pending.resolve(result);
    }
  }

  /** The connection never became live: say why and drop the socket. */
  private _fail(why: string): void {
    if (this._status.state === 'connecting') {
      this._setStatus('error', why);
    }
    if (this._socket && this._socket.readyState <= 1) {
      this._socket.close(1000, 'giving up');
    }
    this._rejectAll(new Error(why));
  }

  private _rejectAll(reason: Error): void {
    const pending = Array.from(this._pending.values());
    this._pending.clear();
    for (const call of pending) {
      call.reject(new Error(`${call.method}: ${reason.message}`));
    }
  }

  private _setStatus(state: TransportState, why: string): void {
    if (this._status.state === state && this._status.message === why) {
      return;
    }
    this._status = { state, message: why };
    this._stateChanged.emit(this._status);
  }

  private readonly _options: ITransportOptions;
  private _status: ITransportStatus = { state: 'connecting', message: '' };
  private _stateChanged = new Signal<this, ITransportStatus>(this);
  private _socket: WebSocket | null = null;
  private _connecting: Promise<void> | null = null;
  private _hello: { resolve: (result: unknown) => void; reject: (reason: Error) => void } | null =
    null;
  private _pending = new Map<
    string,
    { resolve: (value: unknown) => void; reject: (reason: Error) => void; method: string }
  >();
  private _subscribers = new Map<string, Set<(data: unknown) => void>>();
  private _reassembler = new Reassembler();
  private _clientId: string | null = null;
  private _count = 0;
  private _frameId = 0;
  private _maxFrame = DEFAULT_MAX_MESSAGE;
  private _disposed = false;
}

/**
 * Why a socket closed, in words. A refused handshake (404 unknown session, 403, 502 engine
 * unreachable) reaches the browser only as code 1006 without a reason.
 */
function closeReason(event: { code: number; reason: string }): string {
  if (event.reason) {
    return event.reason;
  }
  if (event.code === 1006) {
    return 'the connection was refused or lost';
  }
  return `closed with code ${event.code}`;
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
