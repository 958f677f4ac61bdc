/**
 * The notebook's viewport ipywidget (Python side: `jupyterlab_pvw/widget.py`).
 *
 * The kernel names a session; the view streams it from the Jupyter server's proxy (frames
 * never pass through the kernel) and writes its connection state back into `status`.
 */
import { DOMWidgetModel, DOMWidgetView, ExportMap } from '@jupyter-widgets/base';
import { IDisposable } from '@lumino/disposable';
import { Message, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IConnectionStatus } from './connection';
import { SnapshotStore } from './snapshot';
import { IPvwViewports, MODULE_NAME, MODULE_VERSION } from './tokens';
import { ViewportWidget } from './viewport';

/**
 * The value of the `status` trait for a connection state: `connecting` (also while
 * reconnecting), `live`, `stopped`, or `error: <message>`.
 */
export function statusTrait(status: IConnectionStatus): string {
  switch (status.state) {
    case 'live':
      return 'live';
    case 'stopped':
      return 'stopped';
    case 'error':
      return `error: ${status.message}`;
    default:
      return 'connecting';
  }
}

/**
 * What the widget classes need from the application.
 */
export interface IWidgetServices {
  /** Creates viewports on shared connections. */
  viewports: IPvwViewports;
  /** Keeps each session's picture for saved notebooks. */
  snapshots: SnapshotStore;
  /** Opens the side panel on a session (for the `open_panel` trait). */
  openPanel: (sessionId: string) => void;
}

/**
 * The widget classes, bound to the application's services.
 */
export function widgetClasses(services: IWidgetServices): ExportMap {
  /** Models whose `open_panel` request was carried out (once per model, not per view). */
  const panelOpened = new WeakSet<DOMWidgetModel>();

  /**
   * The model: `session_id`, `height` and `status`, synced with the kernel.
   */
  class PvwViewportModel extends DOMWidgetModel {
    defaults() {
      return {
        ...super.defaults(),
        _model_name: 'PvwViewportModel',
        _view_name: 'PvwViewportView',
        _model_module: MODULE_NAME,
        _view_module: MODULE_NAME,
        _model_module_version: MODULE_VERSION,
        _view_module_version: MODULE_VERSION,
        session_id: '',
        height: 400,
        status: '',
        open_panel: false
      };
    }
  }

  /**
   * The view: a `ViewportWidget` on the model's session.
   */
  class PvwViewportView extends DOMWidgetView {
    render(): void {
      this.el.classList.add('jp-pvw-WidgetView');
      this._mount();
      this.listenTo(this.model, 'change:session_id', () => this._mount());
      this.listenTo(this.model, 'change:height', () => {
        if (this._viewport) {
          this._viewport.height = this._height();
        }
      });
    }

    /**
     * Forward the Lumino lifecycle of the view's own widget to the viewport inside it.
     */
    processLuminoMessage(msg: Message): void {
      super.processLuminoMessage(msg);
      switch (msg.type) {
        case 'before-attach':
        case 'after-attach':
        case 'before-detach':
        case 'after-detach':
        case 'after-show':
        case 'before-hide':
        case 'resize':
          if (this._viewport && !this._viewport.isDisposed) {
            MessageLoop.sendMessage(this._viewport, msg);
          }
          break;
      }
    }

    remove(): this {
      this._unmount();
      return super.remove();
    }

    private _height(): number {
      const height = Number(this.model.get('height'));
      return Number.isFinite(height) && height > 0 ? height : 400;
    }

    private _mount(): void {
      this._unmount();
      const sessionId = String(this.model.get('session_id') ?? '');
      if (!sessionId) {
        this.el.textContent = 'This viewport names no ParaViewWeb session.';
        this._report('error: no session id');
        return;
      }
      const viewport = services.viewports.create({ sessionId, height: this._height() });
      this._viewport = viewport;
      if (this.luminoWidget?.isAttached && this.el.isConnected) {
        Widget.attach(viewport, this.el);
      } else {
        // Attached later, when JupyterLab attaches this view (see processLuminoMessage).
        this.el.appendChild(viewport.node);
      }
      this._watch = services.snapshots.watch(
        this.model.model_id,
        viewport.connection,
        () => viewport.frameSize
      );
      viewport.connection.statusChanged.connect(this._onStatus, this);
      this._onStatus();
      if (this.model.get('open_panel') && !panelOpened.has(this.model)) {
        panelOpened.add(this.model);
        services.openPanel(sessionId);
      }
    }

    private _unmount(): void {
      this._watch?.dispose();
      this._watch = null;
      const viewport = this._viewport;
      this._viewport = null;
      if (viewport && !viewport.isDisposed) {
        viewport.connection.statusChanged.disconnect(this._onStatus, this);
        if (viewport.isAttached && viewport.node.isConnected) {
          Widget.detach(viewport);
        } else {
          viewport.node.remove();
        }
        viewport.dispose();
      }
      this.el.textContent = '';
    }

    private _onStatus(): void {
      if (this._viewport) {
        this._report(statusTrait(this._viewport.connection.status));
      }
    }

    /** Tell the kernel the connection state (once per change; several views may report). */
    private _report(value: string): void {
      if (this.model.get('status') !== value && this.model.comm_live) {
        this.model.set('status', value);
        this.model.save_changes();
      }
    }

    private _viewport: ViewportWidget | null = null;
    private _watch: IDisposable | null = null;
  }

  return { PvwViewportModel, PvwViewportView };
}
