/**
 * The TypeScript codec against real Python wslink, both ways: it decodes the frames Python
 * wslink made (`test/golden/`, from `python/tests/golden_wire.py`), and Python wslink's own
 * unchunker and msgpack decode the hello it encodes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { asFrame } from '../src/frames';
import { helloMessage } from '../src/transport';
import { CHUNK_HEADER_BYTES, encodeMessage, IMAGE_TOPIC, Reassembler } from '../src/wire';

const GOLDEN = path.join(__dirname, 'golden');
const REPO = path.join(__dirname, '..');
const PYTHON = path.join(process.env.PVW_VENV ?? path.join(REPO, '.venv'), 'bin', 'python');

interface ICase {
  frames: string[];
  message: unknown;
}

const manifest: Record<string, ICase> = JSON.parse(
  fs.readFileSync(path.join(GOLDEN, 'manifest.json'), 'utf-8')
);

/** The manifest's `{"$bytes": base64}` back to bytes, as msgpack decodes `bin`. */
function revive(value: any): unknown {
  if (Array.isArray(value)) {
    return value.map(revive);
  }
  if (value && typeof value === 'object') {
    if (typeof value.$bytes === 'string') {
      return new Uint8Array(Buffer.from(value.$bytes, 'base64'));
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

function decode(files: string[]): unknown[] {
  const reassembler = new Reassembler();
  const messages: unknown[] = [];
  for (const file of files) {
    const message = reassembler.feed(new Uint8Array(fs.readFileSync(path.join(GOLDEN, file))));
    if (message !== undefined) {
      messages.push(message);
    }
  }
  expect(reassembler.pendingCount).toBe(0);
  return messages;
}

describe('frames made by Python wslink', () => {
  it('covers the hello, a result, an error, a publish and a chunked message', () => {
    expect(Object.keys(manifest).sort()).toEqual(
      ['error', 'hello', 'hello-reply', 'publish-chunked', 'publish-image', 'result'].sort()
    );
    expect(manifest['publish-chunked'].frames.length).toBeGreaterThan(3);
  });

  it.each(Object.keys(manifest))('decodes %s to the message Python sent', name => {
    const messages = decode(manifest[name].frames);
    expect(messages).toEqual([revive(manifest[name].message)]);
  });

  it('reads a published image as a frame with its JPEG bytes intact', () => {
    for (const name of ['publish-image', 'publish-chunked']) {
      const [message] = decode(manifest[name].frames) as { id: string; result: unknown }[];
      expect(message.id.startsWith(`publish:${IMAGE_TOPIC}:`)).toBe(true);
      const frame = asFrame(message.result);
      expect(frame).not.toBeNull();
      expect(Array.from(frame!.image.subarray(0, 2))).toEqual([0xff, 0xd8]);
      expect(Array.from(frame!.image.subarray(-2))).toEqual([0xff, 0xd9]);
      expect(frame!.image.byteLength).toBe(4 + 256 * 3 + 2);
    }
  });

  it('reassembles the chunked message whatever order its frames come in', () => {
    const files = [...manifest['publish-chunked'].frames].reverse();
    expect(decode(files)).toEqual([revive(manifest['publish-chunked'].message)]);
  });
});

describe('the hello encoded here', () => {
  it('is decoded by Python wslink (its unchunker, with its pre-hello size limit)', () => {
    const [frame, ...more] = encodeMessage(helloMessage('s3cret'), 0);
    expect(more).toHaveLength(0);
    expect(frame.byteLength).toBeGreaterThan(CHUNK_HEADER_BYTES);
    const script = [
      'import json, sys',
      'from wslink.chunking import UnChunker',
      'message = UnChunker().process_chunk(sys.stdin.buffer.read())',
      'print(json.dumps(message))'
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script], { input: Buffer.from(frame), timeout: 60_000 });
    expect({ status: run.status, stderr: String(run.stderr) }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(String(run.stdout))).toEqual({
      wslink: '1.0',
      id: 'system:c0:0',
      method: 'wslink.hello',
      args: [{ secret: 's3cret' }],
      kwargs: {}
    });
  });
});
