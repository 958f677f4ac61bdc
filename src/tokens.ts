/**
 * Identifiers and interfaces shared by the jupyterlab-pvw plugins.
 *
 * This module is pure (no JupyterLab imports) so that the logic built on it can be unit-tested
 * without a JupyterLab runtime.
 */

/**
 * The npm package name, which prefixes every plugin id.
 */
export const EXTENSION_ID = 'jupyterlab-pvw';

/**
 * The id of the main plugin; its settings schema is `schema/plugin.json`.
 */
export const PLUGIN_ID = `${EXTENSION_ID}:plugin`;

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
  /** JPEG quality (1..100) of frames streamed while the camera moves. */
  interactiveQuality: number;
  /** JPEG quality (1..100) of the frame rendered once the camera is still. */
  stillQuality: number;
  /** Upper bound (1..120) of frames per second the viewport requests while interacting. */
  maxFps: number;
  /** Which side of the shell hosts the viewport panel. */
  panelSide: PanelSide;
}
