/**
 * A small static HTTP server: the "other origin" a page is served from in the browser tests.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8'
};

/**
 * Serve the files of `dirs` by name (the first directory holding it wins, as Jupyter's
 * `extra_static_paths` do) on loopback `port`; resolves once listening.
 */
export async function serveFiles(port: number, dirs: string[]): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const name = path.basename(new URL(request.url ?? '/', 'http://x').pathname);
    const file = dirs.map(dir => path.join(dir, name)).find(f => fs.existsSync(f));
    if (!file || !(path.extname(file) in TYPES)) {
      response.writeHead(404).end(`no ${name} in ${dirs.join(', ')}`);
      return;
    }
    response.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}
