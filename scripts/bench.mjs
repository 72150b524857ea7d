#!/usr/bin/env node
// npm run bench: sigstore-ts against sigstore-js, side by side, on the same inputs, alternating
// runs, for each performance target of issue 7. Prints, per target, the median, min and max of
// each side and the ratio (of medians, measured in the same run). Not a test: no thresholds
// fail it; it reports which targets are met.
//
//   node scripts/bench.mjs [--runs N] [--large-size BYTES] [--skip-large] [--only 1,2,...,pypi] [--json FILE] [--no-build]
//
// Inputs: the conformance bundles (test/fixtures/conformance, public-good production root);
// 100 files signed in one `sigstore sign` against the local Sigstore instance (started here with
// `sigstore instance serve`); a sparse file of --large-size bytes (default 4 GiB).
// Wall times are noisy on a shared machine: each run also records CPU time (perf stat when
// available) and peak RSS (GNU time).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { alternateRounds, jsVerifier, loadCase, tsVerifier } from './bench/inproc.mjs';
import { alternate, CPU_SOURCE, pairedDiff, pairedRatio, stats, timeCmd } from './bench/lib.mjs';
import { summarize } from './bench/profile.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'large-size': { type: 'string', default: String(4 * 1024 ** 3) },
    'large-runs': { type: 'string', default: '3' },
    'skip-large': { type: 'boolean' },
    json: { type: 'string' },
    'no-build': { type: 'boolean' },
    only: { type: 'string' },
  },
});
/** `--only 1,4`: run just these targets (the 100 signed files are made whatever is chosen). */
const ONLY = opt.only ? new Set(opt.only.split(',').map((t) => t.trim())) : undefined;
const want = (t) => !ONLY || ONLY.has(String(t));
const ROOT = resolve(import.meta.dirname, '..');
process.chdir(ROOT);
const RUNS = Number(opt.runs);
const NODE = process.execPath;
const BIN = join(ROOT, 'bin/sigstore');
const JS_VERIFY = join(ROOT, 'scripts/bench/sigstore-js-verify.cjs');
const CONF = join(ROOT, 'test/fixtures/conformance');
const PROD_ROOT = join(ROOT, 'trust/production/trusted_root.json');
const CONF_ID = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const GH_ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'bench@example.com';
const started = Date.now();
const report = { machine: {}, targets: [] };

const log = (m) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${m}\n`);
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const row = (name, s, unit = 'ms') => `  ${name.padEnd(44)} median ${f1(s.median).padStart(7)} ${unit}  min ${f1(s.min).padStart(7)}  max ${f1(s.max).padStart(7)}  (n=${s.n})`;

/** One target's section of the report. */
function target(id, title, lines, verdict) {
  const text = [`\n== Target ${id}: ${title}`, ...lines, `  => ${verdict}`].join('\n');
  process.stdout.write(`${text}\n`);
  report.targets.push({ id, title, lines, verdict });
}

// ---- machine and build ----
report.machine = {
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1),
  node: process.version,
  openssl: process.versions.openssl,
  load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  cpuTime: CPU_SOURCE,
  date: new Date().toISOString(),
};
process.stdout.write(`machine: ${JSON.stringify(report.machine)}\n`);
if (!opt['no-build']) {
  log('building dist/');
  spawnSync(NODE, ['scripts/build.mjs', '--no-types'], { stdio: 'inherit' });
}

const W = mkdtempSync(join(tmpdir(), 'sigstore-bench-'));
let instance;
process.on('exit', () => {
  instance?.kill('SIGTERM');
  rmSync(W, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---- the local instance and the signed inputs ----
log('starting the local Sigstore instance');
instance = spawn(NODE, [BIN, 'instance', 'serve', '--data-dir', join(W, 'instance'), '--port', '0', '--identity', IDENTITY], { stdio: ['ignore', 'ignore', 'inherit'] });
const TC = join(W, 'instance/trust_config.json');
for (let i = 0; i < 600 && !existsSync(TC); i++) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 200));
if (!existsSync(TC)) throw new Error('the local instance did not start');
const tc = JSON.parse(readFileSync(TC, 'utf8'));
const ISSUER = tc.signingConfig.oidcUrls[0].url;
const INST_ROOT = join(W, 'instance_root.json');
writeFileSync(INST_ROOT, JSON.stringify(tc.trustedRoot));
const tokenRun = spawnSync(NODE, [BIN, 'instance', 'token', '--data-dir', join(W, 'instance'), '--ttl', '3600']);
const TOKEN = tokenRun.stdout.toString().trim();
if (!TOKEN) throw new Error(`no token: ${tokenRun.stderr}`);

const files = join(W, 'files');
mkdirSync(files);
const many = Array.from({ length: 100 }, (_, i) => {
  const p = join(files, `file-${String(i).padStart(3, '0')}.txt`);
  writeFileSync(p, `bench artifact ${i}\n${'x'.repeat(1024)}\n`);
  return p;
});
const one = join(files, 'one.txt');
writeFileSync(one, `bench artifact one\n${'y'.repeat(1024)}\n`);
const sign = (paths) => [NODE, BIN, '--trust-config', TC, 'sign', '--identity-token', TOKEN, '--overwrite', ...paths];

// ---- target 4: signing 100 files vs 1 ----
if (!want(4)) spawnSync(NODE, sign(many).slice(1), { stdio: 'ignore' });
else {
  log('target 4: sign 1 file vs 100 files');
  // At least 31 rounds: the verdict is a median of per-round ratios (see pairedRatio).
  const r = alternate({ one: sign([one]), hundred: sign(many) }, Math.max(31, RUNS), 1);
  const s1 = stats(r.one.ms);
  const s100 = stats(r.hundred.ms);
  const paired = pairedRatio(r.hundred.ms, r.one.ms);
  const ratio = paired.median;
  target(
    4,
    'sign 100 files in one invocation vs 1 file (local instance)',
    [
      row('sigstore-ts sign, 1 file', s1),
      row('sigstore-ts sign, 100 files', s100),
      row('  CPU, 1 file', stats(r.one.cpu)),
      row('  CPU, 100 files', stats(r.hundred.cpu)),
      `  ratio 100 files / 1 file, median of the ${paired.n} rounds' ratios: ${ratio.toFixed(2)}x (min ${paired.min.toFixed(2)}, max ${paired.max.toFixed(2)}; target <= 3x); ratio of the wall medians: ${(s100.median / s1.median).toFixed(2)}x`,
    ],
    ratio <= 3 ? 'MET' : 'NOT MET',
  );
}
for (const p of many) if (!existsSync(`${p}.sigstore.json`)) throw new Error(`missing bundle for ${p}`);

// ---- target 1: one-shot CLI ----
if (want(1)) {
  log('target 1: one-shot CLI verification');
  const bundle = join(CONF, 'happy-path-v0.3/bundle.sigstore.json');
  const art = join(CONF, 'a.txt');
  const ts = [NODE, BIN, 'verify', 'identity', '--bundle', bundle, '--cert-identity', CONF_ID, '--cert-oidc-issuer', GH_ISSUER, '--trusted-root', PROD_ROOT, '-q', art];
  const js = [NODE, JS_VERIFY, bundle, art, PROD_ROOT, CONF_ID, GH_ISSUER];
  // This machine sets NODE_EXTRA_CA_CERTS (the system's 140 CA certificates), which Node 20
  // parses at start-up in every process, before any script runs (~80 ms CPU here). Offline
  // verification makes no TLS connection, so the same runs are also made without it.
  const clean = { ...process.env };
  delete clean.NODE_EXTRA_CA_CERTS;
  const r = alternate(
    {
      node0: [NODE, '-e', '0'],
      ts,
      js,
      jsLoad: [NODE, '-e', "require('sigstore')"],
      node0c: { cmd: [NODE, '-e', '0'], env: clean },
      tsc: { cmd: ts, env: clean },
      jsc: { cmd: js, env: clean },
    },
    // At least 31 rounds: the 15 ms verdict is a median of per-round differences (see pairedDiff).
    Math.max(31, RUNS),
    2,
  );
  const [n0c, tc, jc] = ['node0c', 'tsc', 'jsc'].map((k) => stats(r[k].ms));
  const pairedOver = pairedDiff(r.ts.ms, r.node0.ms);
  const pairedOverClean = pairedDiff(r.tsc.ms, r.node0c.ms);
  const [n0, t, j, jl] = ['node0', 'ts', 'js', 'jsLoad'].map((k) => stats(r[k].ms));
  const [cn0, ct, cj] = ['node0', 'ts', 'js'].map((k) => stats(r[k].cpu));
  const ratio = t.median / j.median;
  const over = t.median - n0.median;
  const cpuRatio = ct.median / cj.median;
  const cpuOver = ct.median - cn0.median;
  target(
    1,
    'one-shot CLI verification of one bundle (offline, cold process)',
    [
      row('node -e 0', n0),
      row('sigstore-ts: bin/sigstore verify identity', t),
      row('sigstore-js: @sigstore/verify script', j),
      row("sigstore-js: require('sigstore') alone", jl),
      row('  CPU node -e 0', cn0),
      row('  CPU sigstore-ts', ct),
      row('  CPU sigstore-js', cj),
      `  ratio sigstore-ts / sigstore-js (wall medians): ${ratio.toFixed(2)}x (target <= 0.4x); CPU: ${cpuRatio.toFixed(2)}x`,
      `  floor: node -e 0 / sigstore-js (wall medians): ${(n0.median / j.median).toFixed(2)}x, the lowest ratio any program started by node can reach here`,
      `  sigstore-ts minus node -e 0, median of the ${pairedOver.n} rounds' differences: ${pairedOver.median.toFixed(1)} ms (issues 15 and 21: <= 15 ms ${pairedOver.median <= 15 ? 'MET' : 'NOT MET'}); of the wall medians: ${over.toFixed(1)} ms (target <= 40 ms); CPU medians: ${cpuOver.toFixed(1)} ms`,
      `  without NODE_EXTRA_CA_CERTS (set on this machine: ${process.env.NODE_EXTRA_CA_CERTS ? 'yes' : 'no'}):`,
      row('  node -e 0', n0c),
      row('  sigstore-ts', tc),
      row('  sigstore-js', jc),
      `    ratio ${(tc.median / jc.median).toFixed(2)}x (target <= 0.4x; floor node -e 0 / sigstore-js ${(n0c.median / jc.median).toFixed(2)}x), sigstore-ts minus node -e 0: ${pairedOverClean.median.toFixed(1)} ms paired, ${(tc.median - n0c.median).toFixed(1)} ms of the medians (target <= 40 ms)`,
    ],
    `${ratio <= 0.4 ? 'MET' : 'NOT MET'} (ratio; ${tc.median / jc.median <= 0.4 ? 'MET' : 'NOT MET'} without NODE_EXTRA_CA_CERTS), ${over <= 40 ? 'MET' : 'NOT MET'} (overhead over node -e 0; ${tc.median - n0c.median <= 40 ? 'MET' : 'NOT MET'} without), ${pairedOver.median <= 15 ? 'MET' : 'NOT MET'} (within 15 ms of node -e 0; ${pairedOverClean.median <= 15 ? 'MET' : 'NOT MET'} without)`,
  );
  // Where the time goes: one profiled run.
  const profDir = join(W, 'prof');
  spawnSync(NODE, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '100', ...ts.slice(1)], { stdio: 'ignore' });
  const s = summarize(profDir, 12);
  const lines = [`profile of one sigstore-ts one-shot run (V8 sampling, 100 us; total ${s.totalMs.toFixed(1)} ms sampled):`];
  for (const e of s.byFile) lines.push(`    ${f1(e.ms).padStart(7)} ms  ${e.name}`);
  lines.push('  top functions:');
  for (const e of s.byFunction) lines.push(`    ${f1(e.ms).padStart(7)} ms  ${e.name}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  report.profile = s;
}

// ---- target 2: in-process throughput, verifyMany, CLI over many inputs ----
if (want(2)) {
  log('target 2: in-process throughput');
  const cases = [
    ...['happy-path-v0.1', 'happy-path-v0.2', 'happy-path-v0.3', 'happy-path-v0.3-new-mediaType', 'happy-path-intoto-in-dsse-v3'].map((n) =>
      loadCase({ bundle: join(CONF, n, 'bundle.sigstore.json'), artifact: join(CONF, 'a.txt'), identity: CONF_ID, issuer: GH_ISSUER, trustedRoot: PROD_ROOT }),
    ),
    ...many.map((p) => loadCase({ bundle: `${p}.sigstore.json`, artifact: p, identity: IDENTITY, issuer: ISSUER, trustedRoot: INST_ROOT })),
  ];
  const rounds = Math.max(5, Math.floor(RUNS / 2));
  const tsv = await tsVerifier(join(ROOT, 'dist'));
  const jsv = jsVerifier();
  const r = await alternateRounds({ ts: tsv, js: jsv }, cases, rounds + 1);
  // The first round fills sigstore-ts's caches (and warms both JITs): shown apart.
  const t = stats(r.ts.slice(1));
  const j = stats(r.js.slice(1));
  const ratio = j.median / t.median;
  const lines = [
    `  ${cases.length} bundles (5 conformance, public-good root; 100 signed against the local instance), ${rounds} rounds after a first one`,
    row('sigstore-ts Verifier.verify, per bundle', t),
    row('sigstore-js Verifier.verify, per bundle', j),
    `  first round per bundle: sigstore-ts ${f1(r.ts[0])} ms, sigstore-js ${f1(r.js[0])} ms`,
    `  ratio sigstore-js / sigstore-ts (medians): ${ratio.toFixed(1)}x (target >= 10x)`,
  ];
  // Each set on its own: the instance's bundles carry an RFC 3161 timestamp signed with P-384
  // (about 2 ms to check in Node 20's OpenSSL, for both clients, different in every bundle).
  for (const [name, set] of [
    ['5 conformance bundles (Rekor v1, no timestamp)', cases.slice(0, 5)],
    ['100 local-instance bundles (with a P-384 TSA timestamp)', cases.slice(5)],
  ]) {
    const rs = await alternateRounds({ ts: tsv, js: jsv }, set, rounds);
    const a = stats(rs.ts);
    const b = stats(rs.js);
    lines.push(`  ${name}:`, row('  sigstore-ts, per bundle', a), row('  sigstore-js, per bundle', b), `    ratio: ${(b.median / a.median).toFixed(1)}x`);
  }
  // verifyMany: 1 thread vs 2 workers on the same batch.
  const lib = await import(join(ROOT, 'dist/index.js'));
  const trust = lib.parseTrustedRoot(readFileSync(INST_ROOT, 'utf8'));
  const policy = new lib.Identity({ identity: IDENTITY, issuer: ISSUER });
  const items = [];
  for (let k = 0; k < 10; k++) for (const p of many) items.push({ bundle: readFileSync(`${p}.sigstore.json`, 'utf8'), artifact: { path: p } });
  // Scaling ratios sit near the target and this machine's two vCPUs are noisy: 7 runs per side
  // (with the default 15 runs elsewhere).
  const SCALE_RUNS = Math.max(3, Math.floor(RUNS / 2));
  // verifyMany keeps its workers for 10 s for the next call with the same root and options: the
  // first call of each mode pays the workers' start (shown apart). A worker's isolate starts with
  // cold code and reaches its steady speed only after ~3000 bundles (V8 optimizes the verification
  // code as it runs; measured 2026-12-01: the pool's 1st..6th calls of 1000 bundles at 1.4x..1.9x
  // the 1-thread time), while the 1-thread runs use this thread, already warm from the rounds
  // above. So the first WARM_CALLS calls of every mode are not in the medians (their times are
  // shown), and each mode is compared warm against warm. It keeps one set of workers, so the
  // thread and process modes are timed in separate loops (alternating them would start new
  // workers for every call). A long-lived VerifierPool is timed too.
  const modes = { 1: { threads: 1 }, '2t': { threads: 2, mode: 'threads' }, '2p': { threads: 2, mode: 'processes' } };
  const WARM_CALLS = 5;
  const vm = { 1: [], '2p': [], '2t': [], pool: [] };
  const first = {};
  const warm = { 1: [], '2p': [], '2t': [], pool: [] };
  const pool = await lib.VerifierPool.start(trust, { workers: 1 });
  await pool.verifyMany(items.slice(0, 100), policy);
  const timeRuns = async (runs) => {
    for (let i = 0; i < SCALE_RUNS + WARM_CALLS; i++) {
      const order = Object.keys(runs);
      if (i % 2) order.reverse();
      for (const k of order) {
        const t0 = performance.now();
        const out = k === 'pool' ? await pool.verifyMany(items, policy) : await lib.verifyMany(trust, items, policy, modes[k]);
        const ms = performance.now() - t0;
        if (out.some((o) => !o.ok)) throw new Error(`verifyMany failed: ${out.find((o) => !o.ok).error.message}`);
        if (i >= WARM_CALLS) vm[k].push(ms);
        else warm[k].push(ms);
        if (i === 0) first[k] ??= ms;
      }
    }
  };
  await timeRuns({ 1: modes[1], '2t': modes['2t'], pool: 'pool' });
  await timeRuns({ '2p': modes['2p'] });
  await pool.close();
  const v1 = stats(vm[1]);
  const v2 = stats(vm['2t']);
  const v2p = stats(vm['2p']);
  const vp = stats(vm.pool);
  const scale = v1.median / v2.median;
  lines.push(
    `  verifyMany, ${items.length} bundles (files on disk):`,
    row('  1 thread (in-process)', v1),
    row('  2 threads (the caller and a worker thread)', v2),
    row('  2 processes (the caller and a worker process)', v2p),
    row('  VerifierPool, 1 worker + the caller', vp),
    `    first calls (workers starting): 2 threads ${f1(first['2t'])} ms (${(v1.median / first['2t']).toFixed(2)}x the 1-thread median), 2 processes ${f1(first['2p'])} ms`,
    `    the ${WARM_CALLS} warm-up calls of each mode (not in the medians), ms: ${Object.entries(warm).map(([k, w]) => `${k === '1' ? '1 thread' : k === 'pool' ? 'VerifierPool' : k === '2t' ? '2 threads' : '2 processes'} ${w.map((x) => f1(x)).join(' ')}`).join('; ')}`,
    `  scaling 1 -> 2 threads (medians): ${scale.toFixed(2)}x, 1 -> 2 processes: ${(v1.median / v2p.median).toFixed(2)}x, VerifierPool: ${(v1.median / vp.median).toFixed(2)}x (target >= 1.8x)`,
  );
  // The CLI over many inputs: SIGSTORE_THREADS=1 vs the default (one thread per core). 1000
  // inputs: the 100 signed files and their bundles, hard-linked into 10 directories.
  const cliMany = [];
  for (let d = 0; d < 10; d++) {
    const dir = join(W, 'cli-many', String(d));
    mkdirSync(dir, { recursive: true });
    for (const p of many) {
      const name = join(dir, p.split('/').pop());
      linkSync(p, name);
      linkSync(`${p}.sigstore.json`, `${name}.sigstore.json`);
      cliMany.push(name);
    }
  }
  const cli = [NODE, BIN, '--trust-config', TC, 'verify', 'identity', '--cert-identity', IDENTITY, '--cert-oidc-issuer', ISSUER, '-q', ...cliMany];
  const c = alternate({ t1: { cmd: cli, env: { ...process.env, SIGSTORE_THREADS: '1' } }, t2: { cmd: cli, env: { ...process.env, SIGSTORE_THREADS: '2' } } }, SCALE_RUNS, 1);
  const cc1 = stats(c.t1.cpu);
  const cc2 = stats(c.t2.cpu);
  const c1 = stats(c.t1.ms);
  const c2 = stats(c.t2.ms);
  const cscale = c1.median / c2.median;
  lines.push(`  CLI verify over ${cliMany.length} files (the caller and worker threads):`, row('  SIGSTORE_THREADS=1', c1), row('  SIGSTORE_THREADS=2', c2), row('  CPU, SIGSTORE_THREADS=1', cc1), row('  CPU, SIGSTORE_THREADS=2', cc2), `  scaling (medians): ${cscale.toFixed(2)}x`);
  // The machine's own ceiling: the same fixed work in one process, then in two at once.
  // Two loops: the conformance bundles (Rekor v1, no timestamp), and the instance's bundles that
  // the batches above verify (each with a P-384 TSA token), 500 verifications each.
  const spec = join(W, 'loop-instance.json');
  writeFileSync(spec, JSON.stringify({ trustedRoot: INST_ROOT, identity: IDENTITY, issuer: ISSUER, items: many.map((p) => ({ bundle: `${p}.sigstore.json`, artifact: p })), rounds: 5 }));
  const loops = { conformance: [NODE, join(ROOT, 'scripts/bench/loop.mjs')], instance: [NODE, join(ROOT, 'scripts/bench/loop.mjs'), spec] };
  const hw = { conformance: { one: [], two: [] }, instance: { one: [], two: [] } };
  for (let i = 0; i < SCALE_RUNS; i++) {
    for (const [k, loop] of Object.entries(loops)) {
      hw[k].one.push(timeCmd(loop).ms);
      const t0 = performance.now();
      await Promise.all([0, 1].map(() => new Promise((res, rej) => spawn(loop[0], loop.slice(1), { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? res() : rej(new Error(`loop exited ${code}`)))))));
      hw[k].two.push(performance.now() - t0);
    }
  }
  lines.push('  ceiling of this machine: a fixed verification loop (500 verifications in-process), one process vs two at once:');
  for (const [k, what] of [['conformance', '5 conformance bundles x 100'], ['instance', 'the 100 instance bundles x 5, as in the batches above']]) {
    const h1 = stats(hw[k].one);
    const h2 = stats(hw[k].two);
    lines.push(`  ${what}:`, row('  one process', h1), row('  two processes at once (twice the work)', h2), `    throughput scaling with no coordination at all: ${((2 * h1.median) / h2.median).toFixed(2)}x`);
  }
  target(2, 'in-process verification throughput; batch scaling on 2 cores', lines, `${ratio >= 10 ? 'MET' : 'NOT MET'} (throughput), ${scale >= 1.8 ? 'MET' : 'NOT MET'} (verifyMany scaling), ${cscale >= 1.8 ? 'MET' : 'NOT MET'} (CLI scaling)`);
}

// ---- target 3: large artifacts ----
if (!opt['skip-large'] && want(3)) {
  const size = Number(opt['large-size']);
  log(`target 3: a ${(size / 1024 ** 3).toFixed(2)} GiB sparse file`);
  const big = join(W, 'large.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  const bigBundle = join(W, 'large.bin.sigstore.json');
  const tsSign = [...sign([big])];
  const tsVerify = [NODE, BIN, '--trust-config', TC, 'verify', 'identity', '--cert-identity', IDENTITY, '--cert-oidc-issuer', ISSUER, '-q', big];
  timeCmd(tsSign); // the bundle the verify runs use
  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  const r = alternate({ sha256sum: ['sha256sum', big], sign: tsSign, verify: tsVerify, ...(hasOpenssl ? { openssl: ['openssl', 'dgst', '-sha256', big] } : {}) }, Number(opt['large-runs']), 0);
  const [h, s, v] = ['sha256sum', 'sign', 'verify'].map((k) => stats(r[k].ms));
  const o = hasOpenssl ? stats(r.openssl.ms) : undefined;
  const [hm, sm, vm] = ['sha256sum', 'sign', 'verify'].map((k) => stats(r[k].rssMB));
  const lines = [
    row('sha256sum', h),
    row('sigstore-ts sign', s),
    row('sigstore-ts verify', v),
    row('  peak RSS sign', sm, 'MB'),
    row('  peak RSS verify', vm, 'MB'),
    row('  peak RSS sha256sum', hm, 'MB'),
    `  ratio sign / sha256sum: ${(s.median / h.median).toFixed(2)}x, verify / sha256sum: ${(v.median / h.median).toFixed(2)}x (target <= 1.15x, peak RSS < 150 MB)`,
  ];
  if (o) {
    lines.push(
      row('openssl dgst -sha256 (SHA extensions; a stricter baseline)', o),
      `  ratio sign / openssl: ${(s.median / o.median).toFixed(2)}x, verify / openssl: ${(v.median / o.median).toFixed(2)}x`,
    );
  }
  // sigstore-js: the whole artifact in one buffer. At > 2 GiB fs.readFile refuses the file; below,
  // its memory grows with the file (shown on a 1 GiB file).
  const jsBig = spawnSync(NODE, [JS_VERIFY, bigBundle, big, INST_ROOT, IDENTITY, ISSUER]);
  lines.push(`  sigstore-js on the ${(size / 1024 ** 3).toFixed(2)} GiB file: exit ${jsBig.status}: ${jsBig.stderr.toString().trim().split('\n').pop()}`);
  const mid = join(W, 'mid.bin');
  const fd2 = openSync(mid, 'w');
  ftruncateSync(fd2, Math.min(size, 1024 ** 3));
  closeSync(fd2);
  timeCmd(sign([mid]));
  const rm = alternate(
    {
      ts: [NODE, BIN, '--trust-config', TC, 'verify', 'identity', '--cert-identity', IDENTITY, '--cert-oidc-issuer', ISSUER, '-q', mid],
      js: [NODE, JS_VERIFY, `${mid}.sigstore.json`, mid, INST_ROOT, IDENTITY, ISSUER],
    },
    Number(opt['large-runs']),
    0,
  );
  lines.push(
    `  a ${(Math.min(size, 1024 ** 3) / 1024 ** 3).toFixed(2)} GiB file, verify:`,
    row('  sigstore-ts', stats(rm.ts.ms)),
    row('  sigstore-js', stats(rm.js.ms)),
    row('  peak RSS sigstore-ts', stats(rm.ts.rssMB), 'MB'),
    row('  peak RSS sigstore-js', stats(rm.js.rssMB), 'MB'),
  );
  const ok = s.median / h.median <= 1.15 && v.median / h.median <= 1.15 && sm.max < 150 && vm.max < 150;
  target(3, 'large artifacts: sign and verify vs sha256sum, peak memory', lines, ok ? 'MET' : 'NOT MET');
  rmSync(big, { force: true });
  rmSync(mid, { force: true });
}

// ---- target pypi (issue 18): `attestation audit` of a lock file of 1,000 distributions ----
if (want('pypi')) {
  log('target pypi: attestation audit of 1000 distributions against the loopback index');
  const r = spawnSync(NODE, ['--import', 'tsx', 'scripts/bench/pypi-audit.mts', '--work', join(W, 'pypi'), '--count', '1000', '--runs', String(Math.min(RUNS, 3))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) target('pypi', 'attestation audit, 1000 distributions', [`  failed: exit ${r.status}`], 'NOT MET');
  else {
    const { cold, warm } = JSON.parse(r.stdout.trim().split('\n').pop());
    const s = (runs, k) => stats(runs.map((x) => x[k]));
    const c = s(cold, 'ms');
    const w = s(warm, 'ms');
    const share = stats(cold.map((x) => (100 * x.verifyMs) / x.ms));
    const lines = [
      row('cold (empty cache): wall', c),
      row('  CPU of the audit process (all threads)', s(cold, 'cpuS'), 's'),
      row('  CPU of the loopback index', s(cold, 'indexCpuS'), 's'),
      row('  fetching (index lookups, provenance)', s(cold, 'fetchMs')),
      row('  verifying', s(cold, 'verifyMs')),
      row('  verification share of the wall time', share, '%'),
      row('warm (second run, cache filled): wall', w),
      row('  CPU of the audit process', s(warm, 'cpuS'), 's'),
      `  requests: cold ${cold.map((x) => x.requests).join('/')}, warm ${warm.map((x) => x.requests).join('/')}; load ${cold.map((x) => x.load).join(' | ')}`,
      '  (targets: cold <= 20 s with verification <= 15 %; warm <= 2 s)',
    ];
    target('pypi', 'attestation audit of a 1000-distribution pylock.toml (local instance, loopback index)', lines, c.median <= 20_000 && share.median <= 15 && w.median <= 2000 ? 'MET' : 'NOT MET');
  }
}

// ---- target 5: footprint ----
if (want(5)) {
  log('target 5: footprint');
  const pack = join(W, 'pack');
  mkdirSync(pack);
  // npm pack runs the prepack script: the full build, type declarations included, as published.
  const p = spawnSync('npm', ['pack', '--pack-destination', pack], { cwd: ROOT, encoding: 'utf8' });
  const tgz = readdirSync(pack).find((x) => x.endsWith('.tgz'));
  const inst = join(W, 'install');
  mkdirSync(inst);
  writeFileSync(join(inst, 'package.json'), '{"name":"bench-install","version":"1.0.0","private":true}');
  const i = spawnSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', join(pack, tgz)], { cwd: inst, encoding: 'utf8' });
  const count = (dir) => {
    let n = 0;
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory() || e.name === '.bin' || e.name === '.cache') continue;
        const sub = join(d, e.name);
        if (e.name.startsWith('@')) walk(sub);
        else if (existsSync(join(sub, 'package.json'))) {
          n++;
          if (existsSync(join(sub, 'node_modules'))) walk(join(sub, 'node_modules'));
        }
      }
    };
    walk(dir);
    return n;
  };
  const du = (d) => Number(spawnSync('du', ['-sk', d], { encoding: 'utf8' }).stdout.split('\t')[0]) / 1024;
  const nTs = i.status === 0 ? count(join(inst, 'node_modules')) : Number.NaN;
  const sizeTs = i.status === 0 ? du(join(inst, 'node_modules')) : Number.NaN;
  // sigstore-js: its production dependency closure as installed here (node_modules of this repo).
  const seen = new Set();
  const closure = (name, from) => {
    for (let d = from; ; d = join(d, '..')) {
      const pj = join(d, 'node_modules', name, 'package.json');
      if (existsSync(pj)) {
        const dir = join(d, 'node_modules', name);
        if (seen.has(dir)) return;
        seen.add(dir);
        for (const dep of Object.keys(JSON.parse(readFileSync(pj, 'utf8')).dependencies ?? {})) closure(dep, dir);
        return;
      }
      if (d === '/' || d === join(d, '..')) return;
    }
  };
  closure('sigstore', ROOT);
  let jsKB = 0;
  for (const d of seen) jsKB += Number(spawnSync('du', ['-sk', '--exclude=node_modules', d], { encoding: 'utf8' }).stdout.split('\t')[0]);
  // What each direct dependency costs: its own installed size and the packages it brings.
  const perDep = [];
  if (i.status === 0) {
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies ?? {};
    for (const dep of Object.keys(own).sort()) {
      const dir = join(inst, 'node_modules', dep);
      if (!existsSync(dir)) continue;
      const sub = Object.keys(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {});
      perDep.push(`    ${dep.padEnd(26)} ${f1(du(dir)).padStart(5)} MB${sub.length ? `  (+ ${sub.join(', ')})` : ''}`);
    }
  }
  const lines = [
    `  sigstore-ts (npm pack ${tgz ?? '(failed)'}, ${tgz ? (statSync(join(pack, tgz)).size / 1024).toFixed(0) : '?'} KiB packed; npm install --omit=dev): ${nTs} packages, ${f1(sizeTs)} MB installed${i.status === 0 ? '' : ` (install failed: ${i.stderr.split('\n').slice(-3).join(' ')})`}`,
    `  sigstore-js (sigstore and its production dependencies, as installed here): ${seen.size} packages, ${f1(jsKB / 1024)} MB`,
    '  (target: at most sigstore-js\'s packages and size)',
    '  direct dependencies (installed size, own directory; dependencies they bring):',
    ...perDep,
  ];
  if (p.status !== 0) lines.push(`  npm pack failed: ${p.stderr}`);
  target(5, 'footprint of the installed package with production dependencies', lines, nTs <= seen.size && sizeTs <= jsKB / 1024 ? 'MET' : 'NOT MET');
}

log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
report.seconds = (Date.now() - started) / 1000;
if (opt.json) writeFileSync(opt.json, `${JSON.stringify(report, null, 2)}\n`);
// The instance (a child process) would keep the event loop alive: the exit handler stops it.
process.exit(0);
