/**
 * The jupyterlab-pvw frontend: plugin objects only; the work lives in the modules they wire.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { addCommands } from './commands';
import { panelPlugin } from './panelplugin';
import { DEFAULT_SETTINGS, validateSettings } from './settings';
import { COMMAND_CATEGORY, CommandIDs, IPvwSettings, IPvwViewports, PLUGIN_ID } from './tokens';
import { ViewportHub } from './viewports';
import { widgetPlugin } from './widgetplugin';

export * from './tokens';

/**
 * The main plugin: the settings, the viewports service with its shared connections, and the
 * ParaViewWeb commands with their palette entries.
 */
const plugin: JupyterFrontEndPlugin<IPvwViewports> = {
  id: PLUGIN_ID,
  description: 'ParaViewWeb commands and viewports for in-situ visualization of MPI simulations.',
  autoStart: true,
  provides: IPvwViewports,
  optional: [ICommandPalette, ISettingRegistry, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null,
    tracker: INotebookTracker | null
  ): IPvwViewports => {
    let settings: IPvwSettings = { ...DEFAULT_SETTINGS };
    const viewports = new ViewportHub(app.serviceManager.serverSettings, settings);
    addCommands(app.commands, { tracker, settings: () => settings, viewports });

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        if (command !== CommandIDs.openPanel) {
          palette.addItem({ command, category: COMMAND_CATEGORY });
        }
      }
    }

    if (registry) {
      const apply = (composite: unknown): void => {
        const validation = validateSettings(composite);
        for (const correction of validation.corrections) {
          console.warn(`${PLUGIN_ID}: ${correction}`);
        }
        settings = validation.settings;
        viewports.setQuality(settings);
      };
      registry
        .load(PLUGIN_ID)
        .then(loaded => {
          apply(loaded.composite);
          loaded.changed.connect(() => apply(loaded.composite));
        })
        .catch(reason => {
          console.error(`${PLUGIN_ID}: could not load the settings; using the defaults.`, reason);
        });
    }
    return viewports;
  }
};

export default [plugin, panelPlugin, widgetPlugin];
