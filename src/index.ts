/**
 * The jupyterlab-pvw frontend: plugin objects only; the work lives in the modules they wire.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { addCommands } from './commands';
import { ipywidgetPlugin } from './ipywidgetplugin';
import { panelPlugin } from './panelplugin';
import { SettingsModel } from './settings';
import {
  COMMAND_CATEGORY,
  CommandIDs,
  IPvwSettingsModel,
  IPvwViewports,
  PLUGIN_ID,
  VIEWPORTS_PLUGIN_ID
} from './tokens';
import { viewerLinkPlugin } from './viewerlink';
import { ViewportHub } from './viewporthub';

export * from './tokens';

const OWN_PALETTE_ITEMS = new Set<string>([
  CommandIDs.openPanel,
  CommandIDs.copyViewerLink,
  CommandIDs.openViewer
]);

/**
 * The settings: loaded once from the registry (schema `schema/plugin.json`), validated, and
 * shared with every other plugin.
 */
const settingsPlugin: JupyterFrontEndPlugin<IPvwSettingsModel> = {
  id: PLUGIN_ID,
  description: 'The ParaViewWeb settings, validated once for every plugin.',
  autoStart: true,
  provides: IPvwSettingsModel,
  optional: [ISettingRegistry],
  activate: async (
    app: JupyterFrontEnd,
    registry: ISettingRegistry | null
  ): Promise<IPvwSettingsModel> => {
    const model = new SettingsModel(correction => console.warn(`${PLUGIN_ID}: ${correction}`));
    if (registry) {
      // Awaited, so the plugins that need the settings start with the user's values.
      try {
        const loaded = await registry.load(PLUGIN_ID);
        model.update(loaded.composite);
        loaded.changed.connect(() => model.update(loaded.composite));
      } catch (reason) {
        console.error(`${PLUGIN_ID}: could not load the settings; using the defaults.`, reason);
      }
    }
    return model;
  }
};

/**
 * The viewports service with its shared connections, and the ParaViewWeb commands with their
 * palette entries.
 */
const viewportsPlugin: JupyterFrontEndPlugin<IPvwViewports> = {
  id: VIEWPORTS_PLUGIN_ID,
  description: 'ParaViewWeb commands and viewports for in-situ visualization of MPI simulations.',
  autoStart: true,
  provides: IPvwViewports,
  requires: [IPvwSettingsModel],
  optional: [ICommandPalette, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    settings: IPvwSettingsModel,
    palette: ICommandPalette | null,
    tracker: INotebookTracker | null
  ): IPvwViewports => {
    const viewports = new ViewportHub(app.serviceManager.serverSettings, settings.settings);
    settings.changed.connect((_, next) => viewports.setQuality(next));
    addCommands(app.commands, { tracker, settings: () => settings.settings, viewports });

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        // The panel's and the viewer link's plugins add their own.
        if (!OWN_PALETTE_ITEMS.has(command)) {
          palette.addItem({ command, category: COMMAND_CATEGORY });
        }
      }
    }
    return viewports;
  }
};

export default [settingsPlugin, viewportsPlugin, panelPlugin, ipywidgetPlugin, viewerLinkPlugin];
