// A small static server for the demo and the browser tests: serves the repository root on
// 127.0.0.1 with the MIME types wasm and ES modules need and the headers that make pages
// cross-origin isolated (threads), and prints the demo URL.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.csv': 'text/csv', '.txt': 'text/plain',
};

export function startServer(port = 0) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) throw new Error('outside root');
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      // Cross-origin isolated (COOP + COEP): pages may share memory with workers, so the library
      // trains on several threads.
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream',
                           'cache-control': 'no-store', 'cross-origin-opener-policy': 'same-origin',
                           'cross-origin-embedder-policy': 'require-corp' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startServer(Number(process.argv[2] ?? 8080));
  console.log(`attention-wasm demo: http://127.0.0.1:${server.address().port}/web/`);
}
