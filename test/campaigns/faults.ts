/**
 * Fault campaign: signing against the local Sigstore instance through a fault-injecting loopback
 * proxy (test/sign/proxy.ts), as a matrix of faults x services (Fulcio, Rekor v1, Rekor v2, TSA)
 * x runs: the library (sign and attest) and `bin/sigstore sign` as a process with outputs that
 * do not exist yet, that exist (no --overwrite) and that exist with --overwrite.
 *
 * Faults: refused connections, connections reset before an answer, resets mid-body, slow
 * responses past the timeout, 429/5xx storms, malformed answers, and valid-looking but wrong
 * answers (another identity's certificate, an expired SCT, another entry, a proof for another
 * entry or tree, a timestamp for another signature).
 *
 * Expectations: a transient fault recovers within the retry budget (the bundle verifies); any
 * other fault fails with a one-line message naming the service (no stack trace); a failing CLI
 * run creates, truncates or overwrites no file (the directory's names, sizes, inodes and contents
 * are unchanged), and an existing output is replaced only with --overwrite.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { parseBundle } from '../../src/bundle/parse.js';
import { SigstoreError } from '../../src/errors.js';
import { Identity, Verifier } from '../../src/index.js';
import { Signer } from '../../src/sign/signer.js';
import { requestTimestamp } from '../../src/sign/tsa.js';
import { hasStackTrace, SIGSTORE } from '../helpers/cli.js';
import { onlyRekor, startTestInstance, type TestInstance, viaProxy } from '../sign/helpers.js';
import { type Fault, type FaultProxy, type Rule, rewriteJson, startFaultProxy } from '../sign/proxy.js';

export type Service = 'fulcio' | 'rekor-v1' | 'rekor-v2' | 'tsa';
export const SERVICES: Service[] = ['fulcio', 'rekor-v1', 'rekor-v2', 'tsa'];

const PATHS: Record<Service, RegExp> = {
  fulcio: /^\/api\/v2\/signingCert$/,
  'rekor-v1': /^\/api\/v1\/log\/entries$/,
  'rekor-v2': /^\/api\/v2\/log\/entries$/,
  tsa: /^\/api\/v1\/timestamp$/,
};
/** What a failure message must name (transport failures say "Rekor at URL", answers "Rekor vN at URL"). */
const NAMES: Record<Service, RegExp> = {
  fulcio: /Fulcio/,
  'rekor-v1': /Rekor/,
  'rekor-v2': /Rekor/,
  tsa: /timestamp authority|TSA/,
};
/** The Rekor version each service's runs use (v2 needs the TSA; the TSA is exercised with v2). */
const VERSION: Record<Service, 1 | 2> = { fulcio: 1, 'rekor-v1': 1, 'rekor-v2': 2, tsa: 2 };

/** The library runs' HTTP settings: short timeouts, three attempts. */
const HTTP = { attempts: 3, backoffMs: 10, timeoutMs: 600 };

interface Ctx {
  t: TestInstance;
  p: FaultProxy;
  /** A token for another identity. */
  otherToken: string;
  /** A Rekor v1 answer for another entry. */
  v1Other: string;
  /** A Rekor v2 answer for another entry. */
  v2Other: string;
  /** A timestamp response for another signature. */
  otherTimestamp: Buffer;
}

export interface FaultCase {
  /** `service/fault`. */
  id: string;
  service: Service;
  fault: string;
  /** Recovers within the retry budget. */
  transient: boolean;
  /** Also run through the CLI (its timeouts are 30 s: no hangs there). */
  cli: boolean;
  /** In the fast subset of npm test. */
  fast?: boolean;
  rules: (c: Ctx) => Rule[];
  /** Changes the trust config (refused connections) or the instance (SCT); returns the undo. */
  setup?: (c: Ctx, mode: 'library' | 'cli') => Promise<SetupResult> | SetupResult;
  /** The library runs' HTTP settings, when not the default short ones. */
  http?: { attempts: number; backoffMs: number; timeoutMs: number };
  /** What the failure message must also say. */
  expect?: RegExp;
}

interface SetupResult {
  edit?: (sc: Record<string, unknown>) => void;
  undo?: () => Promise<void> | void;
}

const jsonRewrite = rewriteJson;

/** The inclusion proof in a Rekor answer: v1's `{uuid: {verification: {inclusionProof}}}` or v2's entry. */
const inclusionProofOf = (o: Record<string, unknown>, v: 1 | 2): Record<string, unknown> =>
  v === 1 ? (Object.values(o)[0] as { verification: { inclusionProof: Record<string, unknown> } }).verification.inclusionProof : (o.inclusionProof as Record<string, unknown>);

const flip = (s: string, enc: 'hex' | 'base64') => {
  const b = Buffer.from(s, enc);
  b[0]! ^= 1;
  return b.toString(enc);
};

/**
 * A port on 127.0.0.1 that refuses connections and stays so: one below 1024 (outside the range
 * port 0 draws from, so no test, nor anything else on a shared machine, takes it meanwhile, as
 * happens to a freed ephemeral port) that refuses a connection now.
 */
async function refusingPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) {
    const refused = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        r(false);
      });
      c.on('error', (e: NodeJS.ErrnoException) => r(e.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  return closedPort();
}

/** A port on 127.0.0.1 that nothing listens on now (free for this process to listen on later). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A TCP front for the proxy whose first `resets` connections are reset (RST) before any answer;
 * later ones are forwarded.
 */
async function resettingFront(target: string, resets: number): Promise<{ url: string; close(): Promise<void> }> {
  const up = new URL(target);
  const sockets = new Set<net.Socket>();
  let left = resets;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (left > 0) {
      left--;
      s.once('data', () => s.resetAndDestroy());
      return;
    }
    const u = net.connect(Number(up.port), up.hostname);
    u.on('error', () => s.destroy());
    s.pipe(u).pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * A port that refuses connections until `open()` is called, then forwards to the proxy: a
 * service that is down and comes back.
 */
async function lateFront(target: string): Promise<{ url: string; open(): void; close(): Promise<void> }> {
  const up = new URL(target);
  const port = await closedPort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    open() {
      if (server) return;
      server = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
        const u = net.connect(Number(up.port), up.hostname);
        u.on('error', () => s.destroy());
        s.pipe(u).pipe(s);
      });
      server.listen(port, '127.0.0.1');
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        if (server) server.close(() => r());
        else r();
      }),
  };
}

/** Points one service of the signing config at `url` instead of the proxy. */
function pointAt(service: Service, proxyUrl: string, url: string): (sc: Record<string, unknown>) => void {
  return (sc) => {
    const list = service === 'fulcio' ? 'caUrls' : service === 'tsa' ? 'tsaUrls' : 'rekorTlogUrls';
    for (const s of sc[list] as { url: string }[]) s.url = s.url.replace(proxyUrl, url);
  };
}

/** The fault catalogue: each fault for each service it applies to. */
export function faultCases(): FaultCase[] {
  const out: FaultCase[] = [];
  const add = (c: Omit<FaultCase, 'id'>) => out.push({ ...c, id: `${c.service}/${c.fault}` });
  for (const service of SERVICES) {
    const path = PATHS[service];
    const rule = (fault: Fault, times?: number): Rule => ({ method: 'POST', path, fault, ...(times !== undefined ? { times } : {}) });
    // Transient: recovered within the retry budget (3 attempts in the library, 4 in the CLI).
    add({ service, fault: '503 once', transient: true, cli: true, fast: service === 'rekor-v1', rules: () => [rule({ kind: 'status', status: 503 }, 1)] });
    add({ service, fault: '429 storm (2)', transient: true, cli: true, rules: () => [rule({ kind: 'status', status: 429 }, 2)] });
    add({
      service,
      fault: '5xx storm (500, 502)',
      transient: true,
      cli: true,
      fast: service === 'tsa',
      rules: () => [rule({ kind: 'status', status: 500 }, 1), rule({ kind: 'status', status: 502 }, 1)],
    });
    add({ service, fault: 'reset mid-body', transient: true, cli: true, fast: service === 'fulcio', rules: () => [rule({ kind: 'truncate' }, 1)] });
    add({ service, fault: 'slow answer past the timeout', transient: true, cli: false, fast: service === 'rekor-v2', rules: () => [rule({ kind: 'hang' }, 1)] });
    if (service !== 'fulcio') {
      // Fulcio's answer dropped after issuing: a new certificate is simply requested again; for
      // the logs it tests idempotent resubmission (Rekor v1 409, Rekor v2 the same entry).
      add({ service, fault: 'connection dropped after processing', transient: true, cli: true, rules: () => [rule({ kind: 'drop-after' }, 1)] });
    }
    let front: Awaited<ReturnType<typeof resettingFront>> | undefined;
    add({
      service,
      fault: 'connection reset before an answer (once)',
      transient: true,
      cli: true,
      rules: () => [],
      setup: async (c) => {
        front = await resettingFront(c.p.url, 1);
        return { edit: pointAt(service, c.p.url, front.url), undo: () => front?.close() };
      },
    });
    // Refused connections until the service comes up: Fulcio some time after the run starts
    // (its first request is the run's first), the others once Fulcio has answered.
    let late: Awaited<ReturnType<typeof lateFront>> | undefined;
    add({
      service,
      fault: 'connection refused, then the service comes up',
      transient: true,
      cli: true,
      fast: service === 'rekor-v1',
      http: { attempts: 4, backoffMs: 400, timeoutMs: 2000 },
      rules: () =>
        service === 'fulcio'
          ? []
          : [
              {
                method: 'POST',
                path: PATHS.fulcio,
                fault: {
                  kind: 'rewrite',
                  fn: (b) => {
                    const front = late;
                    setTimeout(() => front?.open(), 150);
                    return b;
                  },
                },
              },
            ],
      setup: async (c, mode) => {
        const front = await lateFront(c.p.url);
        late = front;
        let timer: NodeJS.Timeout | undefined;
        if (service === 'fulcio') timer = setTimeout(() => front.open(), mode === 'cli' ? 1500 : 150);
        return {
          edit: pointAt(service, c.p.url, front.url),
          undo: async () => {
            clearTimeout(timer);
            await front.close();
          },
        };
      },
    });
    // Permanent.
    add({
      service,
      fault: 'connection refused',
      transient: false,
      cli: true,
      fast: service === 'rekor-v2',
      rules: () => [],
      setup: async (c) => ({ edit: pointAt(service, c.p.url, `http://127.0.0.1:${await refusingPort()}`) }),
      expect: /ECONNREFUSED|failed after \d attempts/,
    });
    add({ service, fault: '503 storm (every attempt)', transient: false, cli: true, fast: service === 'fulcio', rules: () => [rule({ kind: 'status', status: 503 })], expect: /HTTP 503 after \d attempts|failed after \d attempts/ });
    add({ service, fault: '429 storm (every attempt)', transient: false, cli: true, rules: () => [rule({ kind: 'status', status: 429 })], expect: /429/ });
    add({ service, fault: 'reset mid-body (every attempt)', transient: false, cli: true, rules: () => [rule({ kind: 'truncate' })], expect: /cut off|failed after/ });
    add({ service, fault: 'slow answer past the timeout (every attempt)', transient: false, cli: false, rules: () => [rule({ kind: 'hang' })], expect: /no complete answer within \d+ ms/ });
    add({ service, fault: 'HTTP 400', transient: false, cli: true, rules: () => [rule({ kind: 'status', status: 400, body: '{"message":"injected refusal"}' })], expect: /refused .*HTTP 400 \(injected refusal\)/ });
    if (service === 'tsa') {
      add({ service, fault: 'not DER', transient: false, cli: true, rules: () => [rule({ kind: 'reply', body: 'not DER', contentType: 'application/timestamp-reply' })], expect: /not a valid RFC 3161 response/ });
      add({
        service,
        fault: 'a timestamp for another signature (replayed)',
        transient: false,
        cli: true,
        fast: true,
        rules: (c) => [rule({ kind: 'reply', body: c.otherTimestamp, contentType: 'application/timestamp-reply' })],
        expect: /nonce is not the one sent|does not verify/,
      });
    } else {
      add({ service, fault: 'malformed JSON', transient: false, cli: true, fast: service === 'rekor-v1', rules: () => [rule({ kind: 'rewrite', fn: (b) => b.subarray(0, Math.floor(b.length / 2)) })], expect: /malformed JSON/ });
      add({ service, fault: 'JSON of the wrong shape', transient: false, cli: true, rules: () => [rule({ kind: 'reply', status: 201, body: '{"unexpected":true}' })], expect: /unusable/ });
    }
    if (service === 'fulcio') {
      add({
        service,
        fault: "another identity's certificate",
        transient: false,
        cli: true,
        fast: true,
        rules: (c) => [
          rule({
            kind: 'rewrite-request',
            fn: (body) => {
              const o = JSON.parse(body.toString());
              o.credentials.oidcIdentityToken = c.otherToken;
              return JSON.stringify(o);
            },
          }),
        ],
        expect: /not the identity in the token/,
      });
      add({
        service,
        fault: 'an expired SCT (signed, timestamped before the CT log key was valid)',
        transient: false,
        cli: true,
        fast: true,
        rules: () => [],
        setup: (c) => {
          const ctlog = c.t.inst.ctlog;
          const orig = ctlog.addPreChain.bind(ctlog);
          ctlog.addPreChain = (chain: Buffer[]) => {
            const now = Date.now;
            Date.now = () => now() - 3 * 86400_000; // the SCT is signed properly, but dated 3 days ago
            try {
              return orig(chain);
            } finally {
              Date.now = now;
            }
          };
          return {
            undo: () => {
              ctlog.addPreChain = orig;
            },
          };
        },
        expect: /SCT/,
      });
    }
    if (service === 'rekor-v1' || service === 'rekor-v2') {
      const v = service === 'rekor-v1' ? 1 : 2;
      add({
        service,
        fault: 'a proof for another entry (another entry replayed)',
        transient: false,
        cli: true,
        fast: v === 2,
        rules: (c) => [rule({ kind: 'reply', status: 201, body: v === 1 ? c.v1Other : c.v2Other })],
        expect: /does not verify at step (body|tlog|signature)/,
      });
      add({
        service,
        fault: 'an inclusion proof that does not lead to the root',
        transient: false,
        cli: true,
        rules: () => [
          rule(
            jsonRewrite((o) => {
              const proof = inclusionProofOf(o, v) as { hashes: string[]; rootHash: string };
              if (proof.hashes.length > 0) proof.hashes[0] = flip(proof.hashes[0]!, v === 1 ? 'hex' : 'base64');
              else proof.rootHash = flip(proof.rootHash, v === 1 ? 'hex' : 'base64');
            }),
          ),
        ],
        expect: /does not verify at step tlog/,
      });
      add({
        service,
        fault: 'a proof for another tree size',
        transient: false,
        cli: true,
        rules: () => [
          rule(
            jsonRewrite((o) => {
              const proof = inclusionProofOf(o, v) as { treeSize: string | number };
              proof.treeSize = v === 1 ? Number(proof.treeSize) + 1 : String(BigInt(proof.treeSize) + 1n);
            }),
          ),
        ],
        expect: /does not verify at step tlog/,
      });
    }
  }
  return out;
}

export interface FaultReport {
  /** Fault cases x runs executed. */
  runs: number;
  /** Requests that were answered with a fault (or refused, or reset). */
  faultsInjected: number;
  recovered: number;
  failedClearly: number;
  /** CLI runs with outputs checked. */
  cliRuns: number;
  /** CLI runs refused before any request because an output existed. */
  refusedToOverwrite: number;
  /** Existing outputs replaced with --overwrite after a recovered fault. */
  overwritten: number;
  problems: string[];
  byService: Record<string, { runs: number; recovered: number; failed: number }>;
}

interface DirState {
  [name: string]: { size: number; ino: number; sha: string };
}

function dirState(dir: string): DirState {
  const out: DirState = {};
  for (const n of readdirSync(dir).sort()) {
    const st = lstatSync(join(dir, n));
    out[n] = { size: st.size, ino: st.ino, sha: st.isFile() ? createHash('sha256').update(readFileSync(join(dir, n))).digest('hex') : 'dir' };
  }
  return out;
}

function cliProcess(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SIGSTORE, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TMPDIR: process.env.TMPDIR, SIGSTORE_SKIP_BROWSER_INSTALL: '1', SIGSTORE_OFFLINE: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** How many requests a run's rules answered with a fault. */
function injected(p: FaultProxy, rules: Rule[], before: number): number {
  const log = p.log.slice(before);
  let n = 0;
  const budget = rules.map((r) => r.times);
  for (const line of log) {
    const [method, path] = line.split(' ') as [string, string];
    const i = rules.findIndex((r, k) => (r.method === undefined || r.method === method) && r.path.test(path) && (budget[k] === undefined || budget[k]! > 0));
    if (i < 0) continue;
    if (budget[i] !== undefined) budget[i]!--;
    if (rules[i]!.fault.kind !== 'pass') n++;
  }
  return n;
}

/**
 * Runs the fault campaign. `fast` runs only the cases marked fast (and the CLI for a few of
 * them); `cli` runs the CLI matrix.
 */
export async function runFaultCampaign({ fast = false, cli = true, filter, log }: { fast?: boolean; cli?: boolean; filter?: RegExp; log?: (m: string) => void } = {}): Promise<FaultReport> {
  const report: FaultReport = { runs: 0, faultsInjected: 0, recovered: 0, failedClearly: 0, cliRuns: 0, refusedToOverwrite: 0, overwritten: 0, problems: [], byService: {} };
  const t = await startTestInstance();
  const p = await startFaultProxy(t.inst.url);
  try {
    const file = join(t.dir, 'artifact.txt');
    writeFileSync(file, 'fault campaign\n');
    // Answers for other entries, and a timestamp for another signature.
    let v2Other = '';
    const capture = (b: Buffer) => {
      v2Other = b.toString();
      return b;
    };
    p.rules = [{ method: 'POST', path: PATHS['rekor-v2'], fault: { kind: 'rewrite', fn: capture }, times: 1 }];
    const seed = new Signer({ trustConfig: viaProxy(t, p.url, onlyRekor(2), 'seed-v2.json').config, tokenProvider: () => t.inst.token(), http: HTTP });
    await seed.sign({ data: Buffer.from('another entry (v2)') });
    const seedV1 = new Signer({ trustConfig: viaProxy(t, p.url, onlyRekor(1), 'seed-v1.json').config, tokenProvider: () => t.inst.token(), http: HTTP });
    await seedV1.sign({ data: Buffer.from('another entry (v1)') });
    p.rules = [];
    const ctx: Ctx = {
      t,
      p,
      otherToken: await t.inst.token({ identity: 'intruder@example.com' }),
      v1Other: await (await fetch(`${t.inst.url}/api/v1/log/entries?logIndex=0`)).text(),
      v2Other,
      otherTimestamp: await requestTimestamp(t.inst.tsaUrl, Buffer.from('some other signature'), t.trustConfig.trustedRoot),
    };
    const verifierPolicy = new Identity({ identity: t.inst.identity, issuer: t.inst.issuer });
    const cases = faultCases().filter((c) => (!fast || c.fast) && (!filter || filter.test(c.id)));
    let n = 0;
    for (const c of cases) {
      n++;
      report.byService[c.service] ??= { runs: 0, recovered: 0, failed: 0 };
      const svc = report.byService[c.service]!;
      // Library: sign and attest.
      for (const kind of ['sign', 'attest'] as const) {
        const s = await c.setup?.(ctx, 'library');
        const { config } = viaProxy(t, p.url, (sc) => {
          onlyRekor(VERSION[c.service])(sc);
          s?.edit?.(sc);
        }, `case-${n}-${kind}.json`);
        const rules = c.rules(ctx);
        p.rules = rules.map((r) => ({ ...r }));
        const before = p.log.length;
        const what = `${c.id} (library ${kind})`;
        report.runs++;
        svc.runs++;
        try {
          const signer = new Signer({ trustConfig: config, tokenProvider: () => t.inst.token(), http: c.http ?? HTTP });
          const run =
            kind === 'sign'
              ? signer.sign({ path: file })
              : signer.attest({
                  _type: 'https://in-toto.io/Statement/v1',
                  subject: [{ name: 'artifact.txt', digest: { sha256: createHash('sha256').update(readFileSync(file)).digest('hex') } }],
                  predicateType: 'https://sigstore-ts.local/faults/v1',
                  predicate: {},
                });
          let outcome: { ok: true; bundle: unknown } | { ok: false; error: unknown };
          try {
            outcome = { ok: true, bundle: await run };
          } catch (error) {
            outcome = { ok: false, error };
          }
          report.faultsInjected += injected(p, rules, before) + (/refused|reset before/.test(c.fault) ? 1 : 0);
          if (c.transient) {
            if (!outcome.ok) report.problems.push(`${what}: a transient fault did not recover: ${(outcome.error as Error)?.message}`);
            else {
              await new Verifier(t.trustConfig.trustedRoot).verify(JSON.stringify(outcome.bundle), { path: file }, verifierPolicy);
              report.recovered++;
              svc.recovered++;
            }
          } else if (outcome.ok) {
            report.problems.push(`${what}: signing succeeded despite a permanent fault`);
          } else {
            const e = outcome.error;
            const m = (e as Error)?.message ?? String(e);
            if (!(e instanceof SigstoreError)) report.problems.push(`${what}: not a SigstoreError: ${String(e)}`);
            else if (m.includes('\n')) report.problems.push(`${what}: a message of several lines: ${m}`);
            else if (!NAMES[c.service].test(m)) report.problems.push(`${what}: the message does not name the service: ${m}`);
            else if (c.expect && !c.expect.test(m)) report.problems.push(`${what}: unexpected message: ${m}`);
            else {
              report.failedClearly++;
              svc.failed++;
            }
          }
        } finally {
          p.rules = [];
          await s?.undo?.();
        }
      }
      if (!cli || !c.cli || (fast && !/reset mid-body|another identity|proof for another entry|connection refused/.test(c.fault))) continue;
      // CLI: two inputs; outputs new, existing (no --overwrite), existing with --overwrite.
      for (const outputs of ['new', 'existing', 'overwrite'] as const) {
        if (fast && outputs === 'existing' && c.service !== 'fulcio') continue;
        const s = await c.setup?.(ctx, 'cli');
        const { path: trustConfigPath } = viaProxy(t, p.url, (sc) => {
          onlyRekor(VERSION[c.service])(sc);
          s?.edit?.(sc);
        }, `case-${n}-cli-${outputs}.json`);
        const dir = join(t.dir, 'cli', `case-${n}-${outputs}`);
        mkdirSync(dir, { recursive: true });
        const a = join(dir, 'a.txt');
        const b = join(dir, 'b.txt');
        writeFileSync(a, `a ${c.id}\n`);
        writeFileSync(b, `b ${c.id}\n`);
        if (outputs !== 'new') {
          writeFileSync(`${a}.sigstore.json`, 'the old bundle of a');
          writeFileSync(`${b}.sigstore.json`, 'the old bundle of b');
        }
        const rules = c.rules(ctx);
        p.rules = rules.map((r) => ({ ...r }));
        const before = p.log.length;
        const beforeState = dirState(dir);
        const what = `${c.id} (CLI, outputs ${outputs})`;
        report.runs++;
        report.cliRuns++;
        svc.runs++;
        try {
          const token = await t.inst.token();
          const args = ['--trust-config', trustConfigPath, 'sign', '--identity-token', token, ...(outputs === 'overwrite' ? ['--overwrite'] : []), a, b];
          const r = await cliProcess(args);
          const afterState = dirState(dir);
          const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('warning:'));
          if (hasStackTrace(r.stderr)) report.problems.push(`${what}: a stack trace: ${r.stderr}`);
          if (outputs === 'existing') {
            // Refused before any request, whatever the fault.
            if (r.code !== 2 || !/Refusing to overwrite/.test(r.stderr)) report.problems.push(`${what}: expected a refusal to overwrite (exit 2), got ${r.code}: ${r.stderr}`);
            else if (p.log.length !== before) report.problems.push(`${what}: requests were made before refusing: ${p.log.slice(before).join(', ')}`);
            else report.refusedToOverwrite++;
            if (JSON.stringify(afterState) !== JSON.stringify(beforeState)) report.problems.push(`${what}: the directory changed`);
            continue;
          }
          report.faultsInjected += injected(p, rules, before) + (/refused|reset before/.test(c.fault) ? 1 : 0);
          if (c.transient) {
            if (r.code !== 0) {
              report.problems.push(`${what}: a transient fault did not recover (exit ${r.code}): ${r.stderr}`);
              continue;
            }
            for (const f of [a, b]) {
              const bundle = readFileSync(`${f}.sigstore.json`, 'utf8');
              parseBundle(bundle);
              await new Verifier(t.trustConfig.trustedRoot).verify(bundle, { path: f }, verifierPolicy);
            }
            const names = Object.keys(afterState).sort().join(',');
            if (names !== 'a.txt,a.txt.sigstore.json,b.txt,b.txt.sigstore.json') report.problems.push(`${what}: unexpected files: ${names}`);
            report.recovered++;
            svc.recovered++;
            if (outputs === 'overwrite') report.overwritten++;
          } else {
            if (r.code !== 1) report.problems.push(`${what}: expected exit 1, got ${r.code}: ${r.stderr}`);
            else if (lines.length !== 1) report.problems.push(`${what}: not one line: ${r.stderr}`);
            else if (!NAMES[c.service].test(lines[0]!)) report.problems.push(`${what}: the message does not name the service: ${lines[0]}`);
            else if (c.expect && !c.expect.test(lines[0]!)) report.problems.push(`${what}: unexpected message: ${lines[0]}`);
            else {
              report.failedClearly++;
              svc.failed++;
            }
            // Nothing created, truncated or overwritten (and no temporary file left behind).
            if (JSON.stringify(afterState) !== JSON.stringify(beforeState)) {
              report.problems.push(`${what}: the outputs changed: ${JSON.stringify(beforeState)} -> ${JSON.stringify(afterState)}`);
            }
            if (outputs === 'new' && (existsSync(`${a}.sigstore.json`) || existsSync(`${b}.sigstore.json`))) report.problems.push(`${what}: an output was created`);
          }
        } finally {
          p.rules = [];
          await s?.undo?.();
        }
      }
      log?.(`${c.id}: ${report.runs} runs, ${report.problems.length} problems so far`);
    }
  } finally {
    await p.close();
    await t.stop();
  }
  return report;
}
