/**
 * The jupyterlab-pvw frontend: plugin objects only; the work lives in the modules they wire.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { addCommands } from './commands';
import { DEFAULT_SETTINGS, validateSettings } from './settings';
import { COMMAND_CATEGORY, CommandIDs, IPvwSettings, PLUGIN_ID } from './tokens';

export * from './tokens';

/**
 * The main plugin: the ParaViewWeb commands, their palette entries and the settings.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'ParaViewWeb commands for in-situ visualization of MPI simulations.',
  autoStart: true,
  optional: [ICommandPalette, ISettingRegistry, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null,
    tracker: INotebookTracker | null
  ): void => {
    let settings: IPvwSettings = { ...DEFAULT_SETTINGS };
    addCommands(app.commands, { tracker, settings: () => settings });

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category: COMMAND_CATEGORY });
      }
    }

    if (registry) {
      const apply = (composite: unknown): void => {
        const validation = validateSettings(composite);
        for (const correction of validation.corrections) {
          console.warn(`${PLUGIN_ID}: ${correction}`);
        }
        settings = validation.settings;
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
  }
};

export default [plugin];
