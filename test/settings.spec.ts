import { DEFAULT_SETTINGS, SETTING_BOUNDS, validateSettings } from '../src/settings';

describe('validateSettings', () => {
  it('returns the defaults with no corrections when nothing is set', () => {
    for (const raw of [undefined, null, {}]) {
      const { settings, corrections } = validateSettings(raw);
      expect(settings).toEqual({
        engineCount: 2,
        interactiveQuality: 50,
        stillQuality: 90,
        maxFps: 60,
        panelSide: 'right',
        renderBudget: 0.15,
        interactiveLod: true,
        showFrameInfo: true
      });
      expect(corrections).toEqual([]);
    }
  });

  it('keeps valid values as they are', () => {
    const raw = {
      engineCount: 8,
      interactiveQuality: 1,
      stillQuality: 100,
      maxFps: 120,
      panelSide: 'left',
      renderBudget: 1,
      interactiveLod: false,
      showFrameInfo: false
    };
    const { settings, corrections } = validateSettings(raw);
    expect(settings).toEqual(raw);
    expect(corrections).toEqual([]);
  });

  it('fills missing values from the defaults', () => {
    const { settings, corrections } = validateSettings({ maxFps: 30 });
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, maxFps: 30 });
    expect(corrections).toEqual([]);
  });

  it('clamps values below the minimum and reports each', () => {
    const { settings, corrections } = validateSettings({
      engineCount: 0,
      interactiveQuality: -5,
      stillQuality: 0,
      maxFps: 0
    });
    expect(settings).toEqual({
      ...DEFAULT_SETTINGS,
      engineCount: 1,
      interactiveQuality: 1,
      stillQuality: 1,
      maxFps: 1
    });
    expect(corrections).toEqual([
      'engineCount: 0 is below the minimum 1; using 1',
      'interactiveQuality: -5 is below the minimum 1; using 1',
      'stillQuality: 0 is below the minimum 1; using 1',
      'maxFps: 0 is below the minimum 1; using 1'
    ]);
  });

  it('clamps values above the maximum', () => {
    const { settings, corrections } = validateSettings({
      interactiveQuality: 101,
      stillQuality: 1000,
      maxFps: 240
    });
    expect(settings.interactiveQuality).toBe(100);
    expect(settings.stillQuality).toBe(100);
    expect(settings.maxFps).toBe(120);
    expect(corrections).toHaveLength(3);
    expect(corrections[2]).toBe('maxFps: 240 is above the maximum 120; using 120');
  });

  it('has no upper bound on the engine count', () => {
    const { settings, corrections } = validateSettings({ engineCount: 512 });
    expect(settings.engineCount).toBe(512);
    expect(corrections).toEqual([]);
  });

  it('rounds non-integers', () => {
    const { settings, corrections } = validateSettings({ engineCount: 3.6, maxFps: 29.4 });
    expect(settings.engineCount).toBe(4);
    expect(settings.maxFps).toBe(29);
    expect(corrections).toEqual([
      'engineCount: 3.6 is not an integer; using 4',
      'maxFps: 29.4 is not an integer; using 29'
    ]);
  });

  it('clamps after rounding: 0.4 engines becomes 1', () => {
    const { settings, corrections } = validateSettings({ engineCount: 0.4 });
    expect(settings.engineCount).toBe(1);
    expect(corrections).toEqual(['engineCount: 0.4 is below the minimum 1; using 1']);
  });

  it.each([
    ['a string', '4', '"4"'],
    ['NaN', NaN, 'NaN'],
    ['Infinity', Infinity, 'Infinity'],
    ['null', null, 'null'],
    ['a boolean', true, 'true'],
    ['an array', [4], 'an array'],
    ['an object', { n: 4 }, 'an object']
  ])('replaces %s with the default', (_, value, shown) => {
    const { settings, corrections } = validateSettings({ engineCount: value });
    expect(settings.engineCount).toBe(DEFAULT_SETTINGS.engineCount);
    expect(corrections).toEqual([
      `engineCount: ${shown} is not a finite number; using the default 2`
    ]);
  });

  it('replaces an unknown panel side with the default', () => {
    for (const side of ['top', 'Left', '', 1]) {
      const { settings, corrections } = validateSettings({ panelSide: side });
      expect(settings.panelSide).toBe('right');
      expect(corrections).toHaveLength(1);
      expect(corrections[0]).toMatch(
        /^panelSide: .* is not one of "left", "right"; using "right"$/
      );
    }
  });

  it('uses the defaults when the settings are not an object', () => {
    for (const raw of [42, 'settings', [1, 2], true]) {
      const { settings, corrections } = validateSettings(raw);
      expect(settings).toEqual(DEFAULT_SETTINGS);
      expect(corrections).toHaveLength(1);
      expect(corrections[0]).toMatch(/^settings: expected an object/);
    }
  });

  it('takes a render budget in (0, 1] and true/false switches, refusing the rest', () => {
    const good = validateSettings({
      renderBudget: 0.5,
      interactiveLod: false,
      showFrameInfo: false
    });
    expect(good.settings).toEqual({
      ...DEFAULT_SETTINGS,
      renderBudget: 0.5,
      interactiveLod: false,
      showFrameInfo: false
    });
    expect(good.corrections).toEqual([]);
    const bad = validateSettings({ renderBudget: 0, interactiveLod: 'no', showFrameInfo: 1 });
    expect(bad.settings).toEqual(DEFAULT_SETTINGS);
    expect(bad.corrections).toEqual([
      'renderBudget: 0 is not a fraction in (0, 1]; using 0.15',
      'interactiveLod: "no" is not true or false; using true',
      'showFrameInfo: 1 is not true or false; using true'
    ]);
  });

  it('ignores keys it does not know', () => {
    const { settings, corrections } = validateSettings({ colour: 'blue', maxFps: 24 });
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, maxFps: 24 });
    expect(corrections).toEqual([]);
  });

  it('never hands out the shared defaults object', () => {
    const { settings } = validateSettings(undefined);
    settings.maxFps = 1;
    expect(DEFAULT_SETTINGS.maxFps).toBe(60);
    expect(Object.isFrozen(DEFAULT_SETTINGS)).toBe(true);
    expect(Object.isFrozen(SETTING_BOUNDS)).toBe(true);
  });
});
