/**
 * The viewports service: creates viewports on shared connections and knows the one used last.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { FocusTracker } from '@lumino/widgets';

import { fetchSessions, sessionSocketUrl } from './api';
import { ConnectionRegistry, IQuality, SessionConnection } from './connection';
import { IPvwViewports, IViewportCreateOptions } from './tokens';
import { WslinkTransport } from './transport';
import { ViewportWidget } from './viewport';

/**
 * The implementation of `IPvwViewports`.
 */
export class ViewportHub implements IPvwViewports {
  /**
   * @param serverSettings - the Jupyter server the proxy runs in
   * @param quality - the image settings to start with
   */
  constructor(
    private readonly _serverSettings: ServerConnection.ISettings,
    quality: IQuality
  ) {
    this._quality = { ...quality };
    this.connections = new ConnectionRegistry(
      sessionId =>
        new SessionConnection({
          sessionId,
          quality: this._quality,
          createTransport: () =>
            new WslinkTransport({ url: sessionSocketUrl(this._serverSettings, sessionId) }),
          isGone: async () =>
            !(await fetchSessions(this._serverSettings)).some(s => s.id === sessionId)
        })
    );
    this._focus.currentChanged.connect((_, change) => this._setCurrent(change.newValue));
  }

  readonly connections: ConnectionRegistry;

  get quality(): Readonly<IQuality> {
    return this._quality;
  }

  get current(): ViewportWidget | null {
    return this._current && !this._current.isDisposed ? this._current : null;
  }

  get currentChanged(): ISignal<IPvwViewports, ViewportWidget | null> {
    return this._currentChanged;
  }

  create(options: IViewportCreateOptions): ViewportWidget {
    const viewport = new ViewportWidget({
      lease: this.connections.acquire(options.sessionId),
      height: options.height
    });
    this._focus.add(viewport);
    viewport.disposed.connect(() => {
      if (this._current === viewport) {
        // The last focused one that is left (the tracker forgets the disposed one itself).
        this._setCurrent(this._focus.currentWidget ?? this._focus.widgets.slice(-1)[0] ?? null);
      }
    });
    if (this.current === null) {
      this._setCurrent(viewport);
    }
    return viewport;
  }

  /**
   * Apply new image settings to every open connection and to those opened later.
   */
  setQuality(quality: IQuality): void {
    this._quality = { ...quality };
    for (const connection of this.connections.connections) {
      connection.setQuality(this._quality);
    }
  }

  private _setCurrent(viewport: ViewportWidget | null): void {
    if (viewport !== null && viewport.isDisposed) {
      viewport = null;
    }
    if (viewport === this._current) {
      return;
    }
    this._current = viewport;
    this._currentChanged.emit(viewport);
  }

  private _quality: IQuality;
  private _focus = new FocusTracker<ViewportWidget>();
  private _current: ViewportWidget | null = null;
  private _currentChanged = new Signal<IPvwViewports, ViewportWidget | null>(this);
}
