/**
 * Identifiers and interfaces shared by the jupyterlab-pvw plugins.
 *
 * This module is pure (no JupyterLab imports at run time) so that the logic built on it can be
 * unit-tested without a JupyterLab runtime.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';

import packageJson from '../package.json';

import type { ConnectionRegistry, IQuality } from './connection';
import type { ViewportWidget } from './viewport';

/**
 * The npm package name, which prefixes every plugin id.
 */
export const EXTENSION_ID = 'jupyterlab-pvw';

/**
 * The ipywidget module name, as in the Python model's `_model_module`.
 */
export const MODULE_NAME = EXTENSION_ID;

/**
 * The ipywidget module version: package.json's, which the Python package's version also is.
 */
export const MODULE_VERSION = packageJson.version;

/**
 * The id of the settings plugin; its settings schema is `schema/plugin.json`.
 */
export const PLUGIN_ID = `${EXTENSION_ID}:plugin`;

/**
 * The id of the plugin of the viewports service and the commands.
 */
export const VIEWPORTS_PLUGIN_ID = `${EXTENSION_ID}:viewports`;

/**
 * The id of the side panel plugin.
 */
export const PANEL_PLUGIN_ID = `${EXTENSION_ID}:panel`;

/**
 * The id of the plugin that registers the notebook's viewport ipywidget.
 */
export const WIDGET_PLUGIN_ID = `${EXTENSION_ID}:widget`;

/**
 * The command palette category of every ParaViewWeb command.
 */
export const COMMAND_CATEGORY = 'ParaViewWeb';

/**
 * The ids of the commands registered by jupyterlab-pvw.
 */
export namespace CommandIDs {
  /** Start the MPI engines that host the ParaView render service (`%pvw start`). */
  export const start = 'pvw:start';
  /** Stop the MPI engines (`%pvw stop`). */
  export const stop = 'pvw:stop';
  /** Report the state of the engines and datasets (`%pvw status`). */
  export const status = 'pvw:status';
  /** Make a registered dataset the one shown (`%pvw activate NAME`). */
  export const activate = 'pvw:activate';
  /** Advance every rank to its pending piece and render (`%pvw next [TIME]`). */
  export const nextTimestep = 'pvw:next-timestep';
  /** Open the viewport in the side panel. */
  export const openPanel = 'pvw:open-panel';
  /** Reset the camera of the viewport to fit the data. */
  export const resetCamera = 'pvw:reset-camera';
  /** Pause, step or resume the run of the viewport used last (`pvw.pause` ...). */
  export const pauseRun = 'pvw:pause';
  export const stepRun = 'pvw:step';
  export const resumeRun = 'pvw:resume';
  /** Copy a link that opens a session's viewport for someone else, as a watcher. */
  export const copyViewerLink = 'pvw:copy-viewer-link';
  /** Open a session's viewport in the main area (what a viewer link does). */
  export const openViewer = 'pvw:open-viewer';
}

/**
 * Which side of the JupyterLab shell hosts the viewport panel.
 */
export type PanelSide = 'left' | 'right';

/**
 * The user settings of jupyterlab-pvw, validated (see `settings.ts`).
 */
export interface IPvwSettings {
  /** Number of MPI engines `%pvw start` launches; an integer of at least 1. */
  engineCount: number;
  /** JPEG quality of frames streamed while the camera moves. */
  interactiveQuality: number;
  /** JPEG quality of the frame rendered once the camera is still. */
  stillQuality: number;
  /** Upper bound of frames per second the viewport requests while interacting. */
  maxFps: number;
  /** Which side of the shell hosts the viewport panel. */
  panelSide: PanelSide;
  /** Fraction (0..1] of the time the engine may render while the simulation steps. */
  renderBudget: number;
  /** Reduced frames (ParaView's LOD, smaller size) while interacting; off: full detail. */
  interactiveLod: boolean;
  /** Whether the status line shows fps, latency, bytes, reduction and budget. */
  showFrameInfo: boolean;
}

/**
 * The settings, loaded and validated once, shared by every plugin.
 */
export interface IPvwSettingsModel {
  /** The current settings, validated. */
  readonly settings: Readonly<IPvwSettings>;
  /** Emitted with the new settings whenever they change. */
  readonly changed: ISignal<IPvwSettingsModel, Readonly<IPvwSettings>>;
}

/**
 * The settings service, provided by the settings plugin.
 */
export const IPvwSettingsModel = new Token<IPvwSettingsModel>(
  `${EXTENSION_ID}:IPvwSettingsModel`,
  'The validated jupyterlab-pvw settings.'
);

/**
 * What a viewport is created with.
 */
export interface IViewportCreateOptions {
  /** The proxy's session id (as listed by `GET pvw/sessions`). */
  sessionId: string;
  /** Height of the picture in CSS pixels, or `fill` to fill the parent. */
  height?: number | 'fill';
}

/**
 * The live viewports and the connections they share.
 */
export interface IPvwViewports {
  /**
   * Create a viewport on a session, sharing the session's connection with every other
   * viewport on it. Dispose the viewport to let go of the connection.
   */
  create(options: IViewportCreateOptions): ViewportWidget;
  /** The viewport focused or used last, if it still exists. */
  readonly current: ViewportWidget | null;
  /** Emitted when `current` changes. */
  readonly currentChanged: ISignal<IPvwViewports, ViewportWidget | null>;
  /** The shared connections, one per session. */
  readonly connections: ConnectionRegistry;
  /** The image settings every connection applies. */
  readonly quality: Readonly<IQuality>;
}

/**
 * The viewports service, provided by the main plugin.
 */
export const IPvwViewports = new Token<IPvwViewports>(
  `${EXTENSION_ID}:IPvwViewports`,
  'The ParaViewWeb viewports and their shared session connections.'
);
