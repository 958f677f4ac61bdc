// Bench page for stock ParaViewWeb at its best: no RemoteView; the page drives ParaView's own
// protocols the way their animation loop expects (`down`, then `move`s with the button held,
// then `up`; the quality lowered on press as vtk.js's ViewStream does) and shows each pushed
// JPEG in an <img>. The stock loop re-publishes the same image, so frames carry a digest and
// the runner counts distinct images, not messages.
import { connect, createRecord, meta, now, params } from './common';

const IMAGE_TOPIC = 'viewport.image.push.subscription';
const VIEW = '-1';
const INTERACTIVE_QUALITY = 60;
const STILL_QUALITY = 100;

/** FNV-1a over the length and every 61st byte: tells images apart, cheaply. */
function digest(bytes) {
  let h = 0x811c9dc5 ^ bytes.length;
  for (let i = 0; i < bytes.length; i += 61) {
    h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  return (h >>> 0).toString(16);
}

async function main() {
  const record = createRecord('stock_best');
  const { url, secret, size } = params();
  const container = document.getElementById('container');
  const img = document.createElement('img');
  img.style.cssText = 'width:100%;height:100%;display:block;user-select:none';
  img.draggable = false;
  container.appendChild(img);
  const session = await connect(url, secret);

  let shown = null;
  session.subscribe(IMAGE_TOPIC, ([msg]) => {
    if (!msg || !msg.image) return;
    const bytes = msg.image instanceof Uint8Array ? msg.image : new Uint8Array(msg.image);
    const frame = { n: record.frames.length, t_recv: now(), ...meta(msg), digest: digest(bytes) };
    record.frames.push(frame);
    const src = URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' }));
    img.onload = () => {
      URL.revokeObjectURL(src);
      frame.t_decoded = now();
      requestAnimationFrame(() => {
        frame.t_paint = now();
        record.ready = true;
      });
    };
    shown = frame;
    img.src = src;
  });
  await session.call('viewport.image.push.quality', [VIEW, STILL_QUALITY]);
  await session.call('viewport.image.animation.fps.max', [60]); // the stock default is 30
  await session.call('viewport.image.push.observer.add', [VIEW]);

  // One call in flight at a time: moves made meanwhile are coalesced into the newest, which
  // goes out when the previous call returns (ParaView handles each event with a render, so
  // sending every pointer move would only queue them up); a down or an up is never dropped.
  // Every pointer event is recorded with its own seq and time, so its latency counts from
  // when it happened.
  let seq = 0;
  let inFlight = false;
  let pressed = false;
  const queue = []; // {event, records, acked}
  const pump = () => {
    if (inFlight || queue.length === 0) return;
    const item = queue.shift();
    inFlight = true;
    session.call('viewport.mouse.interaction', [item.event]).then(() => {
      const t = now();
      for (const r of item.records) r.t_ack = t;
      inFlight = false;
      item.acked();
      pump();
    });
  };
  const send = (action, e) => {
    const box = container.getBoundingClientRect();
    const event = {
      view: VIEW,
      action,
      x: (e.clientX - box.left) / box.width,
      y: 1 - (e.clientY - box.top) / box.height,
      buttonLeft: action !== 'up',
      buttonMiddle: false,
      buttonRight: false,
      shiftKey: false,
      ctrlKey: false,
      altKey: false,
      metaKey: false,
      seq: ++seq
    };
    const move = { seq, action, t_send: now(), t_ack: null };
    record.moves.push(move);
    const tail = queue[queue.length - 1];
    if (action === 'move' && tail && tail.event.action === 'move') {
      tail.event = event; // a newer position replaces the one not yet sent
      tail.records.push(move);
      return tail.done;
    }
    const item = { event, records: [move] };
    item.done = new Promise(resolve => {
      item.acked = resolve;
    });
    queue.push(item);
    pump();
    return item.done;
  };
  container.addEventListener('mousedown', e => {
    pressed = true;
    session.call('viewport.image.push.quality', [VIEW, INTERACTIVE_QUALITY]);
    send('down', e);
  });
  container.addEventListener('mousemove', e => {
    if (pressed) send('move', e);
  });
  window.addEventListener('mouseup', e => {
    if (!pressed) return;
    pressed = false;
    send('up', e).then(() => session.call('viewport.image.push.quality', [VIEW, STILL_QUALITY]));
  });
  record.size = size;
  record.shown = () => shown;
}

main().catch(e => {
  window.bench.error = String(e && e.stack ? e.stack : e);
});
