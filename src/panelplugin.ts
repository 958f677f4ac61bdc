/**
 * The plugin of the side panel and its command.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { COMMAND_LABELS } from './commands';
import { pvwIcon } from './icons';
import { SessionsPanel } from './panel';
import { sessionOfKernel } from './sessions';
import { DEFAULT_SETTINGS, validateSettings } from './settings';
import {
  COMMAND_CATEGORY,
  CommandIDs,
  IPvwViewports,
  PanelSide,
  PANEL_PLUGIN_ID,
  PLUGIN_ID
} from './tokens';

/** Where the panel sits among the other side panels. */
const PANEL_RANK = 900;

/**
 * The side panel listing the sessions, and `pvw:open-panel`.
 */
export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PANEL_PLUGIN_ID,
  description: 'The ParaViewWeb side panel: live sessions and a viewport.',
  autoStart: true,
  requires: [IPvwViewports],
  optional: [INotebookTracker, ICommandPalette, ILayoutRestorer, ISettingRegistry],
  activate: async (
    app: JupyterFrontEnd,
    viewports: IPvwViewports,
    tracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    registry: ISettingRegistry | null
  ): Promise<void> => {
    const kernelId = () => tracker?.currentWidget?.sessionContext.session?.kernel?.id ?? null;
    const panel = new SessionsPanel({
      viewports,
      serverSettings: app.serviceManager.serverSettings,
      kernelId
    });
    tracker?.currentChanged.connect(() => panel.update());

    let side: PanelSide = DEFAULT_SETTINGS.panelSide;
    const place = (next: PanelSide) => {
      if (next !== side) {
        side = next;
        app.shell.add(panel, side, { rank: PANEL_RANK });
      }
    };
    // Loaded before the panel is placed, so the restored layout finds it on its side.
    if (registry) {
      try {
        const settings = await registry.load(PLUGIN_ID);
        side = validateSettings(settings.composite).settings.panelSide;
        settings.changed.connect(() =>
          place(validateSettings(settings.composite).settings.panelSide)
        );
      } catch (reason) {
        console.error(
          `${PANEL_PLUGIN_ID}: could not load the settings; panel on the right.`,
          reason
        );
      }
    }
    app.shell.add(panel, side, { rank: PANEL_RANK });
    restorer?.add(panel, 'jupyterlab-pvw-panel');

    app.commands.addCommand(CommandIDs.openPanel, {
      label: COMMAND_LABELS[CommandIDs.openPanel],
      caption: "Open the ParaViewWeb side panel on the current notebook kernel's session",
      icon: pvwIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            sessionId: { type: 'string', description: 'The session to show' }
          }
        }
      },
      execute: async args => {
        app.shell.activateById(panel.id);
        await panel.refresh();
        const requested = typeof args.sessionId === 'string' ? args.sessionId : null;
        const target = requested ?? sessionOfKernel(panel.sessions, kernelId())?.id ?? null;
        if (target) {
          panel.showSession(target);
        }
        return target;
      }
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: COMMAND_CATEGORY });
  }
};
