/**
 * `sigstore attestation audit`: the PEP 740 provenance of every distribution a project locks
 * (pylock.toml, a hashed requirements.txt, or a directory of wheels and sdists), verified
 * against each distribution's Trusted Publisher, optionally held to publisher pins. See
 * src/pypi/audit.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { type AuditResult, auditDistributions } from '../pypi/audit.js';
import { DEFAULT_INDEX_URL, PackageIndex } from '../pypi/index-client.js';
import { readLock } from '../pypi/lockfile.js';
import { describePin, type Pins, parsePins, serializePins } from '../pypi/pins.js';
import { ProvenanceCache } from '../pypi/provenance-cache.js';
import { describePublisher } from '../pypi/publisher.js';
import { trustSourceFromFlags } from '../trust/instances.js';
import { loadTrustMaterial } from '../trust/load.js';
import { flag, type Options, parse, str, trustFlags, usage } from './args.js';
import { TRUST_OPTS } from './attestation-common.js';

const OPTS: Options = {
  ...TRUST_OPTS,
  'index-url': { type: 'string' },
  'require-provenance': { type: 'boolean' },
  pin: { type: 'string' },
  'update-pins': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};

export const HELP = `usage: sigstore attestation audit [options] LOCK

check the PEP 740 provenance of every distribution a project locks. LOCK is a PEP 751 lock file
(pylock.toml, pylock.NAME.toml), a pip requirements file pinned with == and --hash=sha256:...
(pip-compile / uv pip compile --generate-hashes), or a directory of wheels and sdists. For each
distribution, its provenance is fetched from the index (PEP 691 JSON simple API, PEP 740
Integrity API), the index's hash must be the lock's, and every attestation must verify for the
locked file under its Trusted Publisher (GitHub, GitLab, Google), as verify-provenance checks.
Each distribution is reported verified (with its publisher), missing (no provenance published),
FAILED (why) or skipped (an entry that names no index file).

options:
  --index-url URL        the index (default $SIGSTORE_PYPI_INDEX_URL, else ${DEFAULT_INDEX_URL})
  --require-provenance   fail (exit 1) when any distribution has no provenance
  --pin FILE             hold each project to the Trusted Publisher recorded in FILE; projects not
                         in FILE are recorded (FILE is created by the first audit). A project whose
                         publisher differs from its pin FAILS
  --update-pins          accept changed publishers: record them in the --pin FILE
  --cache-dir DIR        the provenance cache (default $XDG_CACHE_HOME/sigstore-ts/pypi-provenance);
                         provenance is kept by file hash and verified again on every audit
  --no-cache             neither read nor write the provenance cache
  --concurrency N        HTTP requests to the index in flight at once (default 16)
  --offline              use the cached or embedded trust material, without TUF (the index is
                         still asked; also SIGSTORE_OFFLINE=1)
  --trusted-root FILE    the trusted root to verify against (default: the Sigstore public-good root;
                         the global --staging selects staging, --trust-config FILE a private instance)
  --json                 print one JSON object per distribution on stdout, then the summary object
                         (JSON Lines; schema schemas/output.v1.schema.json); the summary line goes to stderr
  -q, --quiet            print only failures and the summary
  -v, --verbose          stack traces on errors
  -h, --help             show this help message and exit

environment:
  SIGSTORE_PYPI_INDEX_URL  the default of --index-url
  SIGSTORE_THREADS=N       verify on N threads (default: one per core); anything but a positive
                           whole number is a usage error

Exit status: 0 all verified (or missing, without --require-provenance), 1 a failure, 2 a usage error.
`;

function line(r: AuditResult): string {
  const what = r.filename ?? `${r.project}${r.version ? ` ${r.version}` : ''}`;
  switch (r.status) {
    case 'verified': {
      const pubs = (r.publishers ?? []).map(describePublisher).join('; ');
      const changed = r.pinChanged ? ` (pin updated, was ${describePin(r.pinChanged.from)})` : '';
      return `verified  ${what}: ${pubs}${r.cached ? ' [cached]' : ''}${changed}`;
    }
    case 'missing':
      return `missing   ${what}: no provenance published`;
    case 'failed':
      return `FAILED    ${what}${r.error?.step ? ` [${r.error.step}]` : ''}: ${r.error?.message ?? 'failed'}`;
    case 'skipped':
      return `skipped   ${what} (${r.source}): ${r.error?.message ?? ''}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, OPTS);
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  if (p.positionals.length !== 1) usage('audit takes exactly one LOCK (a pylock.toml, a requirements file or a directory)');
  const pinFile = str(p, 'pin');
  if (flag(p, 'update-pins') && pinFile === undefined) usage('--update-pins needs --pin FILE');
  if (flag(p, 'no-cache') && str(p, 'cache-dir') !== undefined) usage('--no-cache and --cache-dir cannot be used together');
  const concurrencyFlag = str(p, 'concurrency');
  if (concurrencyFlag !== undefined && !/^[1-9]\d{0,3}$/.test(concurrencyFlag)) usage('--concurrency must be a whole number from 1 to 9999');
  const envThreads = process.env.SIGSTORE_THREADS;
  if (envThreads && !/^[1-9]\d{0,3}$/.test(envThreads)) usage(`SIGSTORE_THREADS must be a positive whole number (up to 9999), not ${JSON.stringify(envThreads)}`);
  const threads = envThreads ? Number(envThreads) : undefined;
  let pins: Pins | undefined;
  if (pinFile !== undefined) pins = existsSync(pinFile) ? parsePins(readFileSync(pinFile, 'utf8'), pinFile) : { version: 1, projects: {} };
  const indexUrl = str(p, 'index-url') ?? (process.env.SIGSTORE_PYPI_INDEX_URL || DEFAULT_INDEX_URL);
  const index = new PackageIndex(indexUrl, { concurrency: concurrencyFlag ? Number(concurrencyFlag) : 16 });
  const lock = await readLock(p.positionals[0]!);
  const trust = await loadTrustMaterial(trustSourceFromFlags(trustFlags(p)));
  const cache = flag(p, 'no-cache') ? undefined : new ProvenanceCache(str(p, 'cache-dir'));
  const tty = process.stderr.isTTY === true && !flag(p, 'quiet');
  let lastProgress = 0;
  const progress = (phase: 'fetch' | 'verify', done: number, total: number) => {
    const now = Date.now();
    if (done !== total && now - lastProgress < 100) return;
    lastProgress = now;
    writeStderr(`\r\x1b[K${phase === 'fetch' ? 'fetching provenance' : 'verifying'} ${done}/${total}${done === total ? '\r\x1b[K' : ''}`);
  };
  const report = await auditDistributions(lock.entries, lock.skipped, {
    index,
    trust,
    cache,
    pins,
    acceptPinChanges: flag(p, 'update-pins'),
    threads,
    ...(tty ? { onProgress: progress } : {}),
  });
  const count = (s: AuditResult['status']) => report.results.filter((r) => r.status === s).length;
  const [verified, missing, failed, skipped] = [count('verified'), count('missing'), count('failed'), count('skipped')];
  const cached = report.results.filter((r) => r.cached).length;
  const projects = new Set(report.results.map((r) => r.project)).size;
  const json = flag(p, 'json');
  const quiet = flag(p, 'quiet');
  const text = report.results
    .filter((r) => !quiet || r.status === 'failed' || (r.status === 'missing' && flag(p, 'require-provenance')))
    .map((r) => `${line(r)}\n`)
    .join('');
  if (json) {
    const { auditResultToJson, auditSummaryToJson, jsonLine } = await import('./json-output.js');
    const lockPath = p.positionals[0]!;
    const display = index.urls.display;
    const summary = { distributions: report.results.length - skipped, projects, verified, missing, failed, skipped, cached, requests: report.requests, timings: report.timings };
    writeStdout(report.results.map((r) => jsonLine(auditResultToJson(lockPath, display, r))).join('') + jsonLine(auditSummaryToJson(lockPath, display, summary)));
  } else {
    writeStdout(text);
  }
  let pinNote = '';
  if (pinFile !== undefined) {
    const before = pins!.projects;
    const added = Object.keys(report.pins.projects).filter((k) => !(k in before)).length;
    const changed = report.results.filter((r) => r.pinChanged).length;
    if (added > 0 || changed > 0 || !existsSync(pinFile)) {
      const { writeAtomic } = await import('./write-outputs.js');
      await writeAtomic(pinFile, serializePins(report.pins), { overwrite: true });
    }
    pinNote = `; pins: ${added} new, ${changed} updated in ${pinFile}`;
  }
  const summary =
    `audited ${report.results.length - skipped} distributions of ${projects} projects: ${verified} verified, ${missing} without provenance, ${failed} failed` +
    `${skipped ? `, ${skipped} skipped` : ''} (${cached} from the cache, ${report.requests} index requests)${pinNote}\n`;
  if (json) writeStderr(summary);
  else writeStdout(summary);
  return failed > 0 || (flag(p, 'require-provenance') && missing > 0) ? 1 : 0;
}
