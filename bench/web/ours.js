// Bench page for our engine: the npm wslink client straight to rank 0, frames painted on a
// canvas (newest wins: a frame that arrives while another decodes replaces the waiting one).
import { connect, createRecord, meta, now, params } from './common';

const IMAGE_TOPIC = 'viewport.image.push.subscription';

async function main() {
  const record = createRecord('ours');
  const { url, secret, size } = params();
  const canvas = document.getElementById('view');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  const session = await connect(url, secret);

  let decoding = false;
  let waiting = null;
  function paint(frame, blob) {
    decoding = true;
    createImageBitmap(blob).then(bitmap => {
      frame.t_decoded = now();
      requestAnimationFrame(() => {
        ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        bitmap.close();
        frame.t_paint = now();
        if (!record.ready) record.ready = true;
        decoding = false;
        if (waiting) {
          const next = waiting;
          waiting = null;
          paint(next.frame, next.blob);
        }
      });
    });
  }

  session.subscribe(IMAGE_TOPIC, ([msg]) => {
    if (!msg || !msg.image) return;
    const frame = { n: record.frames.length, t_recv: now(), ...meta(msg) };
    record.frames.push(frame);
    const blob = new Blob([msg.image], { type: 'image/jpeg' });
    if (decoding) {
      if (waiting) waiting.frame.superseded = true;
      waiting = { frame, blob };
    } else {
      paint(frame, blob);
    }
  });

  // The same qualities as RemoteView's defaults (interactive 60, still 100), so both stacks
  // encode alike; set once, since the engine tells interactive from still frames itself.
  const quality = new URLSearchParams(window.location.search);
  try {
    record.quality = await session.call('pvw.quality', [
      Number(quality.get('still') || 100),
      Number(quality.get('interactive') || 60)
    ]);
  } catch (e) {
    record.quality = `pvw.quality failed (${e && e.message}): engine defaults`;
  }
  await session.call('viewport.image.push.observer.add', ['-1']);
  await session.call('viewport.image.push', [{ view: '-1', size: [size, size] }]);

  // Pointer events → viewport.mouse.interaction (x, y in 0..1, origin bottom-left).
  let seq = 0;
  let pressed = false;
  function send(action, e) {
    const rect = canvas.getBoundingClientRect();
    const event = {
      view: '-1',
      action,
      x: (e.clientX - rect.left) / rect.width,
      y: 1 - (e.clientY - rect.top) / rect.height,
      buttonLeft: action !== 'up',
      buttonMiddle: false,
      buttonRight: false,
      shiftKey: e.shiftKey,
      ctrlKey: e.ctrlKey,
      altKey: e.altKey,
      metaKey: e.metaKey,
      seq: ++seq
    };
    const move = { seq, action, t_send: now(), t_ack: null };
    record.moves.push(move);
    session.call('viewport.mouse.interaction', [event]).then(() => {
      move.t_ack = now();
    });
  }
  canvas.addEventListener('pointerdown', e => {
    pressed = true;
    send('down', e);
  });
  canvas.addEventListener('pointermove', e => {
    if (pressed) send('move', e);
  });
  window.addEventListener('pointerup', e => {
    if (!pressed) return;
    pressed = false;
    send('up', e);
  });
  record.status = () => session.call('pvw.status');
}

main().catch(e => {
  window.bench.error = String(e && e.stack ? e.stack : e);
});
