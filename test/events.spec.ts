import {
  clampSpin,
  containRect,
  IInteractionEvent,
  Interaction,
  interactionEvent,
  IPointerSample,
  mergeInteractions,
  normalizedPosition,
  pinchSpin,
  wheelSpin
} from '../src/events';
import { ZOOM_BASE } from '../src/wire';

const RECT = { left: 100, top: 50, width: 400, height: 200 };

function pointer(overrides: Partial<IPointerSample> = {}): IPointerSample {
  return {
    clientX: 300,
    clientY: 150,
    buttons: 1,
    shiftKey: false,
    ctrlKey: false,
    altKey: false,
    metaKey: false,
    ...overrides
  };
}

describe('normalizedPosition', () => {
  it('puts the origin at the bottom-left of the rectangle', () => {
    expect(normalizedPosition(100, 250, RECT)).toEqual({ x: 0, y: 0 });
    expect(normalizedPosition(500, 50, RECT)).toEqual({ x: 1, y: 1 });
    expect(normalizedPosition(300, 150, RECT)).toEqual({ x: 0.5, y: 0.5 });
  });

  it('grows y upwards: a point near the top has y close to 1', () => {
    expect(normalizedPosition(100, 70, RECT).y).toBeCloseTo(0.9);
    expect(normalizedPosition(100, 230, RECT).y).toBeCloseTo(0.1);
  });

  it('goes past 0..1 outside the rectangle (a drag may leave the view)', () => {
    const { x, y } = normalizedPosition(0, 350, RECT);
    expect(x).toBeCloseTo(-0.25);
    expect(y).toBeCloseTo(-0.5);
  });

  it('stays finite for an empty rectangle', () => {
    const { x, y } = normalizedPosition(5, 5, { left: 0, top: 0, width: 0, height: 0 });
    expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
  });
});

describe('containRect', () => {
  it('letterboxes a wide image top and bottom', () => {
    expect(containRect({ left: 0, top: 0, width: 400, height: 400 }, 800, 400)).toEqual({
      left: 0,
      top: 100,
      width: 400,
      height: 200
    });
  });

  it('pillarboxes a tall image left and right', () => {
    expect(containRect({ left: 10, top: 20, width: 400, height: 200 }, 100, 200)).toEqual({
      left: 160,
      top: 20,
      width: 100,
      height: 200
    });
  });

  it('is the box itself for the same aspect or an unknown image size', () => {
    expect(containRect(RECT, 800, 400)).toEqual(RECT);
    expect(containRect(RECT, 0, 0)).toEqual(RECT);
  });

  it('maps a letterboxed image corner to (0, 0)', () => {
    const image = containRect({ left: 0, top: 0, width: 400, height: 400 }, 800, 400);
    expect(normalizedPosition(0, 300, image)).toEqual({ x: 0, y: 0 });
  });
});

describe('interactionEvent', () => {
  it('is the standard ParaViewWeb payload for view 1', () => {
    const event = interactionEvent('down', pointer(), RECT);
    expect(event).toEqual<IInteractionEvent>({
      view: '1',
      action: 'down',
      x: 0.5,
      y: 0.5,
      buttonLeft: true,
      buttonMiddle: false,
      buttonRight: false,
      shiftKey: false,
      ctrlKey: false,
      altKey: false,
      metaKey: false
    });
  });

  it('reads the buttons bit mask: 1 left, 2 right, 4 middle', () => {
    const flags = (buttons: number) => {
      const e = interactionEvent('move', pointer({ buttons }), RECT);
      return [e.buttonLeft, e.buttonMiddle, e.buttonRight];
    };
    expect(flags(1)).toEqual([true, false, false]);
    expect(flags(2)).toEqual([false, false, true]);
    expect(flags(4)).toEqual([false, true, false]);
    expect(flags(7)).toEqual([true, true, true]);
    expect(flags(0)).toEqual([false, false, false]);
  });

  it('carries every modifier', () => {
    const e = interactionEvent(
      'down',
      pointer({ shiftKey: true, ctrlKey: true, altKey: true, metaKey: true }),
      RECT
    );
    expect([e.shiftKey, e.ctrlKey, e.altKey, e.metaKey]).toEqual([true, true, true, true]);
    const plain = interactionEvent('down', pointer({ shiftKey: true }), RECT);
    expect([plain.shiftKey, plain.ctrlKey, plain.altKey, plain.metaKey]).toEqual([
      true,
      false,
      false,
      false
    ]);
  });

  it('reports the pointer near the top with y near 1', () => {
    const e = interactionEvent('move', pointer({ clientX: 140, clientY: 60 }), RECT);
    expect(e.x).toBeCloseTo(0.1);
    expect(e.y).toBeCloseTo(0.95);
  });
});

describe('wheelSpin', () => {
  it('makes one notch a spin of 1 in every delta mode', () => {
    expect(wheelSpin(100, 0)).toBe(1);
    expect(wheelSpin(3, 1)).toBe(1);
    expect(wheelSpin(1, 2)).toBe(1);
  });

  it('zooms out (positive) scrolling down and in (negative) scrolling up', () => {
    expect(wheelSpin(53, 0)).toBeCloseTo(0.53);
    expect(wheelSpin(-120, 0)).toBeCloseTo(-1.2);
    expect(wheelSpin(-6, 1)).toBe(-2);
  });

  it('clamps to ±10 and ignores non-finite deltas', () => {
    expect(wheelSpin(5000, 0)).toBe(10);
    expect(wheelSpin(-40, 1)).toBe(-10);
    expect(wheelSpin(Number.NaN, 0)).toBe(0);
    expect(wheelSpin(Infinity, 0)).toBe(0);
  });
});

describe('pinchSpin', () => {
  it('zooms in (negative spin) when the fingers move apart', () => {
    expect(pinchSpin(100, 200)).toBeLessThan(0);
    expect(pinchSpin(200, 100)).toBeGreaterThan(0);
  });

  it('scales the picture with the fingers: the engine dollies by ZOOM_BASE ** -spin', () => {
    for (const [before, after] of [
      [100, 121],
      [150, 90],
      [80, 80.5]
    ]) {
      expect(ZOOM_BASE ** -pinchSpin(before, after)).toBeCloseTo(after / before);
    }
  });

  it('is 0 for no motion or degenerate distances, and clamped', () => {
    expect(pinchSpin(100, 100)).toBeCloseTo(0);
    expect(pinchSpin(0, 100)).toBe(0);
    expect(pinchSpin(100, -1)).toBe(0);
    expect(pinchSpin(1, 1e6)).toBe(-10);
  });
});

describe('clampSpin', () => {
  it('bounds spins to ±10', () => {
    expect([clampSpin(12), clampSpin(-12), clampSpin(3), clampSpin(Number.NaN)]).toEqual([
      10, -10, 3, 0
    ]);
  });
});

describe('mergeInteractions', () => {
  const mouse = (action: 'down' | 'move' | 'up', x: number): Interaction => ({
    method: 'viewport.mouse.interaction',
    event: interactionEvent(action, pointer({ clientX: 100 + x * 400 }), RECT)
  });
  const wheel = (type: 'StartMouseWheel' | 'MouseWheel' | 'EndMouseWheel', spinY: number) =>
    ({ method: 'viewport.mouse.zoom.wheel', event: { type, spinY } }) as Interaction;

  it('keeps the newest of two moves', () => {
    const newest = mouse('move', 0.75);
    expect(mergeInteractions(mouse('move', 0.25), newest)).toBe(newest);
  });

  it('never merges presses and releases', () => {
    expect(mergeInteractions(mouse('down', 0.5), mouse('move', 0.6))).toBeNull();
    expect(mergeInteractions(mouse('move', 0.5), mouse('up', 0.6))).toBeNull();
    expect(mergeInteractions(mouse('up', 0.5), mouse('down', 0.6))).toBeNull();
  });

  it('adds up wheel spins, clamped', () => {
    expect(mergeInteractions(wheel('MouseWheel', 1.5), wheel('MouseWheel', 2))).toEqual(
      wheel('MouseWheel', 3.5)
    );
    expect(mergeInteractions(wheel('MouseWheel', 8), wheel('MouseWheel', 8))).toEqual(
      wheel('MouseWheel', 10)
    );
  });

  it('keeps the start and end of a wheel gesture, and mouse and wheel apart', () => {
    expect(mergeInteractions(wheel('StartMouseWheel', 0), wheel('MouseWheel', 1))).toBeNull();
    expect(mergeInteractions(wheel('MouseWheel', 1), wheel('EndMouseWheel', 0))).toBeNull();
    expect(mergeInteractions(mouse('move', 0.5), wheel('MouseWheel', 1))).toBeNull();
  });
});
