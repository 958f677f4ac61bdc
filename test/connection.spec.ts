import {
  ConnectionRegistry,
  IConnectionStatus,
  ISessionConnectionOptions,
  SessionConnection
} from '../src/connection';
import { IFrame } from '../src/frames';
import { WslinkTransport } from '../src/transport';
import { IMAGE_TOPIC } from '../src/wire';
import { FakeEngine } from './fakeengine';

const QUALITY = { stillQuality: 90, interactiveQuality: 50, maxFps: 60 };

/** Wait (real time) until `condition` holds. */
async function until(condition: () => boolean, timeout = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeout) {
      throw new Error('timed out');
    }
    await new Promise(resolve => setTimeout(resolve, 2));
  }
}

function open(engine: FakeEngine, options: Partial<ISessionConnectionOptions> = {}) {
  const states: IConnectionStatus[] = [];
  const connection = new SessionConnection({
    sessionId: 's1',
    quality: QUALITY,
    createTransport: () => new WslinkTransport({ url: 'ws://x/s1', createSocket: engine.open }),
    isGone: async () => false,
    decode: async (frame: IFrame) => ({ mtime: frame.mtime }) as unknown as ImageBitmap,
    initialDelayMs: 5,
    maxDelayMs: 20,
    ...options
  });
  connection.statusChanged.connect((_, status) => states.push(status));
  return { connection, states };
}

const frame = (mtime: number, still = true) => ({
  image: new Uint8Array([0xff, 0xd8, mtime]),
  format: 'jpeg',
  size: [64, 32],
  still,
  mtime,
  workTime: 5,
  timestep: 2,
  time: 1
});

describe('SessionConnection', () => {
  it('applies the image settings, observes frames and goes live', async () => {
    const engine = new FakeEngine();
    const { connection, states } = open(engine);
    expect(connection.status.state).toBe('connecting');
    await until(() => connection.status.state === 'live');
    await until(() => engine.methods.length === 3);
    expect(engine.methods).toEqual([
      'pvw.quality',
      'viewport.image.push.observer.add',
      'pvw.presence'
    ]);
    expect(engine.requests.find(r => r.method === 'pvw.quality')!.args).toEqual([90, 50, 60]);
    expect(states.map(s => s.state)).toEqual(['live']);
    connection.dispose();
  });

  it('asks for the requested size before observing, then resizes debounced', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine);
    connection.requestSize(640.4, 10);
    await until(() => connection.status.state === 'live');
    expect(engine.methods).toEqual([
      'pvw.quality',
      'viewport.image.push',
      'viewport.image.push.observer.add',
      'pvw.presence'
    ]);
    expect(engine.requests[2].args).toEqual([{ view: '1', viewport: 'default', size: [640, 16] }]);

    connection.requestSize(800, 600);
    connection.requestSize(900, 5000);
    connection.requestSize(900, 5000);
    await until(() => engine.methods.length === 5);
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(engine.methods.slice(4)).toEqual(['viewport.image.push']);
    expect(engine.requests[engine.requests.length - 1].args).toEqual([
      { view: '1', viewport: 'default', size: [900, 4096] }
    ]);
    expect(connection.size).toEqual([900, 4096]);
    connection.dispose();
  });

  it('keeps and decodes the frames it receives', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine);
    const received: number[] = [];
    connection.frameReceived.connect((_, f) => received.push(f.mtime));
    await until(() => connection.status.state === 'live');
    engine.publish(IMAGE_TOPIC, frame(1));
    engine.publish(IMAGE_TOPIC, { not: 'a frame' });
    engine.publish(IMAGE_TOPIC, frame(2));
    await until(() => connection.frames.current?.frame.mtime === 2);
    expect(received).toEqual([1, 2]);
    expect(connection.lastFrame?.mtime).toBe(2);
    expect(connection.frameRate()).toBe(2);
    connection.dispose();
  });

  it('sends one interaction at a time, the newest move winning', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine);
    await until(() => connection.status.state === 'live');
    engine.manual = true;
    const move = (action: 'down' | 'move' | 'up', x: number) =>
      connection.interact({
        method: 'viewport.mouse.interaction',
        event: {
          view: '1',
          action,
          x,
          y: 0.5,
          buttonLeft: action !== 'up',
          buttonMiddle: false,
          buttonRight: false,
          shiftKey: false,
          ctrlKey: false,
          altKey: false,
          metaKey: false
        }
      });
    move('down', 0.1);
    expect(connection.interacting).toBe(true);
    for (const x of [0.2, 0.3, 0.4]) {
      move('move', x);
    }
    move('up', 0.4);
    expect(connection.interacting).toBe(false);
    const sent = () =>
      engine.requests
        .filter(r => r.method === 'viewport.mouse.interaction')
        .map(r => {
          const e = r.args[0] as { action: string; x: number };
          return `${e.action}@${e.x}`;
        });
    expect(sent()).toEqual(['down@0.1']);
    for (let i = 0; i < 2; i++) {
      engine.flush(1);
      await until(() => engine.held === 1);
    }
    expect(sent()).toEqual(['down@0.1', 'move@0.4', 'up@0.4']);
    engine.flush();
    connection.dispose();
  });

  it('reconnects after the engine drops the connection, and says it was live', async () => {
    const engine = new FakeEngine();
    const { connection, states } = open(engine);
    await until(() => connection.status.state === 'live');
    engine.socket.drop(1011, 'the ParaViewWeb engine closed the connection');
    expect(connection.status).toMatchObject({ state: 'reconnecting', wasLive: true });
    expect(connection.status.message).toMatch(
      /^the ParaViewWeb engine closed the connection; trying again/
    );
    await until(() => connection.status.state === 'live');
    expect(engine.sockets).toHaveLength(2);
    // The settings and the observer are set again on the new connection.
    expect(engine.methods.filter(m => m === 'pvw.quality')).toHaveLength(2);
    expect(engine.methods.filter(m => m === 'viewport.image.push.observer.add')).toHaveLength(2);
    expect(states.map(s => s.state)).toEqual(['live', 'reconnecting', 'live']);
    connection.dispose();
  });

  it('says "stopped" and keeps the last frame when a live session is no longer listed', async () => {
    const engine = new FakeEngine();
    let gone = false;
    const { connection, states } = open(engine, { isGone: async () => gone });
    await until(() => connection.status.state === 'live');
    engine.publish(IMAGE_TOPIC, frame(4));
    await until(() => connection.frames.current !== null);
    gone = true;
    engine.socket.drop(1011, 'the ParaViewWeb engine closed the connection');
    await until(() => connection.status.state === 'stopped');
    expect(connection.status).toEqual({
      state: 'stopped',
      message: 'session s1 was stopped (its engine was stopped or its kernel exited)',
      wasLive: true
    });
    expect(states.map(s => s.state)).not.toContain('error');
    expect(connection.lastFrame?.mtime).toBe(4);
    expect(connection.frames.current).not.toBeNull();
    expect(engine.sockets).toHaveLength(1);
    connection.dispose();
  });

  it('keeps reconnecting while a lost session is still listed', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine, { isGone: async () => false });
    await until(() => connection.status.state === 'live');
    engine.refuseHello = true;
    engine.socket.drop(1006);
    await until(() => engine.sockets.length >= 4);
    expect(connection.status.state).toBe('reconnecting');
    connection.dispose();
  });

  it('gives up with a clear error once the session is gone, and can start over', async () => {
    const engine = new FakeEngine();
    let refuse = true;
    let gone = true;
    const { connection } = open(engine, {
      createTransport: () =>
        new WslinkTransport({
          url: 'ws://x/s1',
          createSocket: url => {
            const socket = engine.open(url);
            if (refuse) {
              const fake = engine.socket;
              fake.readyState = 3;
              setTimeout(() => fake.drop(1006), 0);
            }
            return socket;
          }
        }),
      isGone: async () => gone
    });
    await until(() => connection.status.state === 'error');
    expect(connection.status.message).toBe(
      'session s1 is gone: its engine was stopped or its kernel exited ' +
        '(the connection was refused or lost)'
    );
    expect(connection.status.wasLive).toBe(false);
    expect(engine.sockets).toHaveLength(3);
    refuse = gone = false;
    connection.reconnect();
    expect(connection.status.state).toBe('connecting');
    await until(() => connection.status.state === 'live');
    connection.dispose();
  });

  it('applies new image settings at once when live', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine);
    await until(() => connection.status.state === 'live');
    connection.setQuality({ stillQuality: 70, interactiveQuality: 20, maxFps: 15 });
    await until(() => engine.methods.filter(m => m === 'pvw.quality').length === 2);
    expect(engine.requests[engine.requests.length - 1].args).toEqual([70, 20, 15]);
    connection.dispose();
  });

  it('still streams from an engine without pvw.quality', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const engine = new FakeEngine();
    delete engine.handlers['pvw.quality'];
    const { connection } = open(engine);
    await until(() => connection.status.state === 'live');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/could not apply the image settings/));
    warn.mockRestore();
    connection.dispose();
  });

  it('resets the camera of view 1', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine);
    await expect(connection.resetCamera()).rejects.toThrow('not connected');
    await until(() => connection.status.state === 'live');
    await connection.resetCamera();
    expect(engine.requests[engine.requests.length - 1]).toMatchObject({
      method: 'viewport.camera.reset',
      args: ['1']
    });
    connection.dispose();
  });

  it('stops observing and closes when disposed', async () => {
    const engine = new FakeEngine();
    const { connection } = open(engine);
    await until(() => connection.status.state === 'live');
    connection.dispose();
    await until(() => engine.socket.readyState === 3);
    expect(engine.methods[engine.methods.length - 1]).toBe('viewport.image.push.observer.remove');
    expect(connection.isDisposed).toBe(true);
  });
});

describe('ConnectionRegistry', () => {
  class Counted {
    static created = 0;
    isDisposed = false;
    constructor(readonly sessionId: string) {
      Counted.created += 1;
    }
    dispose() {
      this.isDisposed = true;
    }
  }

  function registry(graceMs = 100) {
    Counted.created = 0;
    return new ConnectionRegistry(id => new Counted(id) as unknown as SessionConnection, graceMs);
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shares one connection per session among its leases', () => {
    const r = registry();
    const a = r.acquire('s1');
    const b = r.acquire('s1');
    const c = r.acquire('s2');
    expect(a.connection).toBe(b.connection);
    expect(c.connection).not.toBe(a.connection);
    expect([r.leases('s1'), r.leases('s2'), Counted.created]).toEqual([2, 1, 2]);
    expect(r.get('s1')).toBe(a.connection);
  });

  it('closes a connection a grace period after its last lease ends', () => {
    const r = registry(100);
    const a = r.acquire('s1');
    const b = r.acquire('s1');
    a.dispose();
    a.dispose(); // a lease ends once
    jest.advanceTimersByTime(1000);
    expect(a.connection.isDisposed).toBe(false);
    b.dispose();
    jest.advanceTimersByTime(99);
    expect(a.connection.isDisposed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(a.connection.isDisposed).toBe(true);
    expect(r.get('s1')).toBeUndefined();
  });

  it('hands a re-created view the same connection within the grace period', () => {
    const r = registry(100);
    const old = r.acquire('s1');
    const connection = old.connection;
    old.dispose();
    jest.advanceTimersByTime(50);
    const renewed = r.acquire('s1');
    jest.advanceTimersByTime(1000);
    expect(renewed.connection).toBe(connection);
    expect(connection.isDisposed).toBe(false);
    expect(Counted.created).toBe(1);
  });

  it('opens a new connection after the old one closed', () => {
    const r = registry(10);
    const first = r.acquire('s1');
    first.dispose();
    jest.advanceTimersByTime(10);
    const second = r.acquire('s1');
    expect(second.connection).not.toBe(first.connection);
    expect(Counted.created).toBe(2);
  });

  it('closes everything when disposed', () => {
    const r = registry();
    const a = r.acquire('s1');
    const b = r.acquire('s2');
    r.dispose();
    expect(a.connection.isDisposed && b.connection.isDisposed).toBe(true);
    expect(() => r.acquire('s1')).toThrow('disposed');
  });
});
