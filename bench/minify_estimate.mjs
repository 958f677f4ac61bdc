// Rough production size of the labextension's (development-build) JS: each chunk minified
// by esbuild, then gzipped. Prints {raw, min, min_gzip} in bytes.
import { transformSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

let raw = 0;
let min = 0;
let minGzip = 0;
for (const file of process.argv.slice(2)) {
  const code = readFileSync(file, 'utf8');
  raw += Buffer.byteLength(code);
  const out = transformSync(code, { minify: true, loader: 'js', target: 'es2018' }).code;
  min += Buffer.byteLength(out);
  minGzip += gzipSync(out, { level: 9 }).length;
}
process.stdout.write(JSON.stringify({ raw, min, min_gzip: minGzip }) + '\n');
