/**
 * Reading a viewport's canvas in the page: which colours the picture shows, and how much two
 * pictures differ.
 */
import { expect, Locator } from '@playwright/test';

/** Mean colour of the data in the upper and lower half of the picture's central band. */
export interface IHalves {
  top: number[];
  bottom: number[];
  topCount: number;
  bottomCount: number;
  width: number;
  height: number;
}

/**
 * The colours of the upper and lower half of the canvas (as pytest reads the engine's JPEG).
 */
export function canvasHalves(canvas: Locator): Promise<IHalves> {
  return canvas.evaluate((element: HTMLCanvasElement) => {
    const { width: w, height: h } = element;
    const pixels = element.getContext('2d')!.getImageData(0, 0, w, h).data;
    const background = [82, 87, 110]; // ParaView's default background
    const sums = [
      [0, 0, 0, 0],
      [0, 0, 0, 0]
    ];
    for (let y = 0; y < h; y++) {
      for (let x = Math.floor(w / 2 - w / 10); x < w / 2 + w / 10; x++) {
        const i = (y * w + x) * 4;
        const rgb = [pixels[i], pixels[i + 1], pixels[i + 2]];
        const off = rgb.reduce((s, v, k) => s + Math.abs(v - background[k]), 0);
        if (off > 40) {
          const half = sums[y < h / 2 ? 0 : 1];
          half[0] += rgb[0];
          half[1] += rgb[1];
          half[2] += rgb[2];
          half[3] += 1;
        }
      }
    }
    const mean = (s: number[]) => s.slice(0, 3).map(v => (s[3] ? v / s[3] : 0));
    return {
      top: mean(sums[0]),
      bottom: mean(sums[1]),
      topCount: sums[0][3],
      bottomCount: sums[1][3],
      width: w,
      height: h
    };
  });
}

/**
 * Assert the picture shows rank 1's red piece above rank 0's blue one.
 */
export async function expectRedOverBlue(canvas: Locator): Promise<IHalves> {
  const halves = await canvasHalves(canvas);
  expect(halves.topCount, 'data pixels in the upper half').toBeGreaterThan(100);
  expect(halves.bottomCount, 'data pixels in the lower half').toBeGreaterThan(100);
  const [tr, , tb] = halves.top;
  const [br, , bb] = halves.bottom;
  expect(tr - tb, `upper half should be red (rank 1), got ${halves.top}`).toBeGreaterThan(60);
  expect(bb - br, `lower half should be blue (rank 0), got ${halves.bottom}`).toBeGreaterThan(60);
  return halves;
}

/**
 * The canvas scaled down to 32 x 32 RGB values: enough to tell two pictures apart.
 */
export function canvasSignature(canvas: Locator): Promise<number[]> {
  return canvas.evaluate((element: HTMLCanvasElement) => {
    const small = document.createElement('canvas');
    small.width = small.height = 32;
    const context = small.getContext('2d')!;
    context.drawImage(element, 0, 0, 32, 32);
    const data = context.getImageData(0, 0, 32, 32).data;
    return Array.from(data).filter((_, i) => i % 4 !== 3);
  });
}

/**
 * Mean absolute difference (0..255) between two signatures.
 */
export function difference(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;
}

/**
 * The fraction of a canvas's pixels that are not ParaView's background: the data shown.
 */
export function dataFraction(canvas: Locator): Promise<number> {
  return canvas.evaluate((element: HTMLCanvasElement) => {
    const { width, height } = element;
    const pixels = element.getContext('2d')!.getImageData(0, 0, width, height).data;
    const background = [82, 87, 110];
    let data = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const off =
        Math.abs(pixels[i] - background[0]) +
        Math.abs(pixels[i + 1] - background[1]) +
        Math.abs(pixels[i + 2] - background[2]);
      if (off > 40) {
        data += 1;
      }
    }
    return data / (width * height);
  });
}
