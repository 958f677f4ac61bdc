import { asFrame, FrameDecoder, FrameRate, IFrame } from '../src/frames';

function frame(mtime: number, still = true): IFrame {
  return asFrame({
    image: new Uint8Array([0xff, 0xd8, mtime]),
    format: 'jpeg',
    size: [400, 300],
    still,
    quality: 90,
    workTime: 12.5,
    mtime,
    timestep: 3,
    time: 0.5
  })!;
}

describe('asFrame', () => {
  it('takes a frame as the engine publishes it', () => {
    expect(frame(4)).toMatchObject({ size: [400, 300], still: true, mtime: 4, timestep: 3 });
  });

  it('refuses messages without image bytes', () => {
    for (const bad of [null, 'x', {}, { image: 'abc' }, { image: new Uint8Array(0) }]) {
      expect(asFrame(bad)).toBeNull();
    }
  });

  it('fills what is missing with neutral values', () => {
    expect(asFrame({ image: new Uint8Array([1]) })).toEqual({
      image: new Uint8Array([1]),
      format: 'jpeg',
      size: [0, 0],
      viewSize: [0, 0],
      still: true,
      quality: 0,
      workTime: 0,
      mtime: 0,
      timestep: 0,
      time: 0,
      coloring: [],
      lod: false,
      scale: 1,
      budget: 1
    });
    expect(asFrame({ image: new Uint8Array([1]), still: false })!.still).toBe(false);
    // Reduced-frame metadata out of range is ignored rather than trusted.
    const odd = asFrame({ image: new Uint8Array([1]), lod: 1, scale: 4, budget: -1 })!;
    expect([odd.lod, odd.scale, odd.budget]).toEqual([false, 1, 1]);
  });

  it('keeps the viewport size a reduced frame answers', () => {
    const frame = asFrame({ image: new Uint8Array([1]), size: [150, 75], viewSize: [300, 150] })!;
    expect([frame.size, frame.viewSize]).toEqual([
      [150, 75],
      [300, 150]
    ]);
  });

  it('keeps the colouring entries that name an array', () => {
    const coloring = [{ item: 'cut', array: 'T', association: 'POINTS', range: [0, 1] }, {}];
    expect(asFrame({ image: new Uint8Array([1]), coloring })!.coloring).toEqual([coloring[0]]);
  });
});

describe('FrameDecoder', () => {
  function controlled() {
    const started: number[] = [];
    const released: string[] = [];
    const finish: (() => void)[] = [];
    const decoder = new FrameDecoder<string>(
      f =>
        new Promise(resolve => {
          started.push(f.mtime);
          finish.push(() => resolve(`bitmap${f.mtime}`));
        }),
      bitmap => released.push(bitmap)
    );
    const drawn: string[] = [];
    decoder.decoded.connect((_, d) => drawn.push(d.bitmap));
    const done = async () => {
      finish.shift()!();
      for (let i = 0; i < 5; i++) {
        await Promise.resolve();
      }
    };
    return { decoder, started, released, drawn, done };
  }

  it('decodes one frame at a time and skips to the newest', async () => {
    const { decoder, started, drawn, done } = controlled();
    decoder.push(frame(1));
    decoder.push(frame(2));
    decoder.push(frame(3));
    expect(started).toEqual([1]);
    await done();
    expect(started).toEqual([1, 3]);
    await done();
    expect(drawn).toEqual(['bitmap1', 'bitmap3']);
    expect(decoder.current?.frame.mtime).toBe(3);
  });

  it('releases a decoded frame once a newer one is current, and all on dispose', async () => {
    const { decoder, released, done } = controlled();
    decoder.push(frame(1));
    await done();
    decoder.push(frame(2));
    await done();
    expect(released).toEqual(['bitmap1']);
    decoder.dispose();
    expect(released).toEqual(['bitmap1', 'bitmap2']);
    expect(decoder.current).toBeNull();
  });

  it('releases a frame that finishes decoding after dispose', async () => {
    const { decoder, released, drawn, done } = controlled();
    decoder.push(frame(1));
    decoder.dispose();
    await done();
    expect(drawn).toEqual([]);
    expect(released).toEqual(['bitmap1']);
  });

  it('goes on after a frame that cannot be decoded', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const decoder = new FrameDecoder<string>(f =>
      f.mtime === 1 ? Promise.reject(new Error('corrupt')) : Promise.resolve('ok')
    );
    decoder.push(frame(1));
    await Promise.resolve();
    decoder.push(frame(2));
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
    expect(decoder.current?.bitmap).toBe('ok');
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});

describe('FrameRate', () => {
  it('counts the frames of the last second', () => {
    const rate = new FrameRate();
    for (let t = 0; t < 1000; t += 100) {
      rate.add(10_000 + t);
    }
    expect(rate.rate(10_950)).toBe(10);
    expect(rate.rate(11_450)).toBe(5);
    expect(rate.rate(12_000)).toBe(0);
  });
});
