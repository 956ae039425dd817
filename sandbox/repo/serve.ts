/**
 * A static file server for the sandbox's Helm chart repository: `serve.ts <dir> <port>`, on
 * 127.0.0.1 only. Started detached by `sandbox up` and stopped by `sandbox down`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const [dir, portText] = process.argv.slice(2);
if (!dir || !portText) {
  process.stderr.write('usage: serve.ts <dir> <port>\n');
  process.exit(2);
}
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
  const file = join(dir, path === '/' ? 'index.yaml' : path);
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
  if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile())
    return void res.writeHead(404).end('not found\n');
  res.writeHead(200, {
    'content-type': file.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip',
    'content-length': statSync(file).size,
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
});
server.listen(Number(portText), '127.0.0.1', () =>
  process.stdout.write(`serving ${dir} on http://127.0.0.1:${portText}/\n`),
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => server.close(() => process.exit(0)));
