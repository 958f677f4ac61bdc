/**
 * Browser input → ParaViewWeb interaction events, as pure functions.
 *
 * The engine takes the standard ParaViewWeb payloads (what vtk.js RemoteView sends): pointer
 * positions as fractions of the view with the origin at the BOTTOM-left, the pressed buttons
 * and modifiers, and wheel "spins" where one notch is 1 and a positive spin zooms out.
 */
import { MAX_SPIN, VIEW_ID, ZOOM_BASE } from './wire';

/** Quiet time (ms) after the last wheel event before `EndMouseWheel` asks for a still frame. */
export const WHEEL_END_DELAY_MS = 200;

/** Pixels per wheel notch when the browser reports pixels (`WheelEvent.DOM_DELTA_PIXEL`). */
export const PIXELS_PER_NOTCH = 100;

/** Lines per wheel notch when the browser reports lines (`WheelEvent.DOM_DELTA_LINE`). */
export const LINES_PER_NOTCH = 3;

/** A rectangle in client (CSS pixel) coordinates. */
export interface IRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What the mapping reads from a pointer event; a `PointerEvent` satisfies it. */
export interface IPointerSample {
  clientX: number;
  clientY: number;
  /** Pressed buttons as the `MouseEvent.buttons` bit mask: 1 left, 2 right, 4 middle. */
  buttons: number;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** The action of a `viewport.mouse.interaction` event. */
export type InteractionAction = 'down' | 'move' | 'up';

/** The payload of `viewport.mouse.interaction`. */
export interface IInteractionEvent {
  view: string;
  action: InteractionAction;
  /** Fraction of the image width from its left edge. */
  x: number;
  /** Fraction of the image height from its BOTTOM edge. */
  y: number;
  buttonLeft: boolean;
  buttonMiddle: boolean;
  buttonRight: boolean;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** The `type` of a `viewport.mouse.zoom.wheel` event. */
export type WheelType = 'StartMouseWheel' | 'MouseWheel' | 'EndMouseWheel';

/** The payload of `viewport.mouse.zoom.wheel`. */
export interface IWheelEvent {
  type: WheelType;
  spinY: number;
}

/** One message of the interaction stream sent to the engine. */
export type Interaction =
  | { method: 'viewport.mouse.interaction'; event: IInteractionEvent }
  | { method: 'viewport.mouse.zoom.wheel'; event: IWheelEvent };

/**
 * Where an image of `imageWidth` x `imageHeight` is drawn inside `box` when scaled to fit
 * without distortion (CSS `object-fit: contain`): centred, letterboxed on one axis.
 *
 * @returns the image rectangle; `box` itself when the image size is unknown
 */
export function containRect(box: IRect, imageWidth: number, imageHeight: number): IRect {
  if (!(imageWidth > 0 && imageHeight > 0 && box.width > 0 && box.height > 0)) {
    return { ...box };
  }
  const scale = Math.min(box.width / imageWidth, box.height / imageHeight);
  const width = imageWidth * scale;
  const height = imageHeight * scale;
  return {
    left: box.left + (box.width - width) / 2,
    top: box.top + (box.height - height) / 2,
    width,
    height
  };
}

/**
 * A client position as fractions of `rect`, origin at the bottom-left. Positions outside the
 * rectangle give fractions outside 0..1: a drag that leaves the view keeps turning the camera.
 */
export function normalizedPosition(
  clientX: number,
  clientY: number,
  rect: IRect
): { x: number; y: number } {
  const width = rect.width > 0 ? rect.width : 1;
  const height = rect.height > 0 ? rect.height : 1;
  return {
    x: (clientX - rect.left) / width,
    y: 1 - (clientY - rect.top) / height
  };
}

/**
 * The `viewport.mouse.interaction` event for a pointer sample.
 *
 * @param action - down, move or up
 * @param sample - the pointer event (position, buttons, modifiers)
 * @param rect - where the image is shown, in client coordinates (see `containRect`)
 */
export function interactionEvent(
  action: InteractionAction,
  sample: IPointerSample,
  rect: IRect
): IInteractionEvent {
  const { x, y } = normalizedPosition(sample.clientX, sample.clientY, rect);
  return {
    view: VIEW_ID,
    action,
    x,
    y,
    buttonLeft: (sample.buttons & 1) !== 0,
    buttonMiddle: (sample.buttons & 4) !== 0,
    buttonRight: (sample.buttons & 2) !== 0,
    shiftKey: sample.shiftKey,
    ctrlKey: sample.ctrlKey,
    altKey: sample.altKey,
    metaKey: sample.metaKey
  };
}

/**
 * The spin of a wheel event: one notch is 1, scrolling down (positive delta) zooms out.
 *
 * @param deltaY - `WheelEvent.deltaY`
 * @param deltaMode - `WheelEvent.deltaMode`: 0 pixels, 1 lines, 2 pages (one page = one notch)
 * @returns the spin, clamped to ±`MAX_SPIN`; 0 for a non-finite delta
 */
export function wheelSpin(deltaY: number, deltaMode: number): number {
  if (!Number.isFinite(deltaY)) {
    return 0;
  }
  const notches =
    deltaMode === 1
      ? deltaY / LINES_PER_NOTCH
      : deltaMode === 2
        ? deltaY
        : deltaY / PIXELS_PER_NOTCH;
  return clampSpin(notches);
}

/**
 * The spin that zooms as much as a two-finger pinch moved: fingers going apart zoom in.
 *
 * @param previousDistance - distance between the two touches at the last event
 * @param distance - distance between them now
 * @returns the spin (negative zooms in), clamped to ±`MAX_SPIN`; 0 for degenerate input
 */
export function pinchSpin(previousDistance: number, distance: number): number {
  if (!(previousDistance > 0 && distance > 0) || !Number.isFinite(previousDistance + distance)) {
    return 0;
  }
  // The engine dollies by ZOOM_BASE ** -spin; the picture should scale with the fingers.
  return clampSpin(-Math.log(distance / previousDistance) / Math.log(ZOOM_BASE));
}

/**
 * A spin clamped to ±`MAX_SPIN`.
 */
export function clampSpin(spin: number): number {
  if (!Number.isFinite(spin)) {
    return 0;
  }
  return Math.max(-MAX_SPIN, Math.min(MAX_SPIN, spin));
}

/**
 * Merge two queued interactions when the engine would get the same camera from one:
 * consecutive moves (the newest position wins) and consecutive wheel spins (they add up).
 *
 * @param queued - the message waiting to be sent
 * @param next - the message that arrived after it
 * @returns the single message to send instead of both, or `null` when both must be sent
 */
export function mergeInteractions(queued: Interaction, next: Interaction): Interaction | null {
  if (
    queued.method === 'viewport.mouse.interaction' &&
    next.method === 'viewport.mouse.interaction' &&
    queued.event.action === 'move' &&
    next.event.action === 'move'
  ) {
    return next;
  }
  if (
    queued.method === 'viewport.mouse.zoom.wheel' &&
    next.method === 'viewport.mouse.zoom.wheel' &&
    queued.event.type === 'MouseWheel' &&
    next.event.type === 'MouseWheel'
  ) {
    return {
      method: 'viewport.mouse.zoom.wheel',
      event: { type: 'MouseWheel', spinY: clampSpin(queued.event.spinY + next.event.spinY) }
    };
  }
  return null;
}

/**
 * The distance between two client points.
 */
export function distance(a: { clientX: number; clientY: number }, b: typeof a): number {
  return Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
}
