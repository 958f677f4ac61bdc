// Shared by the two bench pages: wall-clock time, connection, and the record of events.
import SmartConnect from 'wslink/src/SmartConnect';

// Wall-clock milliseconds with sub-ms resolution, comparable with Python's time.time().
export const now = () => performance.timeOrigin + performance.now();

export function params() {
  const q = new URLSearchParams(window.location.search);
  return { url: q.get('url'), secret: q.get('secret'), size: Number(q.get('size') || 600) };
}

export function connect(url, secret) {
  return new Promise((resolve, reject) => {
    const sc = SmartConnect.newInstance({ config: { sessionURL: url, secret } });
    sc.onConnectionReady(connection => resolve(connection.getSession()));
    sc.onConnectionError((_, err) => reject(new Error(`connection error ${err}`)));
    sc.onConnectionClose(() => {
      window.bench.closed = true;
    });
    sc.connect();
  });
}

// What the runner reads back with page.evaluate: every event sent and every frame seen.
export function createRecord(kind) {
  const record = {
    kind,
    ready: false,
    closed: false,
    error: null,
    moves: [], // {seq, action, t_send, t_ack}
    frames: [] // {n, t_recv, t_decoded, t_paint, bytes, meta...}
  };
  window.bench = record;
  window.addEventListener('error', e => {
    record.error = String(e.message || e);
  });
  return record;
}

// Frame metadata worth keeping (everything but the image).
export function meta(msg) {
  const out = {};
  for (const key of [
    'mtime',
    'stale',
    'still',
    'quality',
    'timestep',
    'workTime',
    'memsize',
    'bench_seq',
    'bench_t_render',
    'bench_render_ms',
    'bench_encode_ms',
    'pipelineMs'
  ]) {
    if (msg[key] !== undefined) out[key] = msg[key];
  }
  out.bytes = msg.image ? (msg.image.byteLength ?? msg.image.length) : 0;
  out.size = msg.size;
  return out;
}
