/**
 * The side panel: the live sessions, and a viewport on the one chosen.
 */
import { ServerConnection } from '@jupyterlab/services';
import { Poll } from '@lumino/polling';
import { Panel, Widget } from '@lumino/widgets';

import { fetchSessions } from './api';
import { pvwIcon } from './icons';
import { PresenceList } from './presencelist';
import { describeSession, ISessionInfo, orderSessions } from './sessions';
import { PipelineView } from './pipelineview';
import { IPvwViewports } from './tokens';
import { ViewportWidget } from './viewport';

/** How often (ms) the list refreshes while the panel is visible. */
export const REFRESH_MS = 3000;

/**
 * The side panel.
 */
export class SessionsPanel extends Panel {
  constructor(options: SessionsPanel.IOptions) {
    super();
    this._viewports = options.viewports;
    this._serverSettings = options.serverSettings;
    this._kernelId = options.kernelId;
    this.id = 'jp-pvw-panel';
    this.addClass('jp-pvw-Panel');
    this.title.icon = pvwIcon;
    this.title.caption = 'ParaViewWeb';

    const header = new Widget();
    header.addClass('jp-pvw-Panel-header');
    const title = document.createElement('h2');
    title.className = 'jp-pvw-Panel-title';
    title.textContent = 'ParaViewWeb';
    const refresh = document.createElement('button');
    refresh.type = 'button';
    refresh.className = 'jp-pvw-Panel-refresh';
    refresh.textContent = 'Refresh';
    refresh.title = 'List the sessions again';
    refresh.addEventListener('click', () => void this.refresh());
    header.node.append(title, refresh);

    this._list = new Widget({ node: document.createElement('ul') });
    this._list.addClass('jp-pvw-Panel-sessions');
    this._list.node.setAttribute('aria-label', 'ParaViewWeb sessions');
    this._message = new Widget();
    this._message.addClass('jp-pvw-Panel-message');

    this.addWidget(header);
    this.addWidget(this._list);
    this.addWidget(this._message);
    this._render();
    // Stands by while the panel is hidden or the browser tab is in the background.
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: REFRESH_MS, backoff: false },
      standby: () => (this.isVisible ? 'when-hidden' : true),
      name: 'jupyterlab-pvw:sessions'
    });
  }

  /** The sessions listed by the last refresh. */
  get sessions(): readonly ISessionInfo[] {
    return this._sessions;
  }

  /** The session shown, if any. */
  get sessionId(): string | null {
    return this._viewport?.sessionId ?? null;
  }

  /** The viewport shown, if any. */
  get viewport(): ViewportWidget | null {
    return this._viewport;
  }

  /**
   * List the sessions again.
   */
  async refresh(): Promise<void> {
    try {
      this._sessions = await fetchSessions(this._serverSettings);
      this._error = '';
      this._loaded = true;
    } catch (reason) {
      this._error = `Could not list the sessions: ${
        reason instanceof Error ? reason.message : String(reason)
      }`;
    }
    if (!this.isDisposed) {
      this._render();
    }
  }

  /**
   * Show a viewport on a session (the one shown before is closed).
   */
  showSession(sessionId: string): ViewportWidget {
    if (this._viewport && this._viewport.sessionId === sessionId && !this._viewport.isDisposed) {
      return this._viewport;
    }
    this._viewport?.dispose();
    this._pipeline?.dispose();
    this._presence?.dispose();
    const viewport = this._viewports.create({ sessionId, height: 'fill' });
    this._viewport = viewport;
    this._presence = new PresenceList(viewport.connection);
    this.addWidget(this._presence);
    this.addWidget(viewport);
    // The session's pipeline, on the viewport's connection (see pipelineview.ts).
    this._pipeline = new PipelineView(viewport.connection);
    this.addWidget(this._pipeline);
    this._render();
    return viewport;
  }

  dispose(): void {
    this._poll.dispose();
    super.dispose();
  }

  /** `update()` re-orders the list: the current notebook, whose sessions come first, changed. */
  protected onUpdateRequest(): void {
    this._render();
  }

  /** Shown again: list at once rather than at the next tick. */
  protected onAfterShow(): void {
    void this._poll.refresh();
  }

  protected onAfterAttach(): void {
    if (this.isVisible) {
      void this._poll.refresh();
    }
  }

  private _render(): void {
    const kernelId = this._kernelId();
    const ordered = orderSessions(this._sessions, kernelId);
    // Rebuilt only when something shown changed, so a refresh does not steal focus or hover.
    const key = JSON.stringify([kernelId, this.sessionId, this._error, this._loaded, ordered]);
    if (key === this._renderedKey) {
      return;
    }
    this._renderedKey = key;
    const list = this._list.node;
    list.replaceChildren();
    for (const session of ordered) {
      const { title, detail } = describeSession(session, kernelId);
      const item = document.createElement('li');
      item.className = 'jp-pvw-Panel-session';
      item.dataset.sessionId = session.id;
      item.classList.toggle('jp-mod-selected', session.id === this.sessionId);
      item.classList.toggle('jp-mod-own', kernelId !== null && session.kernel_id === kernelId);
      const choose = document.createElement('button');
      choose.type = 'button';
      choose.title = `Show session ${session.id}`;
      choose.setAttribute('aria-pressed', String(session.id === this.sessionId));
      const name = document.createElement('span');
      name.className = 'jp-pvw-Panel-sessionName';
      name.textContent = title;
      const info = document.createElement('span');
      info.className = 'jp-pvw-Panel-sessionDetail';
      info.textContent = detail;
      choose.append(name, info);
      choose.addEventListener('click', () => this.showSession(session.id));
      item.append(choose);
      list.append(item);
    }
    let message = this._error;
    if (!message && !this._loaded) {
      message = 'Looking for sessions…';
    } else if (!message && this._sessions.length === 0) {
      message =
        'No ParaViewWeb session is running. In a notebook, run %load_ext jupyterlab_pvw and ' +
        '%pvw start (or the command "ParaViewWeb: Start Engines"); the session appears here. ' +
        'A simulation started with mpiexec appears once it announces itself.';
    } else if (!message && !this._viewport) {
      message = 'Choose a session to view it.';
    }
    this._message.node.textContent = message;
    this._message.setHidden(message === '');
  }

  private _viewports: IPvwViewports;
  private _serverSettings: ServerConnection.ISettings;
  private _kernelId: () => string | null;
  private _list: Widget;
  private _message: Widget;
  private _sessions: ISessionInfo[] = [];
  private _error = '';
  private _viewport: ViewportWidget | null = null;
  private _pipeline: PipelineView | null = null;
  private _presence: PresenceList | null = null;
  private _poll: Poll;
  private _renderedKey = '';
  private _loaded = false;
}

/**
 * The side panel's options.
 */
export namespace SessionsPanel {
  export interface IOptions {
    /** Creates the viewport. */
    viewports: IPvwViewports;
    /** The Jupyter server that lists the sessions. */
    serverSettings: ServerConnection.ISettings;
    /** The current notebook's kernel id, whose sessions are listed first. */
    kernelId: () => string | null;
  }
}
