import { Signal } from '@lumino/signaling';

import type { SessionConnection } from '../src/connection';
import { asFrame, IFrame } from '../src/frames';
import {
  NotebookSnapshots,
  PNG_MIME,
  PngSnapshot,
  SnapshotStore,
  WIDGET_VIEW_MIME,
  widgetModelId,
  withSnapshot
} from '../src/snapshot';

function frame(mtime: number, still = true, size = [8, 8]): IFrame {
  return asFrame({ image: new Uint8Array([0xff, 0xd8, mtime]), size, still, mtime })!;
}

const EIGHT = (): [number, number] => [8, 8];

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

/** An encoder that finishes when the test says so, recording what it was given. */
function controlledEncoder() {
  const started: number[] = [];
  const finish: ((fail?: boolean) => void)[] = [];
  const encode = (f: IFrame) =>
    new Promise<string>((resolve, reject) => {
      started.push(f.mtime);
      finish.push(fail => (fail ? reject(new Error('no canvas')) : resolve(`png${f.mtime}`)));
    });
  const done = async (fail = false) => {
    finish.shift()!(fail);
    await settle();
  };
  return { started, encode, done };
}

describe('PngSnapshot', () => {
  beforeEach(() => jest.useFakeTimers({ now: 100_000 }));
  afterEach(() => jest.useRealTimers());

  it('encodes the first still frame at once', async () => {
    const { started, encode, done } = controlledEncoder();
    const snapshot = new PngSnapshot(encode, 1000);
    expect(snapshot.offer(frame(1))).toBe(true);
    expect(started).toEqual([1]);
    expect(snapshot.png).toBeNull();
    await done();
    expect([snapshot.png, snapshot.pngFrame]).toEqual(['png1', 1]);
  });

  it('skips interactive frames: a still one follows every drag', () => {
    const { started, encode } = controlledEncoder();
    const snapshot = new PngSnapshot(encode, 1000);
    expect(snapshot.offer(frame(1, false))).toBe(false);
    expect(started).toEqual([]);
  });

  it('encodes at most once per interval, the newest frame offered meanwhile', async () => {
    const { started, encode, done } = controlledEncoder();
    const snapshot = new PngSnapshot(encode, 1000);
    snapshot.offer(frame(1));
    await done();
    jest.advanceTimersByTime(200);
    snapshot.offer(frame(2));
    snapshot.offer(frame(3));
    expect(started).toEqual([1]);
    jest.advanceTimersByTime(799);
    expect(started).toEqual([1]);
    jest.advanceTimersByTime(1);
    expect(started).toEqual([1, 3]);
    await done();
    expect(snapshot.png).toBe('png3');
  });

  it('waits for a slow encoding before starting the next', async () => {
    const { started, encode, done } = controlledEncoder();
    const snapshot = new PngSnapshot(encode, 1000);
    snapshot.offer(frame(1));
    jest.advanceTimersByTime(3000);
    snapshot.offer(frame(2));
    expect(started).toEqual([1]);
    await done();
    expect(started).toEqual([1, 2]);
  });

  it('keeps the last good picture when an encoding fails', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { encode, done } = controlledEncoder();
    const snapshot = new PngSnapshot(encode, 1000);
    snapshot.offer(frame(1));
    await done();
    jest.advanceTimersByTime(1000);
    snapshot.offer(frame(2));
    await done(true);
    expect(snapshot.png).toBe('png1');
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('takes nothing more once disposed', () => {
    const { started, encode } = controlledEncoder();
    const snapshot = new PngSnapshot(encode, 1000);
    snapshot.dispose();
    expect(snapshot.offer(frame(1))).toBe(false);
    expect(started).toEqual([]);
  });
});

describe('withSnapshot', () => {
  const data = { [WIDGET_VIEW_MIME]: { model_id: 'm1', version_major: 2 }, 'text/plain': 'x' };

  it('adds the picture beside the widget view, which stays as it was', () => {
    const next = withSnapshot(data, 'iVBOR')!;
    expect(next[PNG_MIME]).toBe('iVBOR');
    expect(next[WIDGET_VIEW_MIME]).toBe(data[WIDGET_VIEW_MIME]);
    expect(next['text/plain']).toBe('x');
    expect(PNG_MIME in data).toBe(false);
  });

  it('changes nothing without a picture, for the same picture, or for other outputs', () => {
    expect(withSnapshot(data, null)).toBeNull();
    expect(withSnapshot({ ...data, [PNG_MIME]: 'same' }, 'same')).toBeNull();
    expect(withSnapshot({ 'text/plain': 'hello' }, 'iVBOR')).toBeNull();
  });

  it('replaces an older picture', () => {
    expect(withSnapshot({ ...data, [PNG_MIME]: 'old' }, 'new')![PNG_MIME]).toBe('new');
  });
});

describe('widgetModelId', () => {
  it('reads the model id of widget-view data', () => {
    expect(widgetModelId({ [WIDGET_VIEW_MIME]: { model_id: 'abc' } })).toBe('abc');
    expect(widgetModelId({ [WIDGET_VIEW_MIME]: { model_id: '' } })).toBeNull();
    expect(widgetModelId({ [WIDGET_VIEW_MIME]: 'junk' })).toBeNull();
    expect(widgetModelId({ 'image/png': 'x' })).toBeNull();
  });
});

/** The part of a SessionConnection the snapshot store reads. */
class FakeConnection {
  frameReceived = new Signal<this, IFrame>(this);
  lastFrame: IFrame | null = null;
  isDisposed = false;
  interacting = false;
  emit(f: IFrame) {
    this.lastFrame = f;
    this.frameReceived.emit(f);
  }
}

describe('SnapshotStore', () => {
  const encode = (f: IFrame) => Promise.resolve(`png${f.mtime}`);

  it("gives a watched model its session's newest picture", async () => {
    const store = new SnapshotStore(encode, 0);
    const connection = new FakeConnection();
    connection.lastFrame = frame(1);
    store.watch('m1', connection as unknown as SessionConnection, EIGHT);
    await settle();
    expect(store.pngFor('m1')).toBe('png1');
    connection.emit(frame(2));
    await settle();
    expect(store.pngFor('m1')).toBe('png2');
    expect(store.pngFor('unknown')).toBeNull();
  });

  it("gives each output the picture of its own viewport's size", async () => {
    const store = new SnapshotStore(encode, 0);
    const connection = new FakeConnection();
    store.watch('small', connection as unknown as SessionConnection, EIGHT);
    store.watch('big', connection as unknown as SessionConnection, () => [30, 20]);
    connection.emit(frame(1));
    connection.emit(frame(2, true, [30, 20]));
    await settle();
    expect(store.pngFor('small')).toBe('png1');
    expect(store.pngFor('big')).toBe('png2');
  });

  it('gives nothing during a drag (the output would be re-rendered under the pointer)', async () => {
    const store = new SnapshotStore(encode, 0);
    const connection = new FakeConnection();
    store.watch('m1', connection as unknown as SessionConnection, EIGHT);
    connection.emit(frame(1));
    await settle();
    connection.interacting = true;
    expect(store.pngFor('m1')).toBeNull();
  });

  it('keeps the picture for a view re-created on the same connection', async () => {
    const store = new SnapshotStore(encode, 0);
    const connection = new FakeConnection() as unknown as SessionConnection;
    const first = store.watch('m1', connection, EIGHT);
    (connection as unknown as FakeConnection).emit(frame(4));
    await settle();
    first.dispose();
    expect(store.pngFor('m1')).toBeNull();
    store.watch('m1', connection, EIGHT);
    expect(store.pngFor('m1')).toBe('png4');
  });
});

describe('NotebookSnapshots', () => {
  /** A notebook with one code cell holding the given outputs. */
  function notebook(outputs: Record<string, unknown>[]) {
    const models = outputs.map(data => ({
      data,
      setData: jest.fn(function (this: { data: unknown }, options: { data: unknown }) {
        this.data = options.data;
      })
    }));
    const cells = [
      { type: 'markdown' },
      { type: 'code', outputs: { length: models.length, get: (i: number) => models[i] } }
    ];
    const saveState = new Signal<unknown, string>({});
    const panel = { content: { model: { cells } }, context: { saveState } };
    return { panel, models, saveState };
  }

  function tracker(panels: unknown[]) {
    const widgetAdded = new Signal<unknown, unknown>({});
    return {
      widgetAdded,
      forEach: (fn: (panel: unknown) => void) => panels.forEach(fn)
    };
  }

  const widget = (id: string) => ({ [WIDGET_VIEW_MIME]: { model_id: id }, 'text/plain': 'v' });

  it('puts the pictures into the widget outputs when a save starts', () => {
    const { panel, models, saveState } = notebook([
      widget('m1'),
      { 'text/plain': 'x' },
      widget('m2')
    ]);
    const pictures: Record<string, string> = { m1: 'pngA' };
    new NotebookSnapshots(tracker([panel]) as any, id => pictures[id] ?? null);
    saveState.emit('completed');
    expect(models[0].setData).not.toHaveBeenCalled();
    saveState.emit('started');
    expect(models[0].setData).toHaveBeenCalledWith({
      data: { ...widget('m1'), [PNG_MIME]: 'pngA' }
    });
    expect(models[1].setData).not.toHaveBeenCalled();
    expect(models[2].setData).not.toHaveBeenCalled();
    // The same picture again: nothing to change, so the output is not re-rendered.
    saveState.emit('started');
    expect(models[0].setData).toHaveBeenCalledTimes(1);
  });

  it('follows notebooks opened later, and stops when disposed', () => {
    const t = tracker([]);
    let n = 0;
    const snapshots = new NotebookSnapshots(t as any, () => `png${++n}`);
    const { panel, models, saveState } = notebook([widget('m1')]);
    t.widgetAdded.emit(panel);
    saveState.emit('started');
    expect(models[0].setData).toHaveBeenCalledTimes(1);
    snapshots.dispose();
    saveState.emit('started');
    expect(snapshots.fill(panel as any)).toBe(0);
    expect(models[0].setData).toHaveBeenCalledTimes(1);
  });
});
