import {
  datasetNameProblem,
  LOAD_EXTENSION_CODE,
  pvwActivateCode,
  pvwNextCode,
  pvwStartCode,
  pvwStatusCode,
  pvwStopCode,
  withExtension
} from '../src/kernelcode';
import { DATASET_NAME_MAX_LENGTH } from '../src/wire';

describe('pvwStartCode', () => {
  it('passes the engine count', () => {
    expect(pvwStartCode({ engineCount: 2 })).toBe('%pvw start -n 2');
    expect(pvwStartCode({ engineCount: 64 })).toBe('%pvw start -n 64');
  });

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 60])('refuses engine count %p', n => {
    expect(() => pvwStartCode({ engineCount: n })).toThrow(RangeError);
  });

  it('refuses a non-number engine count smuggled past the types', () => {
    expect(() => pvwStartCode({ engineCount: '2; import os' as any })).toThrow(RangeError);
  });
});

describe('pvwStopCode and pvwStatusCode', () => {
  it('are fixed lines', () => {
    expect(pvwStopCode()).toBe('%pvw stop');
    expect(pvwStatusCode()).toBe('%pvw status');
  });
});

describe('pvwActivateCode', () => {
  it.each(['temperature', 'T', 'mesh_2', 'rank-0.pressure', '_hidden', 'd3', 'a'.repeat(128)])(
    'accepts %p',
    name => {
      expect(pvwActivateCode(name)).toBe(`%pvw activate ${name}`);
      expect(datasetNameProblem(name)).toBeNull();
    }
  );

  it.each([
    ['empty', ''],
    ['a space', 'my data'],
    ['a newline', 'temp\nimport os'],
    ['a semicolon', 'a;b'],
    ['a leading dash (an option)', '-n'],
    ['a leading dash (long option)', '--help'],
    ['a leading dot', '.hidden'],
    ['a leading digit (not a name the engine takes)', '3d'],
    ['shell syntax', '$(rm -rf /)'],
    ['Python syntax', "x'); __import__('os"],
    ['a magic', '%pvw'],
    ['a shell escape', '!ls'],
    ['a comment', 'a#b'],
    ['non-ASCII letters', 'température'],
    ['a tab', 'a\tb'],
    ['too long', 'a'.repeat(DATASET_NAME_MAX_LENGTH + 1)]
  ])('refuses %s', (_, name) => {
    expect(() => pvwActivateCode(name)).toThrow(TypeError);
    expect(datasetNameProblem(name)).not.toBeNull();
  });

  it('explains what is wrong', () => {
    expect(datasetNameProblem('')).toBe('The dataset name is empty.');
    expect(datasetNameProblem('a'.repeat(200))).toMatch(/longer than 128/);
    expect(datasetNameProblem('a b')).toMatch(/^The dataset name "a b" may only contain/);
  });

  it('refuses values that are not strings', () => {
    expect(datasetNameProblem(undefined)).toBe('The dataset name is empty.');
    expect(() => pvwActivateCode(42 as any)).toThrow(TypeError);
  });
});

describe('pvwNextCode', () => {
  it('omits the time when none is given', () => {
    expect(pvwNextCode()).toBe('%pvw next');
    expect(pvwNextCode(undefined)).toBe('%pvw next');
  });

  it.each([
    [0, '%pvw next 0'],
    [-0, '%pvw next 0'],
    [1.5, '%pvw next 1.5'],
    [42, '%pvw next 42'],
    [1e-9, '%pvw next 1e-9'],
    [2.5e21, '%pvw next 2.5e+21']
  ])('passes time %p', (time, line) => {
    expect(pvwNextCode(time)).toBe(line);
  });

  it.each([NaN, Infinity, -Infinity, -1, -1e-8])('refuses time %p', time => {
    expect(() => pvwNextCode(time)).toThrow(RangeError);
  });

  it.each(['1.5', '1; import os', null, {}])('refuses the non-number %p', time => {
    expect(() => pvwNextCode(time as any)).toThrow(RangeError);
  });
});

describe('withExtension', () => {
  it('loads the magics quietly before the line, so no %load_ext cell is needed', () => {
    const code = withExtension('%pvw status');
    expect(code.split('\n')).toEqual([LOAD_EXTENSION_CODE, '%pvw status']);
    expect(LOAD_EXTENSION_CODE).toContain('load_extension("jupyterlab_pvw")');
  });
});
