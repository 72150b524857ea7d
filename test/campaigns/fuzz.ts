/**
 * Fuzz campaign: structure-aware random mutation (seeded, reproducible) of bundle JSON, trusted
 * roots, signing configs, client trust configs, certificates (DER), timestamp tokens and PEM
 * keys, fed to the parsers and the verifier (and, for a sample, to `bin/sigstore verify`).
 * A finding is: an exception that is not one of ours (a crash), an input that takes over a
 * second of CPU (a hang), or a mutated bundle that verifies although its authenticated bytes changed;
 * on the CLI, an exit code other than 1 or 2, a stack trace, or more than one line per failure.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DerError } from '../../src/lib/der.js';
import { parseBundle, parseTrustedRoot, SigstoreError, TrustError, Verifier } from '../../src/index.js';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';
import { trustedRootJson } from '../../src/trust/material.js';
import { verifyTimestamps } from '../../src/verify/timestamp.js';
import { hasStackTrace, runCliTimed, type TimedCliResult } from '../helpers/cli.js';
import { readCertificate, signingConfigFalseAcceptance, substituteLeaf, timestampFalseAcceptance, trustedRootFalseAcceptance } from './oracles.js';
import { artifactOf, type Genuine, genuineBundles, localInstanceTrustConfig } from './tamper.js';
import type { TrustMaterial } from '../../src/trust/trusted-root.js';

/**
 * The code under test, replaceable so the campaign's self-test (test/campaigns/selftest.test.ts)
 * can disable a check and see the campaign report it. The oracles never use these.
 */
export interface FuzzHooks {
  verifier: (trust: TrustMaterial) => Pick<Verifier, 'verify'>;
  verifyTimestamps: typeof verifyTimestamps;
  parseSigningConfig: typeof parseSigningConfig;
}
const REAL: FuzzHooks = { verifier: (t) => new Verifier(t), verifyTimestamps, parseSigningConfig };

/** mulberry32: a small seeded PRNG, so every finding can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type R = () => number;
const pick = <T>(r: R, xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: R, n: number) => Math.floor(r() * n);

function randomBytes(r: R, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
}

function randomValue(r: R, depth = 0): unknown {
  switch (int(r, depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return pick(r, [0, -1, 1, 2 ** 53, -(2 ** 63), 1.5, Number.MAX_VALUE]);
    case 2:
      return r() < 0.5;
    case 3:
      return pick(r, ['', ' ', '-1', '18446744073709551616', 'sha256:', '\u0000', 'x'.repeat(int(r, 5000)), '€']);
    case 4:
      return randomBytes(r, int(r, 80)).toString('base64');
    case 5:
      return randomBytes(r, int(r, 20)).toString('base64').replace(/=/g, '');
    case 6:
      return Array.from({ length: int(r, 4) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(r, 4) }, (_, i) => [pick(r, ['rawBytes', 'logIndex', 'x', `k${i}`]), randomValue(r, depth + 1)]));
  }
}

type Node = { parent: Record<string | number, unknown>; key: string | number; value: unknown };

function nodes(v: unknown, out: Node[] = []): Node[] {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as object)) {
      out.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k, value: x });
      nodes(x, out);
    }
  }
  return out;
}

/** Applies 1-3 structure-aware mutations to a JSON document. */
export function mutateJson(r: R, doc: unknown): unknown {
  const copy = structuredClone(doc);
  const count = 1 + int(r, 3);
  for (let i = 0; i < count; i++) {
    const all = nodes(copy);
    if (all.length === 0) break;
    const n = pick(r, all);
    const op = int(r, 9);
    if (op === 0) {
      if (Array.isArray(n.parent)) n.parent.splice(n.key as number, 1);
      else delete n.parent[n.key];
    } else if (op === 1) n.parent[n.key] = randomValue(r);
    else if (op === 2 && typeof n.value === 'string') {
      const b = Buffer.from(n.value, 'base64');
      if (b.length > 0) {
        b[int(r, b.length)]! ^= 1 << int(r, 8);
        n.parent[n.key] = b.toString('base64');
      }
    } else if (op === 3 && typeof n.value === 'string') n.parent[n.key] = n.value.slice(0, int(r, n.value.length + 1));
    else if (op === 4 && Array.isArray(n.value) && n.value.length > 0) n.value.push(structuredClone(n.value[0]));
    else if (op === 5 && Array.isArray(n.value)) n.value.length = 0;
    else if (op === 6) {
      const other = pick(r, all);
      n.parent[n.key] = structuredClone(other.value);
    } else if (op === 7 && typeof n.value === 'string' && /^\d+$/.test(n.value)) {
      n.parent[n.key] = pick(r, ['-1', '0', String(BigInt(n.value) + BigInt(int(r, 1000)) - 500n), '99999999999999999999']);
    } else if (op === 8 && typeof n.value === 'string') {
      const s = n.value;
      const at = int(r, s.length + 1);
      n.parent[n.key] = s.slice(0, at) + String.fromCharCode(int(r, 128)) + s.slice(at + 1);
    }
  }
  return copy;
}

/** Mutates DER bytes: bit flips, truncation, byte insertion, length-octet damage. */
export function mutateDer(r: R, der: Buffer): Buffer {
  let b = Buffer.from(der);
  const count = 1 + int(r, 3);
  for (let i = 0; i < count; i++) {
    const op = int(r, 5);
    if (op === 0 && b.length) b[int(r, b.length)]! ^= 1 << int(r, 8);
    else if (op === 1) b = b.subarray(0, int(r, b.length));
    else if (op === 2) {
      const at = int(r, b.length + 1);
      b = Buffer.concat([b.subarray(0, at), randomBytes(r, 1 + int(r, 4)), b.subarray(at)]);
    } else if (op === 3 && b.length > 2) b[1 + int(r, Math.min(4, b.length - 1))] = pick(r, [0x80, 0x84, 0xff, 0x00, 0x81]);
    else if (op === 4 && b.length) b[int(r, b.length)] = pick(r, [0x30, 0x31, 0x02, 0x04, 0x06, 0xa0, 0x00]);
  }
  return b;
}

/**
 * The authenticated content of a bundle: its signed core (certificate, signature, payload) and
 * the sets of log entries and timestamps. A verified mutant is a finding unless its core is the
 * original's and its entries and timestamps are among the original's (dropping extra evidence
 * while the rest still verifies is not a change to authenticated bytes).
 */
function authenticated(bundleText: string): { core: string; entries: string[]; timestamps: string[] } | undefined {
  try {
    const b = parseBundle(bundleText);
    const hex = (x: Buffer | undefined) => x?.toString('hex') ?? '-';
    const core = [
      b.material.kind === 'certificate' ? hex(b.material.certificate.raw) : 'key', // the key hint is unauthenticated
      b.content.kind === 'messageSignature'
        ? hex(b.content.signature)
        : [hex(b.content.envelope.payload), b.content.envelope.payloadType, hex(b.content.envelope.signatures[0]?.sig)].join('/'),
    ].join('|');
    // An entry's proof and promise are each optional evidence (v0.1 needs only the promise):
    // a mutant may drop one, but what it keeps must be the original's.
    // The entry's own log index is authenticated by its SET only (without one, on a sharded
    // log it differs from the proven index, and the proven one is reported).
    const entries = b.tlogEntries.flatMap((e) => [
      [hex(e.canonicalizedBody), hex(e.logId), e.integratedTime].join('|'),
      ...(e.signedEntryTimestamp ? [`set|${hex(e.signedEntryTimestamp)}|${e.logIndex}`] : []),
      ...(e.inclusionProof ? [[
        hex(e.inclusionProof?.rootHash),
        e.inclusionProof?.treeSize,
        e.inclusionProof?.logIndex,
        e.inclusionProof?.checkpoint?.split('\n\n')[0],
        (e.inclusionProof?.hashes ?? []).map(hex).join(','),
      ].join('|')] : []),
    ]);
    return { core, entries, timestamps: b.timestamps.map(hex) };
  } catch {
    return undefined;
  }
}

function changedAuthenticated(original: string, mutated: string): boolean {
  const a = authenticated(original)!;
  const b = authenticated(mutated);
  if (!b) return true;
  return b.core !== a.core || b.entries.some((e) => !a.entries.includes(e)) || b.timestamps.some((t) => !a.timestamps.includes(t));
}

export interface FuzzReport {
  iterations: number;
  byTarget: Record<string, number>;
  rejected: number;
  accepted: number;
  findings: { seed: number; target: string; problem: string }[];
  slowestMs: number;
  /** Accepted mutants by input type (each checked by that type's false-acceptance oracle). */
  acceptedByTarget: Record<string, number>;
}

function isOurs(e: unknown): boolean {
  return e instanceof SigstoreError || e instanceof DerError;
}

const TARGETS = ['bundle', 'trusted-root', 'certificate', 'timestamp', 'pem-key', 'signing-config', 'trust-config'] as const;

/** Runs `iterations` fuzz inputs starting at `seed`; findings are saved under `saveDir`. */
export async function runFuzzCampaign({
  iterations,
  seed = 1,
  saveDir,
  hooks = {},
}: { iterations: number; seed?: number; saveDir?: string; hooks?: Partial<FuzzHooks> }): Promise<FuzzReport> {
  const h: FuzzHooks = { ...REAL, ...hooks };
  const genuine = await genuineBundles();
  const report: FuzzReport = { iterations: 0, byTarget: {}, rejected: 0, accepted: 0, findings: [], slowestMs: 0, acceptedByTarget: {} };
  const accepted = (target: string): void => {
    report.accepted++;
    report.acceptedByTarget[target] = (report.acceptedByTarget[target] ?? 0) + 1;
  };
  const falseAcceptance = (s: number, target: string, problem: string | undefined): void => {
    if (problem) report.findings.push({ seed: s, target, problem: `false acceptance: ${problem}` });
  };
  const verifiers = new Map<Genuine, Pick<Verifier, 'verify'>>(genuine.map((g) => [g, h.verifier(g.trust)]));
  const certs: { der: Buffer; g: Genuine }[] = [];
  const tokens: { token: Buffer; signature: Buffer; g: Genuine }[] = [];
  for (const g of genuine) {
    const b = parseBundle(g.bundle);
    if (b.material.kind === 'certificate') certs.push({ der: b.material.certificate.raw, g });
    const sig = b.content.kind === 'messageSignature' ? b.content.signature : b.content.envelope.signatures[0]!.sig;
    for (const t of b.timestamps) tokens.push({ token: t, signature: sig, g });
  }
  const keyCase = genuine.find((g) => 'key' in g.policy);
  // Signing configs and client trust configs: the public-good ones and the local instance's.
  const local = await localInstanceTrustConfig();
  const trustConfigs: Record<string, unknown>[] = [
    local,
    ...(['production', 'staging'] as const).map((i) => ({
      mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
      trustedRoot: EMBEDDED[i].trustedRoot,
      signingConfig: EMBEDDED[i].signingConfig,
    })),
  ];
  const signingConfigs = trustConfigs.map((c) => c.signingConfig);
  // A bundle each trust config's trusted root verifies: the instance's, a production and a staging one.
  const trustBundles: (Genuine | undefined)[] = [
    genuine.find((g) => g.name.startsWith('instance/')),
    genuine.find((g) => g.name === 'conformance/happy-path-v0.3'),
    genuine.find((g) => g.name.startsWith('pypi/rfc8785')),
  ];
  for (let i = 0; i < iterations; i++) {
    const s = seed + i;
    const r = rng(s);
    const target = TARGETS[s % TARGETS.length]!;
    report.byTarget[target] = (report.byTarget[target] ?? 0) + 1;
    const g = pick(r, genuine);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    let input: string | Buffer = '';
    try {
      if (target === 'bundle') {
        const mutated = JSON.stringify(mutateJson(r, JSON.parse(g.bundle)));
        input = mutated;
        try {
          await verifiers.get(g)!.verify(mutated, artifactOf(g), g.policy);
          accepted(target);
          falseAcceptance(s, target, changedAuthenticated(g.bundle, mutated) ? 'a bundle whose authenticated bytes changed verified' : undefined);
        } catch (e) {
          if (!isOurs(e)) throw e;
          report.rejected++;
        }
      } else if (target === 'trusted-root') {
        const mutatedJson = mutateJson(r, trustedRootJson(g.trust)) as Record<string, unknown>;
        const mutated = JSON.stringify(mutatedJson);
        input = mutated;
        try {
          const trust = parseTrustedRoot(mutated);
          await h.verifier(trust).verify(g.bundle, artifactOf(g), g.policy);
          accepted(target);
          falseAcceptance(s, target, await trustedRootFalseAcceptance(trustedRootJson(g.trust) as unknown as Record<string, unknown>, mutatedJson, g.bundle, artifactOf(g), g.policy));
        } catch (e) {
          if (!isOurs(e)) throw e;
          report.rejected++;
        }
      } else if (target === 'certificate') {
        const c = pick(r, certs);
        const der = mutateDer(r, c.der);
        input = der;
        try {
          readCertificate(der);
          // What parses goes into its bundle in place of the genuine leaf: a changed leaf must never verify.
          const bundle = substituteLeaf(c.g.bundle, der);
          if (bundle) {
            let verified = false;
            try {
              await verifiers.get(c.g)!.verify(bundle, artifactOf(c.g), c.g.policy);
              verified = true;
            } catch (e) {
              if (!isOurs(e)) throw e;
            }
            if (verified) falseAcceptance(s, target, der.equals(c.der) ? undefined : 'a bundle verified with a changed leaf certificate');
          }
          accepted(target);
        } catch (e) {
          if (!isOurs(e)) throw e;
          report.rejected++;
        }
      } else if (target === 'timestamp') {
        if (tokens.length === 0) continue;
        const t = pick(r, tokens);
        const der = mutateDer(r, t.token);
        input = der;
        try {
          const [ts] = h.verifyTimestamps([der], t.signature, t.g.trust);
          accepted(target);
          // A mutated token may still verify only if the change was outside what its signature covers.
          falseAcceptance(s, target, timestampFalseAcceptance(t.token, der, ts!.time));
        } catch (e) {
          if (!isOurs(e)) throw e;
          report.rejected++;
        }
      } else if (target === 'pem-key' && keyCase) {
        const pem = String((keyCase.policy as { key: string }).key);
        const body = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
        const mutatedBody = mutateDer(r, Buffer.from(body, 'base64')).toString('base64');
        const mutated = `-----BEGIN PUBLIC KEY-----\n${mutatedBody}\n-----END PUBLIC KEY-----\n`;
        input = mutated;
        try {
          await verifiers.get(keyCase)!.verify(keyCase.bundle, artifactOf(keyCase), { key: mutated });
          accepted(target);
          falseAcceptance(s, target, mutatedBody !== body ? 'a bundle verified with a mutated key' : undefined);
        } catch (e) {
          if (!isOurs(e)) throw e;
          report.rejected++;
        }
      } else if (target === 'signing-config') {
        const mutatedJson = mutateJson(r, pick(r, signingConfigs));
        const mutated = JSON.stringify(mutatedJson);
        input = mutated;
        try {
          const parsed = h.parseSigningConfig(mutated, 'fuzzed');
          accepted(target);
          falseAcceptance(s, target, signingConfigFalseAcceptance(mutatedJson, parsed));
        } catch (e) {
          // A malformed signing config is a TrustError, nothing else.
          if (!(e instanceof TrustError)) throw e;
          report.rejected++;
        }
      } else if (target === 'trust-config') {
        const which = int(r, trustConfigs.length);
        const mutatedJson = mutateJson(r, trustConfigs[which]) as Record<string, Record<string, unknown>>;
        const mutated = JSON.stringify(mutatedJson);
        input = mutated;
        try {
          const trustConfig = parseClientTrustConfig(mutated, 'fuzzed');
          // What parses must also select services (locally, no request) or refuse with our error.
          new Signer({ trustConfig, identityToken: 'x' }).services();
          accepted(target);
          falseAcceptance(s, target, signingConfigFalseAcceptance(mutatedJson.signingConfig, trustConfig.signingConfig));
          // Its trusted root verifies a bundle of that trust only on unchanged key material.
          const own = trustBundles[which]!;
          if (own) {
            let verified = false;
            try {
              await h.verifier(trustConfig.trustedRoot).verify(own.bundle, artifactOf(own), own.policy);
              verified = true;
            } catch (e) {
              if (!isOurs(e)) throw e;
            }
            const original = trustConfigs[which]!.trustedRoot as Record<string, unknown>;
            if (verified) falseAcceptance(s, target, await trustedRootFalseAcceptance(original, mutatedJson.trustedRoot!, own.bundle, artifactOf(own), own.policy));
          }
        } catch (e) {
          if (!isOurs(e)) throw e;
          report.rejected++;
        }
      }
    } catch (e) {
      report.findings.push({ seed: s, target, problem: `crash: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` });
    }
    const ms = performance.now() - started;
    report.slowestMs = Math.max(report.slowestMs, ms);
    // A hang is CPU spent on one input: wall time alone also counts the other jobs of a loaded
    // machine (a 1,012 ms wall-clock "finding" at load 15 took a few ms of CPU).
    const cpu = process.cpuUsage(cpuStarted);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (cpuMs > 1000) report.findings.push({ seed: s, target, problem: `slow: ${cpuMs.toFixed(0)} ms of CPU (${ms.toFixed(0)} ms wall)` });
    report.iterations++;
    if (saveDir && report.findings.at(-1)?.seed === s) {
      mkdirSync(saveDir, { recursive: true });
      writeFileSync(join(saveDir, `${target}-${s}.${typeof input === 'string' ? 'txt' : 'der'}`), input);
    }
  }
  return report;
}

export interface CliFuzzReport {
  runs: number;
  exitCodes: Record<string, number>;
  findings: { seed: number; problem: string }[];
  slowestMs: number;
}

function runVerify(args: string[], timeoutMs: number): Promise<TimedCliResult> {
  return runCliTimed(['verify', 'identity', ...args], { timeoutMs });
}

/**
 * A sample of mutated bundles through `bin/sigstore verify identity` (the built CLI): each must
 * exit 1 or 2 (or 0 when its authenticated bytes are unchanged), print one FAIL or error line
 * and no stack trace. Several processes at once (`parallel`).
 */
export async function runCliFuzz({ runs, seed = 1, parallel = 2, saveDir }: { runs: number; seed?: number; parallel?: number; saveDir?: string }): Promise<CliFuzzReport> {
  const genuine = (await genuineBundles()).filter((g) => g.identity && g.issuer && !g.artifactPath.startsWith('sha256:'));
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-clifuzz-'));
  const report: CliFuzzReport = { runs: 0, exitCodes: {}, findings: [], slowestMs: 0 };
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const s = seed + next++;
      const r = rng(s);
      const g = pick(r, genuine);
      const mutated = JSON.stringify(mutateJson(r, JSON.parse(g.bundle)));
      const bundlePath = join(dir, `bundle-${s}.json`);
      const rootPath = join(dir, `root-${s}.json`);
      writeFileSync(bundlePath, mutated);
      writeFileSync(rootPath, JSON.stringify(trustedRootJson(g.trust)));
      const res = await runVerify(['--offline', '--trusted-root', rootPath, '--cert-identity', g.identity!, '--cert-oidc-issuer', g.issuer!, '--bundle', bundlePath, g.artifactPath], 20_000);
      report.runs++;
      report.exitCodes[String(res.code)] = (report.exitCodes[String(res.code)] ?? 0) + 1;
      report.slowestMs = Math.max(report.slowestMs, res.ms);
      const lines = res.stderr.split('\n').filter((l) => l && !l.startsWith('warning:'));
      let problem: string | undefined;
      if (res.timedOut) problem = 'hang: no exit within 20 s';
      else if (hasStackTrace(res.stderr)) problem = `stack trace: ${res.stderr}`;
      else if (res.code === 0 && changedAuthenticated(g.bundle, mutated)) problem = 'a bundle whose authenticated bytes changed verified';
      else if (res.code !== 0 && res.code !== 1 && res.code !== 2) problem = `exit code ${res.code}: ${res.stderr}`;
      else if (res.code !== 0 && lines.length !== 1) problem = `not one line: ${res.stderr}`;
      if (problem) {
        report.findings.push({ seed: s, problem });
        if (saveDir) {
          mkdirSync(saveDir, { recursive: true });
          writeFileSync(join(saveDir, `cli-bundle-${s}.txt`), mutated);
        }
      }
      rmSync(bundlePath, { force: true });
      rmSync(rootPath, { force: true });
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
