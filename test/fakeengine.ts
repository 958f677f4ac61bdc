/**
 * A fake WebSocket with a scripted wslink 2 engine behind it, for the transport and connection
 * units: it speaks the real wire format (chunk header + msgpack) through the real codec.
 */
import { encodeMessage, Reassembler } from '../src/wire';

/** One request the engine received. */
export interface IRequest {
  id: string;
  method: string;
  args: unknown[];
}

/**
 * Answers requests like the engine: `handlers[method]` returns the result, or throws to answer
 * with an error. The hello is accepted unless `refuseHello` is set.
 */
export class FakeEngine {
  handlers: Record<string, (args: unknown[]) => unknown> = {
    'pvw.quality': () => ({}),
    'viewport.image.push': () => ({ success: true, viewId: '1' }),
    'viewport.image.push.observer.add': () => ({ success: true, viewId: '1' }),
    'viewport.image.push.observer.remove': () => ({ success: true, viewId: '1' }),
    'viewport.camera.reset': () => ({ success: true }),
    'viewport.mouse.interaction': () => ({ success: true }),
    'viewport.mouse.zoom.wheel': () => ({ success: true })
  };
  requests: IRequest[] = [];
  sockets: FakeSocket[] = [];
  refuseHello = false;
  /** Requests are answered only when `flush()` is called (to test what waits). */
  manual = false;

  /** Opens a socket to this engine (pass as `createSocket`). */
  open = (url: string): WebSocket => {
    const socket = new FakeSocket(url, this);
    this.sockets.push(socket);
    return socket as unknown as WebSocket;
  };

  /** The socket opened last. */
  get socket(): FakeSocket {
    return this.sockets[this.sockets.length - 1];
  }

  /** The methods requested, in order (hello excluded). */
  get methods(): string[] {
    return this.requests.filter(r => r.method !== 'wslink.hello').map(r => r.method);
  }

  /** Answer the requests held back in manual mode. */
  flush(count = Infinity): void {
    while (count-- > 0 && this._held.length) {
      this._held.shift()!();
    }
  }

  /** How many requests wait for `flush()`. */
  get held(): number {
    return this._held.length;
  }

  /** Publish a message on a topic to every open socket. */
  publish(topic: string, data: unknown, n = 1): void {
    for (const socket of this.sockets.filter(s => s.readyState === 1)) {
      socket.deliver({ wslink: '1.0', id: `publish:${topic}:${n}`, result: data });
    }
  }

  receive(socket: FakeSocket, request: IRequest): void {
    this.requests.push(request);
    const answer = () => {
      if (request.method === 'wslink.hello') {
        socket.deliver(
          this.refuseHello
            ? {
                wslink: '1.0',
                id: request.id,
                error: { code: -32001, message: 'Authentication failed' }
              }
            : { wslink: '1.0', id: request.id, result: { clientID: 'c7', maxMsgSize: 4194304 } }
        );
        return;
      }
      const handler = this.handlers[request.method];
      try {
        if (!handler) {
          throw new Error(`no method ${request.method}`);
        }
        socket.deliver({ wslink: '1.0', id: request.id, result: handler(request.args) });
      } catch (reason) {
        socket.deliver({
          wslink: '1.0',
          id: request.id,
          error: { code: -32000, message: 'Exception raised', data: { exception: String(reason) } }
        });
      }
    };
    if (this.manual && request.method !== 'wslink.hello') {
      this._held.push(answer);
    } else {
      answer();
    }
  }

  private _held: (() => void)[] = [];
}

/**
 * The part of the WebSocket API the transport uses.
 */
export class FakeSocket {
  constructor(
    readonly url: string,
    private readonly _engine: FakeEngine
  ) {
    // Opens on the next turn, like a real socket.
    setTimeout(() => {
      if (this.readyState === 0) {
        this.readyState = 1;
        this.onopen?.({});
      }
    }, 0);
  }

  readyState = 0;
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  sent: Uint8Array[] = [];

  send(frame: Uint8Array): void {
    if (this.readyState !== 1) {
      throw new Error('not open');
    }
    this.sent.push(frame);
    const message = this._reassembler.feed(frame) as IRequest | undefined;
    if (message) {
      this._engine.receive(this, message);
    }
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) {
      return;
    }
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason }), 0);
  }

  /** The server side drops the connection (engine stopped, proxy refused). */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Send a message to the client, as one binary frame. */
  deliver(message: unknown): void {
    if (this.readyState !== 1) {
      return;
    }
    for (const frame of encodeMessage(message, 1)) {
      const copy = frame.slice().buffer;
      this.onmessage?.({ data: copy });
    }
  }

  private _reassembler = new Reassembler();
}
