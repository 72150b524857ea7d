#!/usr/bin/env node
// Hostile service answers for scripts/hostile-inputs.mjs: a local HTTP server streams each
// answer (nested JSON, duplicate keys, 100 MB bodies, an error status with a nested body) and a
// separate client process reads it with the project's HTTP client (src/lib/http.ts, bundled
// with esbuild), as Fulcio, Rekor and TSA answers are read. Prints one JSON row per answer:
// { label, ms, rssMb, exit, why }.
//
//   node scripts/hostile-answers.mjs SIZE            (driver)
//   node scripts/hostile-answers.mjs --client URL    (one read; used by the driver)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[2] === '--client') {
  const { request, expectOk } = await import(pathToFileURL(process.argv[4]).href);
  const t0 = performance.now();
  let why = 'accepted';
  let exit = 0;
  try {
    const res = await request({ url: process.argv[3], service: 'Rekor', attempts: 1, timeoutMs: 20_000 });
    expectOk(res, 'Rekor', 'the entry');
    res.json();
  } catch (e) {
    why = `${e.code ?? e.constructor.name}: ${e.message}`;
    exit = 1;
  }
  const ms = Math.round(performance.now() - t0);
  console.log(JSON.stringify({ ms, rssMb: Math.round(process.resourceUsage().maxRSS / 1024), exit, why: why.slice(0, 90) }));
  process.exit(0);
}

const SIZE = Number(process.argv[2] ?? 16 * 1024 * 1024);
const MAX = 16 * 1024 * 1024 - 64; // just under the client's 16 MiB limit
const size = Math.min(SIZE, MAX) - 256 * 1024; // chunks of 64 KiB may overshoot
const answers = {
  'service answer: nested 16 MiB': { status: 200, unit: '[', total: size },
  'service answer: duplicate keys': { status: 200, head: '{', unit: '"a":1,', total: size, tail: '"a":1}' },
  'service answer: 100 MB body': { status: 200, unit: ' ', total: 100 * 1000 * 1000 },
  'service answer: nested error body': { status: 500, unit: '{"message":', total: size },
};

const tmp = mkdtempSync(join(tmpdir(), 'sigstore-answers-'));
const bundled = join(tmp, 'http.mjs');
const { build } = await import('esbuild');
await build({ entryPoints: [join(root, 'src/lib/http.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundled, logLevel: 'error' });

const server = createServer((req, res) => {
  const a = Object.values(answers)[Number(req.url.slice(1))];
  res.writeHead(a.status, { 'content-type': 'application/json' });
  const chunk = Buffer.from(a.unit.repeat(Math.ceil(65536 / a.unit.length)));
  let sent = 0;
  if (a.head) res.write(a.head);
  const pump = () => {
    while (sent < a.total) {
      sent += chunk.length;
      if (!res.write(chunk)) return res.once('drain', pump);
    }
    res.end(a.tail ?? '');
  };
  res.on('close', () => {
    sent = Number.POSITIVE_INFINITY;
  });
  pump();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();

const labels = Object.keys(answers);
for (let i = 0; i < labels.length; i++) {
  const out = await new Promise((resolve) => {
    const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--client', `http://127.0.0.1:${port}/${i}`, bundled], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d) => {
      text += d;
    });
    c.on('close', () => resolve(text));
  });
  const row = JSON.parse(out.trim() || '{"ms":-1,"rssMb":-1,"exit":-1,"why":"client crashed"}');
  console.log(JSON.stringify({ label: labels[i], ...row }));
}
server.close();
rmSync(tmp, { recursive: true, force: true });
