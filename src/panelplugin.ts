/**
 * The plugin of the side panel and its command.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { COMMAND_LABELS } from './commands';
import { pvwIcon } from './icons';
import { SessionsPanel } from './panel';
import { sessionOfKernel } from './sessions';
import {
  COMMAND_CATEGORY,
  CommandIDs,
  IPvwSettingsModel,
  IPvwViewports,
  PanelSide,
  PANEL_PLUGIN_ID
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
  requires: [IPvwViewports, IPvwSettingsModel],
  optional: [INotebookTracker, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    viewports: IPvwViewports,
    settings: IPvwSettingsModel,
    tracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const kernelId = () => tracker?.currentWidget?.sessionContext.session?.kernel?.id ?? null;
    const panel = new SessionsPanel({
      viewports,
      serverSettings: app.serviceManager.serverSettings,
      kernelId
    });
    tracker?.currentChanged.connect(() => panel.update());

    // The settings are loaded before this runs, so the restored layout finds the panel on
    // the user's side.
    let side: PanelSide = settings.settings.panelSide;
    settings.changed.connect((_, next) => {
      if (next.panelSide !== side) {
        side = next.panelSide;
        app.shell.add(panel, side, { rank: PANEL_RANK });
      }
    });
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
