import { IFrame } from '../src/frames';
import { FrameReadout } from '../src/readout';

function frame(extra: Partial<IFrame>): IFrame {
  return {
    image: new Uint8Array(12000),
    format: 'jpeg',
    size: [300, 300],
    viewSize: [300, 300],
    still: false,
    quality: 50,
    workTime: 20,
    mtime: 1,
    timestep: 0,
    time: 0,
    lod: false,
    scale: 1,
    budget: 1,
    coloring: [],
    ...extra
  };
}

describe('FrameReadout', () => {
  it('shows fps, input latency, bytes, reduction and budget', () => {
    const readout = new FrameReadout();
    readout.input(1000);
    readout.input(1010); // still waiting for the first input's answer
    readout.frame(frame({ lod: true, scale: 0.5, budget: 0.15 }), 1045);
    expect(readout.text(24.4)).toBe('24 fps · input 45 ms · 12 kB · LOD, 50% size · budget 15%');
  });

  it('says when a frame is full and no budget applies', () => {
    const readout = new FrameReadout();
    readout.frame(frame({ still: true }), 5);
    expect(readout.text(0)).toBe('idle · 12 kB · full · no budget');
  });
});
