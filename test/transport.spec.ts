import { Decoder } from '@msgpack/msgpack';

import { WslinkError, WslinkTransport } from '../src/transport';
import { CHUNK_HEADER_BYTES, encodeMessage, Reassembler } from '../src/wire';
import { FakeEngine } from './fakeengine';

function header(frame: Uint8Array): [number, number, number] {
  const view = new DataView(frame.buffer, frame.byteOffset, CHUNK_HEADER_BYTES);
  return [view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true)];
}

/** Let timers (the fake socket opens on the next turn) and promises run. */
async function tick(ms = 0): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms));
}

describe('the wire format', () => {
  const message = { wslink: '1.0', id: 'rpc:c1:1', method: 'x.y', args: [1, 'two'], kwargs: {} };

  it('frames a message as a 12-byte little-endian header and its msgpack body', () => {
    const [frame, ...rest] = encodeMessage(message, 42);
    expect(rest).toEqual([]);
    const [id, offset, total] = header(frame);
    expect([id, offset]).toEqual([42, 0]);
    expect(total).toBe(frame.byteLength - CHUNK_HEADER_BYTES);
    expect(new Decoder().decode(frame.subarray(CHUNK_HEADER_BYTES))).toEqual(message);
  });

  it('splits a message larger than the frame limit into ordered chunks', () => {
    const big = { ...message, args: ['x'.repeat(1000)] };
    const frames = encodeMessage(big, 7, 212);
    expect(frames.length).toBeGreaterThan(4);
    const total = header(frames[0])[2];
    let expected = 0;
    for (const frame of frames) {
      expect(frame.byteLength).toBeLessThanOrEqual(212);
      const [id, offset, size] = header(frame);
      expect([id, offset, size]).toEqual([7, expected, total]);
      expected += frame.byteLength - CHUNK_HEADER_BYTES;
    }
    expect(expected).toBe(total);
  });

  it('reassembles chunks in order, out of order and interleaved', () => {
    const a = encodeMessage({ id: 'a', data: 'a'.repeat(500) }, 1, 100);
    const b = encodeMessage({ id: 'b', data: new Uint8Array(300).fill(9) }, 2, 100);
    const reassembler = new Reassembler();
    const results: unknown[] = [];
    const order = [a[2], b[0], a[0], b[2], b[1], ...a.slice(3), a[1], ...b.slice(3)];
    for (const frame of order) {
      const result = reassembler.feed(frame.slice().buffer);
      if (result !== undefined) {
        results.push(result);
      }
    }
    expect(results).toHaveLength(2);
    expect(results).toContainEqual({ id: 'a', data: 'a'.repeat(500) });
    const binary = results.find(r => (r as { id: string }).id === 'b') as { data: Uint8Array };
    expect(binary.data).toEqual(new Uint8Array(300).fill(9));
    expect(reassembler.pendingCount).toBe(0);
  });

  it('refuses frames without a header or chunks past their message', () => {
    const reassembler = new Reassembler();
    expect(() => reassembler.feed(new Uint8Array(5))).toThrow(/no complete header/);
    const frame = encodeMessage({ a: 1 }, 3)[0];
    new DataView(frame.buffer).setUint32(4, 10, true);
    expect(() => reassembler.feed(frame)).toThrow(/past its declared size/);
  });
});

describe('WslinkTransport', () => {
  it('says hello with a placeholder secret, then is live', async () => {
    const engine = new FakeEngine();
    const transport = new WslinkTransport({
      url: 'ws://x/pvw/sessions/s1/ws',
      createSocket: engine.open
    });
    const states: string[] = [];
    transport.stateChanged.connect((_, s) => states.push(s.state));
    await transport.connect();
    expect(engine.socket.url).toBe('ws://x/pvw/sessions/s1/ws');
    expect(engine.socket.binaryType).toBe('arraybuffer');
    expect(engine.requests[0]).toMatchObject({
      id: 'system:c0:0',
      method: 'wslink.hello',
      args: [{ secret: 'jupyter' }]
    });
    expect(transport.clientId).toBe('c7');
    expect(states).toEqual(['live']);
  });

  it('calls methods with positional arguments and returns their results', async () => {
    const engine = new FakeEngine();
    engine.handlers['pvw.echo'] = args => ({ got: args });
    const transport = new WslinkTransport({ url: 'ws://x', createSocket: engine.open });
    await transport.connect();
    await expect(transport.call('pvw.echo', [1, { a: 'b' }])).resolves.toEqual({
      got: [1, { a: 'b' }]
    });
    const request = engine.requests[engine.requests.length - 1];
    expect(request.id).toMatch(/^rpc:c7:\d+$/);
  });

  it('rejects a call the engine answers with an error, with the exception text', async () => {
    const engine = new FakeEngine();
    engine.handlers['pvw.activate'] = () => {
      throw new Error("KeyError: 'nope'");
    };
    const transport = new WslinkTransport({ url: 'ws://x', createSocket: engine.open });
    await transport.connect();
    const failure = transport.call('pvw.activate', ['nope']);
    await expect(failure).rejects.toBeInstanceOf(WslinkError);
    await expect(failure).rejects.toThrow("pvw.activate: Error: KeyError: 'nope'");
  });

  it('delivers what the engine publishes to the subscribers of that topic', async () => {
    const engine = new FakeEngine();
    const transport = new WslinkTransport({ url: 'ws://x', createSocket: engine.open });
    const frames: unknown[] = [];
    const other: unknown[] = [];
    const subscription = transport.subscribe('viewport.image.push.subscription', f =>
      frames.push(f)
    );
    transport.subscribe('other.topic', f => other.push(f));
    await transport.connect();
    engine.publish('viewport.image.push.subscription', { image: new Uint8Array([1, 2]) }, 5);
    expect(frames).toEqual([{ image: new Uint8Array([1, 2]) }]);
    expect(other).toEqual([]);
    subscription.dispose();
    engine.publish('viewport.image.push.subscription', { image: new Uint8Array([3]) }, 6);
    expect(frames).toHaveLength(1);
  });

  it('fails to connect when the engine refuses the hello', async () => {
    const engine = new FakeEngine();
    engine.refuseHello = true;
    const transport = new WslinkTransport({ url: 'ws://x', createSocket: engine.open });
    await expect(transport.connect()).rejects.toThrow(
      /refused the connection.*Authentication failed/
    );
    expect(transport.status.state).toBe('error');
  });

  it('fails to connect when the socket closes first (a refused proxy handshake)', async () => {
    const engine = new FakeEngine();
    const transport = new WslinkTransport({
      url: 'ws://x',
      createSocket: url => {
        const socket = engine.open(url);
        const fake = engine.socket;
        fake.readyState = 3; // refused: never opens
        setTimeout(() => fake.drop(1006), 0);
        return socket;
      }
    });
    await expect(transport.connect()).rejects.toThrow('the connection was refused or lost');
    expect(transport.status).toEqual({
      state: 'error',
      message: 'the connection was refused or lost'
    });
  });

  it('times out a connection that never answers', async () => {
    const engine = new FakeEngine();
    const transport = new WslinkTransport({
      url: 'ws://x',
      connectTimeoutMs: 20,
      createSocket: url => {
        const socket = engine.open(url);
        engine.socket.readyState = 5; // never opens
        return socket;
      }
    });
    await expect(transport.connect()).rejects.toThrow('the connection timed out');
  });

  it('turns a dropped live connection into "closed" and fails pending calls', async () => {
    const engine = new FakeEngine();
    engine.manual = true;
    const transport = new WslinkTransport({ url: 'ws://x', createSocket: engine.open });
    await transport.connect();
    const pending = transport.call('viewport.camera.reset', ['1']);
    engine.socket.drop(1011, 'the ParaViewWeb engine closed the connection');
    await expect(pending).rejects.toThrow(
      'viewport.camera.reset: the connection closed: the ParaViewWeb engine closed the connection'
    );
    expect(transport.status).toEqual({
      state: 'closed',
      message: 'the ParaViewWeb engine closed the connection'
    });
    await expect(transport.call('pvw.status')).rejects.toThrow('not connected (closed)');
  });

  it('closes on dispose and fails what is pending', async () => {
    const engine = new FakeEngine();
    engine.manual = true;
    const transport = new WslinkTransport({ url: 'ws://x', createSocket: engine.open });
    await transport.connect();
    const pending = transport.call('pvw.status');
    transport.dispose();
    await expect(pending).rejects.toThrow('pvw.status: the connection was closed');
    expect(engine.socket.readyState).toBe(3);
    expect(transport.isDisposed).toBe(true);
    await tick();
  });
});
