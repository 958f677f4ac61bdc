import { DEFAULT_SETTINGS, PANEL_SIDES, SETTING_BOUNDS, validateSettings } from '../src/settings';
import rawSchema from '../schema/plugin.json';
import rawWire from '../python/jupyterlab_pvw/wire.json';

// The Settings Editor validates against the schema, the plugin against `settings.ts` (which
// reads the schema); the engine's defaults and bounds come from wire.json.
const schema: any = rawSchema;
const wire: any = rawWire;

describe('schema/plugin.json', () => {
  it('is titled ParaViewWeb and closed to unknown keys', () => {
    expect(schema.title).toBe('ParaViewWeb');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
  });

  it('describes exactly the settings the plugin reads', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    for (const property of Object.values<any>(schema.properties)) {
      expect(typeof property.title).toBe('string');
      expect(property.description.length).toBeGreaterThan(10);
    }
  });

  it('has the same defaults as the plugin', () => {
    for (const [key, property] of Object.entries<any>(schema.properties)) {
      expect([key, property.default]).toEqual([key, (DEFAULT_SETTINGS as any)[key]]);
    }
    expect(validateSettings(undefined).settings).toEqual(
      Object.fromEntries(Object.entries<any>(schema.properties).map(([k, p]) => [k, p.default]))
    );
  });

  it('has the same bounds as the plugin', () => {
    for (const [key, bounds] of Object.entries(SETTING_BOUNDS)) {
      const property = schema.properties[key];
      expect(property.type).toBe('integer');
      expect([key, property.minimum]).toEqual([key, bounds.minimum]);
      const maximum = bounds.maximum === Number.MAX_SAFE_INTEGER ? undefined : bounds.maximum;
      expect([key, property.maximum]).toEqual([key, maximum]);
    }
    expect(schema.properties.panelSide.enum).toEqual([...PANEL_SIDES]);
  });

  it('has the engine’s image defaults (wire.json)', () => {
    expect(schema.properties.stillQuality.default).toBe(wire.quality.still);
    expect(schema.properties.interactiveQuality.default).toBe(wire.quality.interactive);
    expect(schema.properties.maxFps.default).toBe(wire.maxFps.default);
  });

  it('allows only image settings the engine accepts (wire.json)', () => {
    for (const key of ['stillQuality', 'interactiveQuality']) {
      expect(schema.properties[key].minimum).toBeGreaterThanOrEqual(wire.quality.min);
      expect(schema.properties[key].maximum).toBeLessThanOrEqual(wire.quality.max);
    }
    expect(schema.properties.maxFps.minimum).toBeGreaterThanOrEqual(wire.maxFps.min);
    expect(schema.properties.maxFps.maximum).toBeLessThanOrEqual(wire.maxFps.max);
  });
});
