/**
 * `src/wire.ts` against `python/jupyterlab_pvw/wire.json`, the single source of the wire's
 * constants: every constant of wire.ts must equal its entry, and every entry must have one.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as wire from '../src/wire';

const WIRE_JSON = path.join(__dirname, '..', 'python', 'jupyterlab_pvw', 'wire.json');
const source = JSON.parse(fs.readFileSync(WIRE_JSON, 'utf-8'));

/** Each constant of wire.ts, as the path of its entry in wire.json. */
const ENTRIES: Record<string, string> = {
  IMAGE_TOPIC: 'imageTopic',
  PIPELINE_TOPIC: 'pipelineTopic',
  RUN_TOPIC: 'runTopic',
  VIEW_ID: 'viewId',
  CHUNK_HEADER_BYTES: 'chunkHeaderBytes',
  HELLO_LIMIT_BYTES: 'helloLimitBytes',
  MIN_VIEW_SIZE: 'viewSize.min',
  MAX_VIEW_SIZE: 'viewSize.max',
  DEFAULT_VIEW_SIZE: 'viewSize.default',
  ZOOM_BASE: 'zoom.base',
  ZOOM_MOTION: 'zoom.motion',
  MAX_SPIN: 'zoom.maxSpin',
  DATASET_NAME_PATTERN: 'datasetName.pattern',
  DATASET_NAME_MAX_LENGTH: 'datasetName.maxLength',
  STILL_QUALITY: 'quality.still',
  INTERACTIVE_QUALITY: 'quality.interactive',
  QUALITY_MIN: 'quality.min',
  QUALITY_MAX: 'quality.max',
  MAX_FPS: 'maxFps.default',
  MAX_FPS_MIN: 'maxFps.min',
  MAX_FPS_MAX: 'maxFps.max',
  RENDER_BUDGET: 'render.budget',
  TARGET_FPS: 'render.targetFps',
  INTERACTIVE_LOD: 'render.lod',
  LOD_THRESHOLD_MB: 'render.lodThresholdMB',
  LOD_RESOLUTION: 'render.lodResolution',
  PRESENCE_TOPIC: 'presenceTopic',
  IDENTIFY_METHOD: 'identifyMethod',
  DRIVER_IDLE_SECONDS: 'driverIdleSeconds'
};

function entry(dotted: string): unknown {
  return dotted.split('.').reduce<any>((node, key) => node?.[key], source);
}

/** Every leaf path of wire.json (arrays are leaves), except comments. */
function leaves(node: any, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) => {
    if (key.startsWith('$')) {
      return [];
    }
    const dotted = prefix ? `${prefix}.${key}` : key;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? leaves(value, dotted)
      : [dotted];
  });
}

describe('src/wire.ts', () => {
  it.each(Object.entries(ENTRIES))('%s equals wire.json %s', (name, dotted) => {
    const value = (wire as Record<string, unknown>)[name];
    const expected = entry(dotted);
    expect(expected).toBeDefined();
    if (value instanceof RegExp) {
      expect(value.source).toBe(expected);
    } else {
      expect(value).toEqual(expected);
    }
  });

  it('has no constant that wire.json does not define', () => {
    const constants = Object.entries(wire)
      .filter(([, value]) => typeof value !== 'function')
      .map(([name]) => name);
    expect(constants.sort()).toEqual(Object.keys(ENTRIES).sort());
  });

  it('defines every entry of wire.json', () => {
    expect(leaves(source).sort()).toEqual(Object.values(ENTRIES).sort());
  });
});
