// Bench page for the stock stack: @kitware/vtk.js RemoteView, unmodified, on ParaView's
// own web protocols. The page only watches: it numbers the mouse events RemoteView sends
// (an extra `seq` key the server ignores) and notes when each image is painted.
import vtkRemoteView, { connectImageStream } from '@kitware/vtk.js/Rendering/Misc/RemoteView';
import { connect, createRecord, meta, now, params } from './common';

const IMAGE_TOPIC = 'viewport.image.push.subscription';

async function main() {
  const record = createRecord('stock');
  const { url, secret } = params();
  const container = document.getElementById('container');
  const session = await connect(url, secret);

  // Frames in arrival order; RemoteView turns each into a blob URL in the same order.
  const byUrl = new Map();
  const createObjectURL = URL.createObjectURL.bind(URL);
  let pendingFrame = null;
  URL.createObjectURL = blob => {
    const u = createObjectURL(blob);
    if (pendingFrame) byUrl.set(u, pendingFrame);
    pendingFrame = null;
    return u;
  };

  let seq = 0;
  const watched = {
    call(method, args) {
      if (method === 'viewport.mouse.interaction' && args && args[0]) {
        const move = { seq: ++seq, action: args[0].action, t_send: now(), t_ack: null };
        args = [{ ...args[0], seq: move.seq }];
        record.moves.push(move);
        const p = session.call(method, args);
        p.then(() => {
          move.t_ack = now();
        });
        return p;
      }
      return session.call(method, args);
    },
    subscribe: (...a) => session.subscribe(...a),
    unsubscribe: (...a) => session.unsubscribe(...a)
  };

  // Our subscriber runs before RemoteView's (subscribed first), so the frame is known
  // when RemoteView creates its blob URL.
  session.subscribe(IMAGE_TOPIC, ([msg]) => {
    if (!msg || !msg.image) return;
    const frame = { n: record.frames.length, t_recv: now(), ...meta(msg) };
    record.frames.push(frame);
    pendingFrame = frame;
  });

  const view = vtkRemoteView.newInstance({ rpcWheelEvent: 'viewport.mouse.zoom.wheel' });
  view.setContainer(container);
  view.setSession(watched);
  connectImageStream(watched);
  view.setViewId('-1');
  view.render();

  // RemoteView shows each decoded image as the src of a background <img>: painted is the
  // animation frame after that <img> has loaded the new URL.
  const img = container.querySelector('img');
  img.addEventListener('load', () => {
    const frame = byUrl.get(img.src);
    if (!frame || frame.t_paint) return;
    frame.t_decoded = now();
    requestAnimationFrame(() => {
      frame.t_paint = now();
      record.ready = true;
    });
  });
  record.view = view;
}

main().catch(e => {
  window.bench.error = String(e && e.stack ? e.stack : e);
});
