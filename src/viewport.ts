/**
 * The viewport: draws a session's frames and turns mouse, wheel, touch and keys into camera
 * interaction. The notebook widget and the side panel both show this widget.
 */
import { IConnectionLease, IConnectionStatus, IViewer, SessionConnection } from './connection';
import {
  containRect,
  distance,
  IPointerSample,
  interactionEvent,
  IRect,
  pinchSpin,
  WHEEL_END_DELAY_MS,
  wheelSpin
} from './events';
import { FrameDecoder, IDecodedFrame, IFrameColoring } from './frames';
import { presenceLines } from './presencetext';
import { FrameReadout } from './readout';
import { RunControls } from './runcontrols';
import { copyViewerLink } from './viewerlink';
import { VIEW_ID } from './wire';
import { Widget } from '@lumino/widgets';

/** How far (fraction of the view) one arrow key turns the camera. */
const ARROW_STEP = 0.05;

/** Smallest change of spin a pinch sends; finer ones wait for more finger motion. */
const PINCH_MIN_SPIN = 0.02;

/** How often (ms) the status line is refreshed at most. */
const STATUS_REFRESH_MS = 250;

/**
 * How to build a viewport.
 */
export interface IViewportOptions {
  /** The lease on the session's shared connection; the viewport disposes it. */
  lease: IConnectionLease;
  /** Height of the picture in CSS pixels, or `fill` to fill the parent (side panel). */
  height?: number | 'fill';
}

/**
 * A live view of one session.
 */
export class ViewportWidget extends Widget {
  constructor(options: IViewportOptions) {
    super();
    this._lease = options.lease;
    this.addClass('jp-pvw-Viewport');
    const node = this.node;
    node.tabIndex = 0;
    node.setAttribute('role', 'application');
    node.setAttribute(
      'aria-label',
      'ParaViewWeb viewport: drag to rotate, shift-drag to pan, right-drag or wheel to zoom, ' +
        'r to reset the camera, arrow keys to rotate, + and - to zoom'
    );
    node.dataset.sessionId = this.connection.sessionId;
    node.dataset.frames = '0';

    this._stage = document.createElement('div');
    this._stage.className = 'jp-pvw-Viewport-stage';
    // Right-drag zooms: no context menu, neither the browser's nor JupyterLab's.
    this._stage.dataset.jpSuppressContextMenu = 'true';
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'jp-pvw-Viewport-canvas';
    this._overlay = document.createElement('div');
    this._overlay.className = 'jp-pvw-Viewport-overlay';
    this._overlayText = document.createElement('div');
    this._overlayText.className = 'jp-pvw-Viewport-overlayText';
    this._retry = button('Reconnect', 'Try to connect to the session again');
    this._retry.classList.add('jp-pvw-Viewport-retry');
    this._overlay.append(this._overlayText, this._retry);
    this._stage.append(this._canvas, this._overlay);

    const footer = document.createElement('div');
    footer.className = 'jp-pvw-Viewport-footer';
    this._status = document.createElement('span');
    this._status.className = 'jp-pvw-Viewport-status';
    this._status.setAttribute('aria-live', 'polite');
    const reset = button('Reset camera', 'Reset the camera to show all the data (r)');
    reset.classList.add('jp-pvw-Viewport-reset');
    this._presence = document.createElement('span');
    this._presence.className = 'jp-pvw-Viewport-presence';
    this._control = button('Ask for control', 'Ask the viewer who drives to let you drive');
    this._control.classList.add('jp-pvw-Viewport-control');
    this._control.hidden = true;
    this._control.addEventListener('click', () => void this._onControl());
    const link = button('Copy viewer link', 'Copy a link that lets others watch this session');
    link.classList.add('jp-pvw-Viewport-link');
    link.addEventListener('click', () => copyViewerLink(this.sessionId));
    // Pause / step / resume and the time slider (runcontrols.ts).
    this._run = new RunControls(this.connection, text => this._flash(text));
    footer.append(this._status, this._run.node, this._presence, this._control, link, reset);
    node.append(this._stage, footer);

    this.height = options.height ?? 400;

    this._canvas.addEventListener('pointerdown', this);
    this._canvas.addEventListener('pointermove', this);
    this._canvas.addEventListener('pointerup', this);
    this._canvas.addEventListener('pointercancel', this);
    this._canvas.addEventListener('lostpointercapture', this);
    // Not passive: the page must not scroll while the wheel zooms.
    this._canvas.addEventListener('wheel', this, { passive: false });
    this._stage.addEventListener('contextmenu', this);
    node.addEventListener('focus', this);
    node.addEventListener('blur', this);
    reset.addEventListener('click', () => void this.resetCamera());
    this._retry.addEventListener('click', () => this.connection.reconnect());

    // The stage size decides the render size; observed whether or not Lumino attach messages
    // reach this widget (inside an ipywidget they are forwarded, not guaranteed).
    this._resizeObserver = new ResizeObserver(() => this._onResize());
    this._resizeObserver.observe(this._stage);

    const connection = this.connection;
    connection.statusChanged.connect(this._onStatus, this);
    if (connection.frames.current) {
      this._draw(connection.frames.current);
    }
    connection.presenceChanged.connect(this._renderPresence, this);
    connection.interactionFailed.connect((_, message) => this._flash(message), this);
    this._renderPresence();
    this._onStatus(connection, connection.status);
    this._ticker = setInterval(() => this._renderStatus(), 1000);
  }

  /** Whether the status line shows the frame readout (fps, latency, size, LOD, budget). */
  showFrameInfo = true;

  /** The shared connection this viewport shows. */
  get connection(): SessionConnection {
    return this._lease.connection;
  }

  /** The session shown. */
  get sessionId(): string {
    return this.connection.sessionId;
  }

  /** Height of the picture in CSS pixels, or `fill`. */
  get height(): number | 'fill' {
    return this._height;
  }

  set height(value: number | 'fill') {
    this._height = value === 'fill' ? 'fill' : Math.max(16, Math.round(value) || 400);
    this.toggleClass('jp-mod-fill', this._height === 'fill');
    this._stage.style.height = this._height === 'fill' ? '' : `${this._height}px`;
  }

  /** Pause, step, resume and the history of the session's run. */
  get runControls(): RunControls {
    return this._run;
  }

  /** Frames drawn by this viewport. */
  get framesDrawn(): number {
    return this._framesDrawn;
  }

  /**
   * Reset the camera to show all the data; failures show in the status line.
   */
  async resetCamera(): Promise<void> {
    this._claimSize();
    try {
      await this.connection.resetCamera();
    } catch (reason) {
      this._flash(`Reset failed: ${errorText(reason)}`);
    }
  }

  /**
   * Handle the DOM events of the viewport.
   */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'pointerdown':
        this._onPointerDown(event as PointerEvent);
        break;
      case 'pointermove':
        this._onPointerMove(event as PointerEvent);
        break;
      case 'pointerup':
      case 'pointercancel':
      case 'lostpointercapture':
        this._onPointerUp(event as PointerEvent);
        break;
      case 'wheel':
        this._onWheel(event as WheelEvent);
        break;
      case 'contextmenu':
        event.preventDefault();
        break;
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
      case 'focus':
        // JupyterLab matches shortcuts in the document's capture phase ('r' would turn the
        // notebook cell into a raw cell); the window's capture phase comes first.
        window.addEventListener('keydown', this, true);
        break;
      case 'blur':
        window.removeEventListener('keydown', this, true);
        break;
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._endWheel();
    if (this._drag) {
      this._send('up', { ...this._drag.last, buttons: 0 });
    }
    clearInterval(this._ticker);
    this._run.dispose();
    window.removeEventListener('keydown', this, true);
    this._resizeObserver.disconnect();
    this._watchSize(null);
    this.connection.releaseSize(this._tag);
    this.connection.statusChanged.disconnect(this._onStatus, this);
    super.dispose();
    this._lease.dispose();
  }

  // -- frames and status ------------------------------------------------------------------

  private _onDecoded(_: unknown, decoded: IDecodedFrame<ImageBitmap>): void {
    this._draw(decoded);
  }

  private _draw(decoded: IDecodedFrame<ImageBitmap>): void {
    const { bitmap, frame } = decoded;
    const canvas = this._canvas;
    // A reduced frame (a fraction of the view size) is drawn scaled up to the full size.
    const width = Math.round(bitmap.width / frame.scale);
    const height = Math.round(bitmap.height / frame.scale);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, width, height);
    this._readout.frame(frame, performance.now());
    this._hasFrame = true;
    this._lastWorkMs = frame.workTime;
    this._lastStep = frame.timestep;
    this._lastTime = frame.time;
    this._lastColoring = describeColoring(frame.coloring);
    this.node.dataset.step = String(frame.timestep);
    this.node.dataset.time = String(frame.time);
    this._framesDrawn += 1;
    this.node.dataset.frames = String(this._framesDrawn);
    this.node.dataset.still = String(frame.still);
    this._updateOverlay();
    const now = Date.now();
    if (now - this._statusShownAt >= STATUS_REFRESH_MS) {
      this._renderStatus();
    }
  }

  private _onStatus(_: unknown, status: IConnectionStatus): void {
    this.node.dataset.state = status.state;
    // A stopped session keeps its last picture as it was: it is the result, not a fault.
    this.toggleClass('jp-mod-stale', status.state !== 'live' && status.state !== 'stopped');
    if (status.state !== 'live') {
      this._drag = null;
      this._pinch = null;
      this._pointers.clear();
    } else {
      // A new connection renders at this viewport's size unless another one claims it.
      this._claimSize();
    }
    this._updateOverlay();
    this._renderStatus();
  }

  private _updateOverlay(): void {
    const { state, message } = this.connection.status;
    let text = '';
    if (state === 'error') {
      text = message;
    } else if (!this._hasFrame) {
      text =
        state === 'stopped'
          ? `Session ${this.sessionId} was stopped before it showed anything.`
          : state === 'live'
            ? 'Live. Nothing is shown until the simulation activates a dataset ' +
              '(engine.activate(NAME), or %pvw activate NAME in the notebook).'
            : state === 'reconnecting'
              ? `Cannot reach the engine yet: ${message}`
              : `Connecting to session ${this.sessionId}…`;
    }
    this._overlay.hidden = text === '';
    this._overlay.classList.toggle('jp-mod-error', state === 'error');
    this._overlayText.textContent = text;
    this._retry.hidden = state !== 'error';
  }

  private _renderStatus(): void {
    if (this.isDisposed) {
      return;
    }
    this._statusShownAt = Date.now();
    if (this._flashText && Date.now() < this._flashUntil) {
      this._status.textContent = this._flashText;
      return;
    }
    const { state, message, wasLive } = this.connection.status;
    let text: string;
    switch (state) {
      case 'connecting':
        text = `Connecting to session ${this.sessionId}…`;
        break;
      case 'live': {
        const fps = this.connection.frameRate();
        const render = this._hasFrame ? ` · render ${Math.round(this._lastWorkMs)} ms` : '';
        const step = this._hasFrame
          ? ` · step ${this._lastStep} · t = ${formatNumber(this._lastTime)}` +
            (this._lastColoring ? ` · ${this._lastColoring}` : '')
          : '';
        text = this.showFrameInfo
          ? `Live · ${this._readout.text(fps)}${render}${step}`
          : `Live${step}`;
        break;
      }
      case 'reconnecting':
        text = wasLive
          ? `Connection lost — reconnecting (${message})`
          : `Cannot reach the engine — retrying (${message})`;
        break;
      case 'stopped':
        text = this._hasFrame
          ? `Stopped · ${message}; this is its last picture`
          : `Stopped · ${message}`;
        break;
      default:
        text = `Error: ${message}`;
    }
    this._status.textContent = text;
    this._status.title = text;
  }

  /** Show a short-lived message in the status line. */
  private _flash(text: string): void {
    this._flashText = text;
    this._flashUntil = Date.now() + 4000;
    this._renderStatus();
  }

  // -- size -------------------------------------------------------------------------------

  /** The render size this viewport wants, in device pixels; `null` while it is not laid out. */
  private _wantedSize(): [number, number] | null {
    const width = this._stage.clientWidth;
    const height = this._stage.clientHeight;
    if (width < 1 || height < 1) {
      return null;
    }
    const scale = window.devicePixelRatio || 1;
    return [Math.round(width * scale), Math.round(height * scale)];
  }

  private _onResize(): void {
    this._claimSize();
  }

  /** Make the engine render this viewport's frames at its own size. */
  private _claimSize(): void {
    const size = this._wantedSize();
    if (size) {
      this.connection.requestSize(size[0], size[1], this._tag);
      this._watchSize(size);
    }
  }

  /** The size of the frames this viewport draws (it asked the engine for), if any yet. */
  get frameSize(): readonly [number, number] | null {
    return this._watched;
  }

  /** Draw frames of `size` only (the old picture stays until the first one arrives). */
  private _watchSize(size: [number, number] | null): void {
    const old = this._watched;
    if (old && size && old[0] === size[0] && old[1] === size[1]) {
      return;
    }
    if (old && this._watchedFrames) {
      this._watchedFrames.decoded.disconnect(this._onDecoded, this);
      this.connection.releaseFrames(old);
    }
    this._watched = size;
    this._watchedFrames = size ? this.connection.framesOf(size) : null;
    this._watchedFrames?.decoded.connect(this._onDecoded, this);
  }

  // -- presence: who watches, who drives ---------------------------------------------------

  private _renderPresence(): void {
    const presence = this.connection.presence;
    const lines = presenceLines(presence);
    const viewers = lines.map(line => line.viewer);
    const labelOf = (viewer: IViewer) => lines.find(line => line.viewer === viewer)?.label ?? '';
    this._presence.replaceChildren(
      ...lines.map(({ viewer: v, label }) => {
        const chip = document.createElement('span');
        chip.className = 'jp-pvw-Viewport-viewer';
        chip.textContent = v.initials || v.username.slice(0, 1).toUpperCase();
        chip.title = `${label}${v.driver ? ' (drives)' : ''}`;
        chip.style.background = v.color || '';
        chip.classList.toggle('jp-mod-driver', v.driver);
        chip.dataset.username = v.username;
        return chip;
      })
    );
    const me = viewers.find(v => v.client === presence?.you);
    const driver = viewers.find(v => v.driver);
    const asking = viewers.find(v => v.wantsControl);
    this.node.dataset.viewers = String(viewers.length);
    this.node.dataset.driving = String(!me || me.driver);
    if (me && !me.driver && driver) {
      this._control.textContent = 'Ask for control';
      this._control.title = `${labelOf(driver)} drives; you watch`;
      this._control.hidden = false;
    } else if (me && me.driver && asking) {
      this._control.textContent = `Hand over to ${labelOf(asking)}`;
      this._control.title = 'Let them drive; you will watch';
      this._control.hidden = false;
    } else {
      this._control.hidden = true;
    }
  }

  private async _onControl(): Promise<void> {
    const presence = this.connection.presence;
    const me = presence?.viewers.find(v => v.client === presence.you);
    const asking = presence?.viewers.find(v => v.wantsControl);
    try {
      if (me?.driver && asking) {
        await this.connection.giveControl(asking.client);
      } else {
        await this.connection.requestControl();
      }
    } catch (reason) {
      this._flash(reason instanceof Error ? reason.message : String(reason));
    }
  }

  // -- pointer, wheel, keys ---------------------------------------------------------------

  /** Where the picture is, in client coordinates: letterboxed when the aspect differs. */
  private _imageRect(): IRect {
    const box = this._canvas.getBoundingClientRect();
    return this._hasFrame ? containRect(box, this._canvas.width, this._canvas.height) : box;
  }

  private _send(action: 'down' | 'move' | 'up', sample: IPointerSample): void {
    this._readout.input(performance.now());
    this.connection.interact({
      method: 'viewport.mouse.interaction',
      event: interactionEvent(action, sample, this._imageRect())
    });
  }

  private _wheel(type: 'StartMouseWheel' | 'MouseWheel' | 'EndMouseWheel', spinY: number): void {
    this._readout.input(performance.now());
    this.connection.interact({ method: 'viewport.mouse.zoom.wheel', event: { type, spinY } });
  }

  private _onPointerDown(event: PointerEvent): void {
    if (event.pointerType === 'mouse' && event.button > 2) {
      return; // back/forward buttons keep their browser meaning
    }
    // Also keeps the notebook from taking the press as a cell selection (no mousedown follows).
    event.preventDefault();
    this.node.focus({ preventScroll: true });
    this._claimSize();
    try {
      // Moves outside the canvas keep turning the camera until the release.
      this._canvas.setPointerCapture(event.pointerId);
    } catch {
      // Not an active pointer (a synthetic event): the drag works while inside the canvas.
    }
    this._pointers.set(event.pointerId, sample(event));

    const touches = Array.from(this._pointers.values());
    if (event.pointerType === 'touch' && touches.length === 2) {
      // A second finger turns the rotation into a pinch.
      if (this._drag) {
        this._send('up', { ...this._drag.last, buttons: 0 });
        this._drag = null;
      }
      this._endWheel();
      this._pinch = { distance: distance(touches[0], touches[1]) };
      this._wheel('StartMouseWheel', 0);
      return;
    }
    if (this._drag || this._pinch || touches.length > 1) {
      return;
    }
    const down = sample(event);
    // A touch is a left press whatever the device reports.
    down.buttons = event.pointerType === 'touch' ? 1 : event.buttons || buttonBit(event.button);
    this._drag = { pointerId: event.pointerId, buttons: down.buttons, last: down };
    this._send('down', down);
  }

  private _onPointerMove(event: PointerEvent): void {
    if (!this._pointers.has(event.pointerId)) {
      return;
    }
    this._pointers.set(event.pointerId, sample(event));
    if (this._pinch) {
      const touches = Array.from(this._pointers.values());
      if (touches.length >= 2) {
        const now = distance(touches[0], touches[1]);
        const spin = pinchSpin(this._pinch.distance, now);
        if (Math.abs(spin) >= PINCH_MIN_SPIN) {
          this._pinch.distance = now;
          this._wheel('MouseWheel', spin);
        }
      }
      return;
    }
    if (this._drag && this._drag.pointerId === event.pointerId) {
      const move = sample(event);
      // Buttons and modifiers of the press decide the gesture until release.
      move.buttons = this._drag.buttons;
      this._drag.last = move;
      this._send('move', move);
    }
  }

  private _onPointerUp(event: PointerEvent): void {
    if (!this._pointers.delete(event.pointerId)) {
      return;
    }
    if (this._pinch) {
      if (this._pointers.size < 2) {
        this._pinch = null;
        this._wheel('EndMouseWheel', 0);
      }
      return;
    }
    if (this._drag && this._drag.pointerId === event.pointerId) {
      this._send('up', { ...sample(event), buttons: 0 });
      this._drag = null;
    }
  }

  private _onWheel(event: WheelEvent): void {
    event.preventDefault();
    const spin = wheelSpin(event.deltaY, event.deltaMode);
    if (spin === 0) {
      return;
    }
    this._claimSize();
    this._zoom(spin);
  }

  /** One wheel step; `EndMouseWheel` follows once the wheel rests. */
  private _zoom(spin: number): void {
    if (this._wheelTimer === null) {
      this._wheel('StartMouseWheel', 0);
    } else {
      clearTimeout(this._wheelTimer);
    }
    this._wheel('MouseWheel', spin);
    this._wheelTimer = setTimeout(() => {
      this._wheelTimer = null;
      this._wheel('EndMouseWheel', 0);
    }, WHEEL_END_DELAY_MS);
  }

  private _endWheel(): void {
    if (this._wheelTimer !== null) {
      clearTimeout(this._wheelTimer);
      this._wheelTimer = null;
      this._wheel('EndMouseWheel', 0);
    }
  }

  private _onKeyDown(event: KeyboardEvent): void {
    if (event.target !== this.node || event.ctrlKey || event.metaKey || event.altKey) {
      return; // the buttons inside keep their keys; modified keys (Ctrl+S...) stay JupyterLab's
    }
    const arrows: Record<string, [number, number]> = {
      ArrowLeft: [-ARROW_STEP, 0],
      ArrowRight: [ARROW_STEP, 0],
      ArrowUp: [0, ARROW_STEP],
      ArrowDown: [0, -ARROW_STEP]
    };
    if (event.key === 'r' || event.key === 'R') {
      void this.resetCamera();
    } else if (event.key in arrows) {
      this._nudge(...arrows[event.key]);
    } else if (event.key === '+' || event.key === '=') {
      this._zoom(-1);
    } else if (event.key === '-' || event.key === '_') {
      this._zoom(1);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  /** Rotate by a short drag from the centre, as if the mouse had moved by (dx, dy). */
  private _nudge(dx: number, dy: number): void {
    if (this._drag || this._pinch) {
      return;
    }
    this._claimSize();
    const base = { view: VIEW_ID, buttonMiddle: false, buttonRight: false };
    const flags = { shiftKey: false, ctrlKey: false, altKey: false, metaKey: false };
    const event = (action: 'down' | 'move' | 'up', x: number, y: number, left: boolean) => ({
      method: 'viewport.mouse.interaction' as const,
      event: { ...base, ...flags, action, x, y, buttonLeft: left }
    });
    this.connection.interact(event('down', 0.5, 0.5, true));
    this.connection.interact(event('move', 0.5 + dx, 0.5 + dy, true));
    this.connection.interact(event('up', 0.5 + dx, 0.5 + dy, false));
  }

  private _lease: IConnectionLease;
  private _readout = new FrameReadout();
  private _stage: HTMLDivElement;
  private _canvas: HTMLCanvasElement;
  private _overlay: HTMLDivElement;
  private _overlayText: HTMLDivElement;
  private _retry: HTMLButtonElement;
  private _status: HTMLSpanElement;
  private _run: RunControls;
  private _height: number | 'fill' = 400;
  private _resizeObserver: ResizeObserver;
  private _presence: HTMLSpanElement;
  private _control: HTMLButtonElement;
  private _watched: [number, number] | null = null;
  private _watchedFrames: FrameDecoder<ImageBitmap> | null = null;
  private readonly _tag = Math.random().toString(36).slice(2, 10);
  private _ticker: ReturnType<typeof setInterval>;
  private _hasFrame = false;
  private _framesDrawn = 0;
  private _lastWorkMs = 0;
  private _lastStep = 0;
  private _statusShownAt = 0;
  private _lastTime = 0;
  private _lastColoring = '';
  private _flashText = '';
  private _flashUntil = 0;
  private _pointers = new Map<number, IPointerSample>();
  private _drag: { pointerId: number; buttons: number; last: IPointerSample } | null = null;
  private _pinch: { distance: number } | null = null;
  private _wheelTimer: ReturnType<typeof setTimeout> | null = null;
}

/** The part of a pointer event the interaction mapping reads, copied (events are reused). */
function sample(event: PointerEvent): IPointerSample {
  return {
    clientX: event.clientX,
    clientY: event.clientY,
    buttons: event.buttons,
    shiftKey: event.shiftKey,
    ctrlKey: event.ctrlKey,
    altKey: event.altKey,
    metaKey: event.metaKey
  };
}

/** The `buttons` bit of a `button` number (0 left → 1, 1 middle → 4, 2 right → 2). */
function buttonBit(button: number): number {
  return button === 1 ? 4 : button === 2 ? 2 : 1;
}

function button(label: string, title: string): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = 'jp-pvw-Viewport-button';
  element.textContent = label;
  element.title = title;
  return element;
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

/** A number for the status line: short, without float noise. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
}

/** "T [0, 1]" for the first coloured item (and how many more). */
function describeColoring(coloring: IFrameColoring[]): string {
  if (coloring.length === 0) {
    return '';
  }
  const c = coloring[0];
  const range =
    c.range.length === 2 ? ` [${formatNumber(c.range[0])}, ${formatNumber(c.range[1])}]` : '';
  const more = coloring.length > 1 ? ` +${coloring.length - 1}` : '';
  return `${c.item}: ${c.array}${range}${more}`;
}
