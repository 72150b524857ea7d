/**
 * Signing throughput against the local instance: one file (a fresh signer, so a certificate
 * too) versus 100 files with one signer (one certificate, concurrent log and TSA requests).
 * Not a test (timings depend on the machine); run it by hand:
 *
 *   node --import tsx test/sign/bench.mts                 # instance in this process
 *   node --import tsx test/sign/bench.mts --separate      # instance in a child process
 *   node --import tsx test/sign/bench.mts --separate --latency 200   # + 200 ms per request
 *
 * With --separate the client's CPU time is reported on its own.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';

const { values } = parseArgs({ options: { separate: { type: 'boolean' }, latency: { type: 'string' }, child: { type: 'string' }, runs: { type: 'string' } } });
const latency = Number(values.latency ?? 0);

if (values.child) {
  // Child mode: start the instance (and a latency proxy), publish its trust config and a token.
  const { startInstance } = await import('../../src/instance/index.js');
  const { startFaultProxy } = await import('./proxy.js');
  const dir = mkdtempSync(join(tmpdir(), 'bench-instance-'));
  const inst = await startInstance({ dataDir: dir, port: 0 });
  const proxy = latency > 0 ? await startFaultProxy(inst.url, { latencyMs: latency }) : undefined;
  const tc = inst.trustConfig as { signingConfig: Record<string, { url: string }[]> };
  if (proxy) for (const k of ['caUrls', 'rekorTlogUrls', 'tsaUrls']) for (const s of tc.signingConfig[k]!) s.url = s.url.replace(inst.url, proxy.url);
  writeFileSync(values.child, JSON.stringify({ trustConfig: tc, token: await inst.token({ ttl: 3600 }) }));
  process.on('SIGTERM', async () => {
    await proxy?.close();
    await inst.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  setInterval(() => {}, 60_000);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sign-'));
  let stop: () => Promise<void>;
  let trustConfig: unknown;
  let token: () => Promise<string>;
  if (values.separate) {
    const info = join(dir, 'info.json');
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', info, '--latency', String(latency)], { stdio: 'inherit' });
    while (!existsSync(info)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 50));
    const j = JSON.parse(readFileSync(info, 'utf8')) as { trustConfig: unknown; token: string };
    trustConfig = j.trustConfig;
    token = async () => j.token;
    stop = async () => {
      child.kill('SIGTERM');
    };
  } else {
    const { startTestInstance, viaProxy } = await import('./helpers.js');
    const { startFaultProxy } = await import('./proxy.js');
    const t = await startTestInstance();
    const proxy = latency > 0 ? await startFaultProxy(t.inst.url, { latencyMs: latency }) : undefined;
    trustConfig = proxy ? JSON.parse(readFileSync(viaProxy(t, proxy.url).path, 'utf8')) : t.inst.trustConfig;
    token = () => t.inst.token();
    stop = async () => {
      await proxy?.close();
      await t.stop();
    };
  }
  const tc = parseClientTrustConfig(trustConfig as Record<string, unknown>);
  const files = Array.from({ length: 100 }, (_, i) => {
    const f = join(dir, `file-${i}.txt`);
    writeFileSync(f, `file ${i}\n`.repeat(1000));
    return f;
  });
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const runs = Number(values.runs ?? 3);
  const where = values.separate ? 'instance in a child process' : 'instance in this process';
  try {
    const mk = (v: 1 | 2) => new Signer({ trustConfig: tc, tokenProvider: token, rekorVersion: v });
    await mk(1).sign(files[0]!); // warm-up
    for (const v of [1, 2] as const) {
      const one: number[] = [];
      const many: number[] = [];
      const cpuOne: number[] = [];
      const cpuMany: number[] = [];
      for (let r = 0; r < runs; r++) {
        let c = process.cpuUsage();
        let t0 = performance.now();
        await mk(v).sign(files[r]!);
        one.push(performance.now() - t0);
        let u = process.cpuUsage(c);
        cpuOne.push((u.user + u.system) / 1000);
        c = process.cpuUsage();
        t0 = performance.now();
        await mk(v).signMany(files);
        many.push(performance.now() - t0);
        u = process.cpuUsage(c);
        cpuMany.push((u.user + u.system) / 1000);
      }
      const ratio = median(many) / median(one);
      console.log(
        `${where}${latency ? `, +${latency} ms per request` : ''}, Rekor v${v} + TSA: 1 file ${median(one).toFixed(0)} ms (cpu ${median(cpuOne).toFixed(0)} ms), ` +
          `100 files ${median(many).toFixed(0)} ms (cpu ${median(cpuMany).toFixed(0)} ms): ${ratio.toFixed(1)}x`,
      );
    }
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
