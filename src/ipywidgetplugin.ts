/**
 * The plugin of the notebook's viewport ipywidget, and of the picture saved with it.
 */
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';

import { encodePng, NotebookSnapshots, SnapshotStore } from './snapshot';
import { widgetClasses } from './ipywidget';
import { CommandIDs, IPvwViewports, MODULE_NAME, MODULE_VERSION, WIDGET_PLUGIN_ID } from './tokens';

/**
 * Registers `PvwViewportModel`/`PvwViewportView` with the widget manager and saves a picture
 * of each live viewport into the notebook.
 */
export const ipywidgetPlugin: JupyterFrontEndPlugin<void> = {
  id: WIDGET_PLUGIN_ID,
  description: 'The ParaViewWeb viewport ipywidget for notebooks.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry, IPvwViewports],
  optional: [INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    registry: IJupyterWidgetRegistry,
    viewports: IPvwViewports,
    tracker: INotebookTracker | null
  ): void => {
    const snapshots = new SnapshotStore(encodePng);
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: widgetClasses({
        viewports,
        snapshots,
        openPanel: sessionId => void app.commands.execute(CommandIDs.openPanel, { sessionId })
      })
    });
    if (tracker) {
      new NotebookSnapshots(tracker, modelId => snapshots.pngFor(modelId));
    }
  }
};
