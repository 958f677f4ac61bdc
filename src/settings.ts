/**
 * The jupyterlab-pvw settings: defaults and bounds read from `schema/plugin.json` (the schema
 * the Settings Editor shows), validation, and the one model every plugin reads them from.
 *
 * The Settings Editor validates user input against the schema, but overrides
 * (`overrides.json`) and hand-edited files reach the plugin unchecked. Everything that reads
 * settings goes through `validateSettings`, so the rest of the code can trust the values.
 */
import { ISignal, Signal } from '@lumino/signaling';

import schema from '../schema/plugin.json';
import { IPvwSettings, IPvwSettingsModel, PanelSide } from './tokens';

const PROPERTIES = schema.properties;

/**
 * The settings used when the user has set nothing: the schema's defaults.
 */
export const DEFAULT_SETTINGS: Readonly<IPvwSettings> = Object.freeze({
  engineCount: PROPERTIES.engineCount.default,
  interactiveQuality: PROPERTIES.interactiveQuality.default,
  stillQuality: PROPERTIES.stillQuality.default,
  maxFps: PROPERTIES.maxFps.default,
  panelSide: PROPERTIES.panelSide.default as PanelSide
});

/**
 * The numeric settings; each is an integer within inclusive bounds.
 */
export type NumericSetting = 'engineCount' | 'interactiveQuality' | 'stillQuality' | 'maxFps';

/**
 * Inclusive bounds of a numeric setting.
 */
export interface IBounds {
  readonly minimum: number;
  readonly maximum: number;
}

/** A schema property's bounds; a missing maximum means none. */
function bounds(property: { minimum: number; maximum?: number }): IBounds {
  return Object.freeze({
    minimum: property.minimum,
    maximum: property.maximum ?? Number.MAX_SAFE_INTEGER
  });
}

/**
 * The bounds of every numeric setting: the schema's `minimum`/`maximum`.
 */
export const SETTING_BOUNDS: Readonly<Record<NumericSetting, IBounds>> = Object.freeze({
  engineCount: bounds(PROPERTIES.engineCount),
  interactiveQuality: bounds(PROPERTIES.interactiveQuality),
  stillQuality: bounds(PROPERTIES.stillQuality),
  maxFps: bounds(PROPERTIES.maxFps)
});

/**
 * The accepted values of `panelSide`: the schema's `enum`.
 */
export const PANEL_SIDES: readonly PanelSide[] = Object.freeze(
  PROPERTIES.panelSide.enum as PanelSide[]
);

/**
 * The outcome of validating raw settings.
 */
export interface ISettingsValidation {
  /** Settings that are safe to use: every value present, typed and within bounds. */
  settings: IPvwSettings;
  /** One human-readable line per value that was replaced or clamped; empty when none was. */
  corrections: string[];
}

/**
 * Turn a raw settings composite into validated settings.
 *
 * Missing values take their default silently. Values of the wrong type take their default,
 * non-integers are rounded and out-of-range numbers are clamped; each such change is reported
 * in `corrections`.
 *
 * @param raw - the settings composite as read from the registry, or anything else
 * @returns the validated settings and the list of corrections made
 */
export function validateSettings(raw: unknown): ISettingsValidation {
  const corrections: string[] = [];
  const settings: IPvwSettings = { ...DEFAULT_SETTINGS };
  if (raw === undefined || raw === null) {
    return { settings, corrections };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    corrections.push(`settings: expected an object, got ${describe(raw)}; using the defaults`);
    return { settings, corrections };
  }
  const values = raw as Record<string, unknown>;

  for (const key of Object.keys(SETTING_BOUNDS) as NumericSetting[]) {
    if (values[key] === undefined) {
      continue;
    }
    const checked = checkInteger(values[key], SETTING_BOUNDS[key], DEFAULT_SETTINGS[key]);
    settings[key] = checked.value;
    if (checked.problem) {
      corrections.push(`${key}: ${checked.problem}`);
    }
  }

  const side = values.panelSide;
  if (side !== undefined) {
    if (PANEL_SIDES.includes(side as PanelSide)) {
      settings.panelSide = side as PanelSide;
    } else {
      corrections.push(
        `panelSide: ${describe(side)} is not one of ${PANEL_SIDES.map(s => `"${s}"`).join(', ')}; ` +
          `using "${DEFAULT_SETTINGS.panelSide}"`
      );
    }
  }
  return { settings, corrections };
}

/**
 * Check one integer value against its bounds.
 */
function checkInteger(
  value: unknown,
  bounds: IBounds,
  fallback: number
): { value: number; problem?: string } {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return {
      value: fallback,
      problem: `${describe(value)} is not a finite number; using the default ${fallback}`
    };
  }
  const rounded = Math.round(value);
  if (rounded < bounds.minimum) {
    return {
      value: bounds.minimum,
      problem: `${value} is below the minimum ${bounds.minimum}; using ${bounds.minimum}`
    };
  }
  if (rounded > bounds.maximum) {
    return {
      value: bounds.maximum,
      problem: `${value} is above the maximum ${bounds.maximum}; using ${bounds.maximum}`
    };
  }
  if (rounded !== value) {
    return { value: rounded, problem: `${value} is not an integer; using ${rounded}` };
  }
  return { value };
}

/**
 * A short description of an arbitrary value for a correction message.
 */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (value === null) {
    return 'null';
  }
  return typeof value === 'object' ? 'an object' : String(value);
}

/**
 * The settings as every plugin reads them: validated once per change of the raw values.
 */
export class SettingsModel implements IPvwSettingsModel {
  /**
   * @param warn - told each correction `validateSettings` made (default `console.warn`)
   */
  constructor(private readonly _warn: (message: string) => void = console.warn) {}

  /** The current settings, validated. */
  get settings(): Readonly<IPvwSettings> {
    return this._settings;
  }

  /** Emitted with the new settings whenever they change. */
  get changed(): ISignal<this, Readonly<IPvwSettings>> {
    return this._changed;
  }

  /**
   * Take new raw values (a settings composite); corrections go to `warn`.
   */
  update(raw: unknown): void {
    const { settings, corrections } = validateSettings(raw);
    for (const correction of corrections) {
      this._warn(correction);
    }
    const before = this._settings;
    this._settings = Object.freeze(settings);
    if ((Object.keys(settings) as (keyof IPvwSettings)[]).some(k => before[k] !== settings[k])) {
      this._changed.emit(this._settings);
    }
  }

  private _settings: Readonly<IPvwSettings> = DEFAULT_SETTINGS;
  private _changed = new Signal<this, Readonly<IPvwSettings>>(this);
}
