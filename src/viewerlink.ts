/**
 * The watch-only link: "Copy Viewer Link" copies a URL of this Jupyter server that opens just
 * one session's viewport (`<base>/lab?pvw-session=<id>`); JupyterLab's router turns that query
 * into `pvw:open-viewer`, which shows the viewport in the main area. Whoever opens it goes
 * through the same authenticated proxy as their own Jupyter user, so they join as a viewer
 * and watch until the driver hands them control.
 */
import { IRouter, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';

import { COMMAND_LABELS } from './commands';
import { pvwIcon } from './icons';
import { SESSION_PARAM, sessionOfSearch, viewerLink } from './viewerurl';
import { COMMAND_CATEGORY, CommandIDs, EXTENSION_ID, IPvwViewports } from './tokens';

/** Copy the viewer link of `sessionId` and say so. */
export function copyViewerLink(sessionId: string): string {
  const link = viewerLink(sessionId, PageConfig.getBaseUrl());
  Clipboard.copyToSystem(link);
  Notification.success(
    `Viewer link copied: anyone with access to this Jupyter server can watch with it. ${link}`,
    { autoClose: 8000 }
  );
  return link;
}

/**
 * `pvw:copy-viewer-link`, `pvw:open-viewer` and the route from a viewer link to the latter.
 */
export const viewerLinkPlugin: JupyterFrontEndPlugin<void> = {
  id: `${EXTENSION_ID}:viewer-link`,
  description: 'ParaViewWeb viewer links: watch a session from its own URL.',
  autoStart: true,
  requires: [IPvwViewports],
  optional: [IRouter, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    viewports: IPvwViewports,
    router: IRouter | null,
    palette: ICommandPalette | null
  ): void => {
    const sessionArg = (args: Record<string, unknown>) =>
      typeof args.sessionId === 'string' && args.sessionId ? args.sessionId : null;

    app.commands.addCommand(CommandIDs.copyViewerLink, {
      label: COMMAND_LABELS[CommandIDs.copyViewerLink],
      caption:
        'Copy a link that opens this session’s viewport for someone with access to this ' +
        'Jupyter server; they join as a watcher',
      icon: pvwIcon,
      isEnabled: args => !!(sessionArg(args) ?? viewports.current),
      execute: args => {
        const sessionId = sessionArg(args) ?? viewports.current?.sessionId ?? null;
        if (!sessionId) {
          Notification.error(
            'Copy Viewer Link: no ParaViewWeb viewport is open; show a session first.',
            { autoClose: 10000 }
          );
          return null;
        }
        return copyViewerLink(sessionId);
      }
    });
    viewports.currentChanged.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.copyViewerLink)
    );

    app.commands.addCommand(CommandIDs.openViewer, {
      label: COMMAND_LABELS[CommandIDs.openViewer],
      caption: 'Open a ParaViewWeb session’s viewport in the main area',
      icon: pvwIcon,
      execute: args => {
        // From the router: {search}; from code: {sessionId}.
        const sessionId =
          sessionArg(args) ??
          (typeof args.search === 'string' ? sessionOfSearch(args.search) : null);
        if (!sessionId) {
          return null;
        }
        const id = `jp-pvw-viewer-${sessionId}`;
        const open = Array.from(app.shell.widgets('main')).find(w => w.id === id);
        if (open) {
          app.shell.activateById(id);
          return id;
        }
        const content = viewports.create({ sessionId, height: 'fill' });
        const widget = new MainAreaWidget({ content });
        widget.id = id;
        widget.addClass('jp-pvw-Viewer');
        widget.title.label = `ParaViewWeb ${sessionId}`;
        widget.title.icon = pvwIcon;
        widget.title.closable = true;
        app.shell.add(widget, 'main');
        app.shell.activateById(id);
        return id;
      }
    });

    router?.register({
      command: CommandIDs.openViewer,
      pattern: new RegExp(`[?&]${SESSION_PARAM}=`),
      rank: 100 // after JupyterLab's own routes: the workspace loads first
    });
    palette?.addItem({ command: CommandIDs.copyViewerLink, category: COMMAND_CATEGORY });
  }
};
