/**
 * The wslink 2 wire, for the browser: the constants of `python/jupyterlab_pvw/wire.json` (the
 * single source; `test/wire.spec.ts` checks every one against it) and the framing codec.
 *
 * Every frame is binary: a 12-byte header (three little-endian uint32: message id, offset of
 * this chunk, total message size) followed by that slice of one msgpack-encoded message.
 * Messages are `{wslink: "1.0", id, method, args, kwargs}` requests and `{wslink, id, result |
 * error}` replies; ids are `system:c0:0` for the hello, `rpc:<clientID>:<n>` for calls and
 * `publish:<topic>:<n>` for what the server publishes. `test/golden/` holds frames made by
 * Python wslink that this codec must read.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

/** The topic the engine publishes frames on. */
export const IMAGE_TOPIC = 'viewport.image.push.subscription';

/** The topic the engine publishes the pipeline's description on after every change. */
export const PIPELINE_TOPIC = 'pvw.pipeline';

/** The topic the engine publishes the run's state on (paused, shown step, kept steps). */
export const RUN_TOPIC = 'pvw.run';

/** The view id the engine serves (it has one view per session). */
export const VIEW_ID = '1';

/** Bytes of the chunk header. */
export const CHUNK_HEADER_BYTES = 12;

/** The largest message wslink accepts before the hello (it drops larger ones silently). */
export const HELLO_LIMIT_BYTES = 512;

/** The smallest and largest view the engine renders, in pixels per side. */
export const MIN_VIEW_SIZE = 16;
export const MAX_VIEW_SIZE = 4096;

/** The size the engine renders at until a viewer asks for another. */
export const DEFAULT_VIEW_SIZE: readonly [number, number] = [600, 600];

/** The engine's zoom per spin: a spin of `s` dollies the camera by `ZOOM_BASE ** -s`. */
export const ZOOM_BASE = 1.1;

/** A right-drag over the whole view height zooms like `ZOOM_MOTION` wheel spins. */
export const ZOOM_MOTION = 20;

/** The largest spin one wheel event may carry; the engine clamps to the same bound. */
export const MAX_SPIN = 10;

/**
 * The characters allowed in a dataset name: letters, digits, `_`, `-` and `.`, starting with a
 * letter or `_` (a leading `-` would be read as an option by the magic's parser).
 */
export const DATASET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The longest dataset name accepted. */
export const DATASET_NAME_MAX_LENGTH = 128;

/** JPEG quality of the still frame and of the frames sent while the camera moves. */
export const STILL_QUALITY = 90;
export const INTERACTIVE_QUALITY = 50;

/** The JPEG qualities the engine accepts. */
export const QUALITY_MIN = 1;
export const QUALITY_MAX = 100;

/** Frames per second the engine pushes at most while a viewer interacts, and its bounds. */
export const MAX_FPS = 60;
export const MAX_FPS_MIN = 1;
export const MAX_FPS_MAX = 240;

/** The topic the engine publishes who watches and who drives on. */
export const PRESENCE_TOPIC = 'pvw.presence';

/**
 * The RPC by which the Jupyter proxy tells the engine who a browser is; the proxy drops any
 * a browser sends itself.
 */
export const IDENTIFY_METHOD = 'pvw.identify';

/** A driver idle this long (seconds) hands control to the next viewer who asked. */
export const DRIVER_IDLE_SECONDS = 120;

/**
 * The engine's render defaults: the fraction of the time it may render while the simulation
 * steps, the frame rate reduced drag frames aim for, whether drags use ParaView's LOD, the
 * geometry size (MB) above which it does and how finely it decimates (LODResolution, 0..1).
 */
export const RENDER_BUDGET = 0.15;
export const TARGET_FPS = 60;
export const INTERACTIVE_LOD = true;
export const LOD_THRESHOLD_MB = 20;
export const LOD_RESOLUTION = 0.25;

/**
 * Encode one message as the binary frames to send.
 *
 * @param message - the message object
 * @param messageId - the id written into each chunk header
 * @param maxFrame - the largest frame the server accepts (header included); 0 for no limit
 */
export function encodeMessage(message: unknown, messageId: number, maxFrame = 0): Uint8Array[] {
  const body = new Encoder().encode(message);
  const room = maxFrame > 0 ? Math.max(maxFrame - CHUNK_HEADER_BYTES, 1) : body.byteLength;
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < body.byteLength || frames.length === 0; offset += room) {
    const slice = body.subarray(offset, Math.min(offset + room, body.byteLength));
    const frame = new Uint8Array(CHUNK_HEADER_BYTES + slice.byteLength);
    const header = new DataView(frame.buffer);
    header.setUint32(0, messageId >>> 0, true);
    header.setUint32(4, offset, true);
    header.setUint32(8, body.byteLength, true);
    frame.set(slice, CHUNK_HEADER_BYTES);
    frames.push(frame);
  }
  return frames;
}

/**
 * Joins the chunks of each message back together and decodes whole messages.
 */
export class Reassembler {
  /**
   * Take one received frame.
   *
   * @returns the decoded message once its last chunk has arrived, otherwise `undefined`
   * @throws Error on a frame shorter than its header or a chunk outside its message
   */
  feed(frame: ArrayBuffer | Uint8Array): unknown {
    const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
    if (bytes.byteLength < CHUNK_HEADER_BYTES) {
      throw new Error(`a wslink frame of ${bytes.byteLength} bytes has no complete header`);
    }
    const header = new DataView(bytes.buffer, bytes.byteOffset, CHUNK_HEADER_BYTES);
    const id = header.getUint32(0, true);
    const offset = header.getUint32(4, true);
    const total = header.getUint32(8, true);
    const chunk = bytes.subarray(CHUNK_HEADER_BYTES);
    if (offset === 0 && chunk.byteLength === total) {
      return this._decoder.decode(chunk);
    }
    if (offset + chunk.byteLength > total) {
      this._pending.delete(id);
      throw new Error(`a chunk of wslink message ${id} ends past its declared size ${total}`);
    }
    let pending = this._pending.get(id);
    if (!pending || pending.buffer.byteLength !== total) {
      pending = { buffer: new Uint8Array(total), received: 0 };
      this._pending.set(id, pending);
    }
    pending.buffer.set(chunk, offset);
    pending.received += chunk.byteLength;
    if (pending.received < total) {
      return undefined;
    }
    this._pending.delete(id);
    return this._decoder.decode(pending.buffer);
  }

  /** Messages partly received. */
  get pendingCount(): number {
    return this._pending.size;
  }

  private _decoder = new Decoder();
  private _pending = new Map<number, { buffer: Uint8Array; received: number }>();
}
