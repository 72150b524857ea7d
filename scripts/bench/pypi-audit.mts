// The `sigstore attestation audit` benchmark (issue 18): a pylock.toml of N small generated
// distributions, each with PEP 740 provenance signed against the local Sigstore instance (by
// Trusted Publisher identities: 50 GitHub repositories publishing N/50 projects each), served by
// the loopback index of test/pypi/index-server.ts. Times the CLI (bin/sigstore, the built
// package) cold (an empty provenance cache) and warm (the cache of the previous run), and
// reads the audit's own split between fetching and verifying from its --json summary.
//
//   node --import tsx scripts/bench/pypi-audit.mts --work DIR [--count 1000] [--runs 3]
//
// Prints one JSON object on stdout.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startInstance } from '../../src/instance/index.js';
import { Distribution } from '../../src/pypi/distribution.js';
import { serializeProvenance } from '../../src/pypi/provenance.js';
import { signAttestations } from '../../src/pypi/sign.js';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';
import { LoopbackIndex } from '../../test/pypi/index-server.js';

const { values: opt } = parseArgs({ options: { work: { type: 'string' }, count: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' } } });
const ROOT = resolve(import.meta.dirname, '..', '..');
const W = opt.work ?? '/tmp/sigstore-bench-pypi';
const N = Number(opt.count);
const RUNS = Number(opt.runs);
const REPOS = 50;
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const log = (m: string) => process.stderr.write(`[pypi-audit] ${m}\n`);
mkdirSync(W, { recursive: true });

const inst = await startInstance({ dataDir: join(W, 'instance'), port: 0 });
const tc = join(W, 'trust_config.json');
writeFileSync(tc, JSON.stringify(inst.trustConfig));
const index = new LoopbackIndex();
const lock = ['lock-version = "1.0"', 'created-by = "sigstore-ts bench"', ''];
const t0 = performance.now();
const perRepo = Math.ceil(N / REPOS);
for (let r = 0; r < REPOS && r * perRepo < N; r++) {
  const repo = `bench-org/repo-${r}`;
  const identity = `https://github.com/${repo}/.github/workflows/release.yml@refs/tags/v1.0.0`;
  const signer = new Signer({
    trustConfig: parseClientTrustConfig(inst.trustConfig, 'local instance'),
    tokenProvider: () => inst.token({ identity, issuer: GITHUB_ISSUER }),
    rekorVersion: 1,
  });
  const dists: Distribution[] = [];
  const data: Buffer[] = [];
  for (let i = r * perRepo; i < Math.min(N, (r + 1) * perRepo); i++) {
    const name = `bench_pkg_${String(i).padStart(4, '0')}-1.0.0-py3-none-any.whl`;
    const bytes = randomBytes(1024 + (i % 7) * 512);
    data.push(bytes);
    dists.push(Distribution.fromBytes(name, bytes));
  }
  const atts = await signAttestations(signer, dists);
  const publisher = { kind: 'GitHub' as const, repository: repo, workflow: 'release.yml', environment: null };
  for (const [k, d] of dists.entries()) {
    index.add({ filename: d.name, data: data[k]!, provenance: Buffer.from(serializeProvenance({ version: 1, attestationBundles: [{ publisher, attestations: [atts[k]!] }] })) });
    lock.push('[[packages]]', `name = "${d.filename.project}"`, 'version = "1.0.0"', `wheels = [{ name = "${d.name}", hashes = { sha256 = "${d.digest}" } }]`, '');
  }
}
log(`signed ${N} distributions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await index.start();
const pylock = join(W, 'pylock.toml');
writeFileSync(pylock, lock.join('\n'));

interface Run {
  ms: number;
  /** CPU seconds of the audit process (all its threads), from GNU time when available. */
  cpuS?: number;
  /** CPU seconds of this process (the loopback index) during the audit. */
  indexCpuS?: number;
  load?: string;
  requests: number;
  cached: number;
  verified: number;
  fetchMs: number;
  verifyMs: number;
}
/** Runs the audit as a child process while this process serves the index (so not spawnSync). */
async function audit(cache: string): Promise<Run> {
  const time = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'CPU %U %S'] : [];
  const args = [...time.slice(1), process.execPath, join(ROOT, 'bin/sigstore'), '--trust-config', tc, 'attestation', 'audit', '--index-url', index.url, '--cache-dir', cache, '--json', pylock];
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  let stderr = '';
  const out = await new Promise<string>((res, rej) => {
    const c = spawn(time[0] ?? args.shift()!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let so = '';
    let se = '';
    c.stdout.on('data', (b: Buffer) => {
      so += b;
    });
    c.stderr.on('data', (b: Buffer) => {
      se += b;
    });
    c.on('exit', (code) => {
      stderr = se;
      if (code === 0) res(so);
      else rej(new Error(`audit exited ${code}: ${se.slice(-2000)}`));
    });
  });
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  // --json prints JSON Lines: one `audit` line per distribution, then the `auditSummary` line.
  const last = out.trimEnd().split('\n').at(-1) ?? '';
  const summaryLine = JSON.parse(last) as { type: string; summary: Run & { timings: { fetchMs: number; verifyMs: number } } };
  if (summaryLine.type !== 'auditSummary') throw new Error(`the audit's last --json line is ${summaryLine.type}, not auditSummary`);
  const s = summaryLine.summary;
  return {
    ms,
    ...(m ? { cpuS: Number(m[1]) + Number(m[2]) } : {}),
    indexCpuS: (cpu.user + cpu.system) / 1e6,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    requests: s.requests,
    cached: s.cached,
    verified: s.verified,
    fetchMs: s.timings.fetchMs,
    verifyMs: s.timings.verifyMs,
  };
}

const cold: Run[] = [];
const warm: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  const cache = join(W, `cache-${i}`);
  rmSync(cache, { recursive: true, force: true });
  const before = index.requests;
  const c = await audit(cache);
  c.requests = index.requests - before;
  cold.push(c);
  const before2 = index.requests;
  const w = await audit(cache);
  w.requests = index.requests - before2;
  warm.push(w);
  log(`run ${i + 1} (load ${c.load}): cold ${c.ms.toFixed(0)} ms, CPU ${c.cpuS?.toFixed(2)} s + index ${c.indexCpuS?.toFixed(2)} s (fetch ${c.fetchMs.toFixed(0)}, verify ${c.verifyMs.toFixed(0)}, ${c.requests} requests), warm ${w.ms.toFixed(0)} ms, CPU ${w.cpuS?.toFixed(2)} s (verify ${w.verifyMs.toFixed(0)}, ${w.requests} requests)`);
}
await index.stop();
await inst.stop();
process.stdout.write(`${JSON.stringify({ count: N, repos: REPOS, cold, warm })}\n`);
