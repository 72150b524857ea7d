/**
 * `sigstore verify identity|github`: verify inputs against bundles, offline, with an identity
 * policy (sigstore-python compatible flags), or a managed key (`--key`).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ParsedBundle } from '../bundle/parse.js';
import { parseBundle } from '../bundle/parse.js';
import { UsageError, VerificationError } from '../errors.js';
import { readFailure } from '../lib/input-file.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { trustSourceFromFlags } from '../trust/instances.js';
import { loadTrust, loadTrustMaterial } from '../trust/load.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import type { VerifyManyItem } from '../verify/pool.js';
import { AllOf, AnyOf, ExtensionPolicy, Identity, unsafeAcceptAnyIdentity, type VerificationPolicy } from '../verify/policy.js';
import type { Artifact, VerificationResult } from '../verify/types.js';
import { type KeyPolicy, Verifier } from '../verify/verifier.js';
import { exclusive, flag, type Options, type Parsed, parse, str, strs, trustFlags, usage } from './args.js';
import { describeResult, resultToJson } from './format.js';
import { readDocumentOr, requireRegularFile } from './input.js';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

const COMMON: Options = {
  bundle: { type: 'string' },
  certificate: { type: 'string' },
  cert: { type: 'string' },
  signature: { type: 'string' },
  sig: { type: 'string' },
  offline: { type: 'boolean' },
  'trusted-root': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'cert-identity': { type: 'string', multiple: true },
  'cert-identity-regexp': { type: 'string', multiple: true },
};

const IDENTITY_OPTS: Options = {
  ...COMMON,
  'cert-oidc-issuer': { type: 'string' },
  'cert-oidc-issuer-regexp': { type: 'string' },
  key: { type: 'string' },
  'unsafe-any-identity': { type: 'boolean' },
};

const GITHUB_OPTS: Options = {
  ...COMMON,
  trigger: { type: 'string' },
  sha: { type: 'string' },
  name: { type: 'string' },
  repository: { type: 'string' },
  ref: { type: 'string' },
};

const COMMON_HELP = `  --bundle FILE           the Sigstore bundle to verify with (default: FILE.sigstore.json, then FILE.sigstore);
                          only with a single input
  --offline               never use the network: trust material from the cache, else the embedded copy (also SIGSTORE_OFFLINE=1)
  --trusted-root FILE     the trusted root to verify against (default: the Sigstore public-good root)
  --json                  print the structured verification results as JSON on stdout
  -q, --quiet             print only OK:/FAIL: lines, not what was verified
  -v, --verbose           more detail on failures (stack traces)
  -h, --help              show this help message and exit`;

const HELP_IDENTITY = `usage: sigstore verify identity [options] --cert-identity IDENTITY --cert-oidc-issuer URL FILE_OR_DIGEST [FILE_OR_DIGEST ...]

verify that each input was signed by IDENTITY, as attested by the OIDC issuer URL.
An input is a file path or a digest sha256:<64 hex digits>.

options:
  --cert-identity IDENTITY        the identity to check for in the certificate's SAN; repeatable ("any of")
  --cert-identity-regexp REGEX    a fully anchored regular expression for the identity; repeatable
  --cert-oidc-issuer URL          the OIDC issuer URL to check for in the certificate
  --cert-oidc-issuer-regexp REGEX a fully anchored regular expression for the issuer
  --key FILE                      verify a managed-key bundle with this PEM public key (instead of an identity)
  --unsafe-any-identity           UNSAFE: accept any signer (every other check still runs)
${COMMON_HELP}
`;

const HELP_GITHUB = `usage: sigstore verify github [options] (--cert-identity IDENTITY | --repository REPO) FILE_OR_DIGEST [FILE_OR_DIGEST ...]

verify that each input was signed by a GitHub Actions workflow (issuer ${GITHUB_ISSUER}).

options:
  --cert-identity IDENTITY        the workflow identity (its URI) to check for; repeatable ("any of")
  --cert-identity-regexp REGEX    a fully anchored regular expression for the identity; repeatable
  --trigger EVENT                 the event that triggered the workflow (e.g. push)
  --sha SHA                       the commit SHA the workflow ran on
  --name NAME                     the workflow's name
  --repository REPO               the repository the workflow ran in (owner/name)
  --ref REF                       the git ref the workflow ran on (e.g. refs/tags/v1.0.0)
${COMMON_HELP}
`;

/** One input to verify: the artifact and where its bundle is. */
interface Input {
  label: string;
  artifact: Artifact;
  bundlePath: string;
}

const DIGEST_RE = /^sha256:([0-9a-fA-F]{64})$/;

/** Resolves FILE_OR_DIGEST arguments and their bundles, refusing bad inputs before any work. */
function resolveInputs(positionals: string[], bundleFlag: string | undefined): Input[] {
  if (positionals.length === 0) usage('at least one FILE_OR_DIGEST is required');
  if (bundleFlag && positionals.length > 1) usage('--bundle can only be used with a single input');
  const dup = positionals.find((p, i) => positionals.indexOf(p) !== i);
  if (dup !== undefined) usage(`input ${dup} is given more than once`);
  return positionals.map((p) => {
    const m = p.match(DIGEST_RE);
    let artifact: Artifact;
    if (m && !existsSync(p)) {
      if (!bundleFlag) usage(`a digest input (${p}) needs --bundle`);
      artifact = { digest: { algorithm: 'sha256', value: Buffer.from(m[1]!, 'hex') } };
    } else {
      requireRegularFile(p, 'input');
      artifact = { path: p };
    }
    let bundlePath = bundleFlag;
    if (!bundlePath) {
      bundlePath = [`${p}.sigstore.json`, `${p}.sigstore`].find((c) => existsSync(c));
      if (!bundlePath) usage(`no bundle found for ${p} (looked for ${p}.sigstore.json and ${p}.sigstore); give one with --bundle`);
    }
    return { label: p, artifact, bundlePath: bundlePath! };
  });
}

function identityPolicy(p: Parsed): VerificationPolicy | KeyPolicy {
  const key = str(p, 'key');
  const ids = strs(p, 'cert-identity');
  const idRes = strs(p, 'cert-identity-regexp');
  const issuer = str(p, 'cert-oidc-issuer');
  const issuerRe = str(p, 'cert-oidc-issuer-regexp');
  exclusive(p, ['cert-oidc-issuer', 'cert-oidc-issuer-regexp']);
  if (key) {
    if (ids.length || idRes.length || issuer || issuerRe) usage('--key cannot be combined with identity flags');
    let pem: string;
    try {
      pem = readFileSync(key, 'utf8');
    } catch (e) {
      return usage(`cannot read key file ${key}: ${readFailure(e)}`);
    }
    return { key: pem };
  }
  if (flag(p, 'unsafe-any-identity')) {
    if (ids.length || idRes.length) usage('--unsafe-any-identity cannot be combined with --cert-identity');
    return unsafeAcceptAnyIdentity();
  }
  if (ids.length === 0 && idRes.length === 0) usage('the following arguments are required: --cert-identity (or --cert-identity-regexp)');
  if (!issuer && !issuerRe) usage('the following arguments are required: --cert-oidc-issuer (or --cert-oidc-issuer-regexp)');
  const alts = [
    ...ids.map((identity) => new Identity({ identity, issuer, issuerRegexp: issuerRe })),
    ...idRes.map((identityRegexp) => new Identity({ identityRegexp, issuer, issuerRegexp: issuerRe })),
  ];
  return alts.length === 1 ? alts[0]! : new AnyOf(alts);
}

function githubPolicy(p: Parsed): VerificationPolicy {
  const ids = strs(p, 'cert-identity');
  const idRes = strs(p, 'cert-identity-regexp');
  const repository = str(p, 'repository');
  if (ids.length === 0 && idRes.length === 0 && !repository) usage('verify github needs --cert-identity (or --cert-identity-regexp) or --repository, or both');
  const parts: VerificationPolicy[] = [new ExtensionPolicy('issuer', { value: GITHUB_ISSUER })];
  const alts = [
    ...ids.map((identity) => new Identity({ identity, issuer: GITHUB_ISSUER })),
    ...idRes.map((identityRegexp) => new Identity({ identityRegexp, issuer: GITHUB_ISSUER })),
  ];
  if (alts.length === 1) parts.push(alts[0]!);
  else if (alts.length > 1) parts.push(new AnyOf(alts));
  const fields: [string, ConstructorParameters<typeof ExtensionPolicy>[0]][] = [
    ['trigger', 'githubWorkflowTrigger'],
    ['sha', 'githubWorkflowSha'],
    ['name', 'githubWorkflowName'],
    ['repository', 'githubWorkflowRepository'],
    ['ref', 'githubWorkflowRef'],
  ];
  for (const [flagName, field] of fields) {
    const v = str(p, flagName);
    if (v !== undefined) parts.push(new ExtensionPolicy(field, { value: v }));
  }
  return new AllOf(parts);
}


function loadBundle(path: string): ParsedBundle {
  return parseBundle(readBundleText(path));
}

/** Reads a bundle file's text, refusing what cannot be a bundle (UsageError BUNDLE_UNREADABLE). */
function readBundleText(path: string): string {
  return readDocumentOr(path, 'BUNDLE_UNREADABLE', 'bundle').toString('utf8');
}

/** From this many inputs on, bundles are verified by workers too (one thread per core). */
const PARALLEL_MIN_INPUTS = 64;

/**
 * Worker threads for `n` inputs: `SIGSTORE_THREADS` when set, else one per core from
 * PARALLEL_MIN_INPUTS on (node:os is loaded only then: a one-shot run does not need it).
 */
async function threadsFor(n: number): Promise<number> {
  const env = process.env.SIGSTORE_THREADS;
  if (env !== undefined && /^[1-9]\d*$/.test(env)) return Math.min(Number(env), n);
  return n >= PARALLEL_MIN_INPUTS ? Math.min((await import('node:os')).availableParallelism(), n) : 1;
}

/**
 * Verifies every input on the calling thread and `threads - 1` worker threads; one outcome per
 * input, in order. The workers start first and boot while the bundles are read here (the same
 * errors as one at a time); they parse and verify them.
 */
async function verifyAll(inputs: Input[], trust: TrustMaterial, policy: VerificationPolicy | KeyPolicy, threads: number): Promise<({ result: VerificationResult } | { error: Error })[]> {
  const { VerifierPool } = await import('../verify/pool.js');
  const pool = await VerifierPool.start(trust, { workers: threads - 1, callingThread: true });
  try {
    const out: ({ result: VerificationResult } | { error: Error })[] = new Array(inputs.length);
    const items: VerifyManyItem[] = [];
    const at: number[] = [];
    inputs.forEach((input, i) => {
      try {
        items.push({ bundle: readBundleText(input.bundlePath), artifact: input.artifact });
        at.push(i);
      } catch (e) {
        out[i] = { error: e as Error };
      }
    });
    const outcomes = await pool.verifyMany(items, policy);
    outcomes.forEach((o, k) => {
      out[at[k]!] = o.ok ? { result: o.result } : { error: o.error };
    });
    return out;
  } finally {
    await pool.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0]?.startsWith('-') ? undefined : argv[0];
  const rest = sub === undefined ? argv : argv.slice(1);
  if (sub !== 'identity' && sub !== 'github') {
    if (argv.includes('-h') || argv.includes('--help')) {
      writeStdout('usage: sigstore verify {identity,github} ...\n\n  identity   verify against a known identity and identity provider\n  github     verify against GitHub Actions-specific claims\n');
      return 0;
    }
    usage(sub ? `unknown verify mode '${sub}' (choose from identity, github)` : 'verify needs a mode: identity or github');
  }
  const p = parse(rest, sub === 'identity' ? IDENTITY_OPTS : GITHUB_OPTS);
  if (flag(p, 'help')) {
    writeStdout(sub === 'identity' ? HELP_IDENTITY : HELP_GITHUB);
    return 0;
  }
  const trustSource = trustSourceFromFlags(trustFlags(p));
  // Detached --certificate/--signature (no bundle): the entry is looked up in the Rekor v1 log.
  const certPath = str(p, 'certificate') ?? str(p, 'cert');
  const sigPath = str(p, 'signature') ?? str(p, 'sig');
  if (certPath || sigPath) {
    if (flag(p, 'offline')) usage('--certificate/--signature verification needs the transparency log: it cannot be used with --offline');
    if (!certPath || !sigPath) usage('--certificate and --signature must be given together');
    if (str(p, 'bundle')) usage('--bundle cannot be combined with --certificate/--signature');
    if (p.positionals.length > 1) usage('--certificate and --signature can only be used with a single input');
    if (str(p, 'key')) usage('--key cannot be combined with --certificate/--signature');
  }
  const policy = sub === 'identity' ? identityPolicy(p) : githubPolicy(p);
  const inputs = resolveInputs(p.positionals, str(p, 'bundle') ?? certPath);
  const active = certPath ? await loadTrust(trustSource) : undefined;
  const trust = active?.trustMaterial ?? (await loadTrustMaterial(trustSource));
  const verifier = new Verifier(trust);
  const verbose = flag(p, 'verbose');
  const json = flag(p, 'json');
  const quiet = flag(p, 'quiet');
  const out: unknown[] = [];
  let failed = 0;
  const threads = certPath ? 1 : await threadsFor(inputs.length);
  const parallel = threads > 1 ? await verifyAll(inputs, trust, policy, threads) : undefined;
  for (const [i, input] of inputs.entries()) {
    let result: VerificationResult | undefined;
    let error: Error | undefined;
    try {
      const done = parallel?.[i];
      if (done) {
        if ('error' in done) throw done.error;
        result = done.result;
      } else if (certPath && sigPath && active) {
        const { verifyDetached } = await import('../sign/detached.js');
        result = await verifyDetached({ certPath, sigPath, artifact: input.artifact, active, verifier, policy: policy as VerificationPolicy });
      } else {
        result = await verifier.verify(loadBundle(input.bundlePath), input.artifact, policy);
      }
    } catch (e) {
      if (e instanceof UsageError && !(e instanceof VerificationError) && e.code !== 'INPUT_UNREADABLE' && e.code !== 'BUNDLE_UNREADABLE') throw e;
      error = e as Error;
    }
    if (result) {
      writeStderr(`OK: ${input.label}\n${quiet ? '' : describeResult(result)}`);
      if (json) out.push(resultToJson(input.label, input.bundlePath, result));
    } else {
      failed++;
      const step = error instanceof VerificationError ? ` [${error.step}]` : '';
      writeStderr(`FAIL: ${input.label}${step}: ${error!.message}\n`);
      if (verbose && error?.stack) writeStderr(`${error.stack}\n`);
      if (json) {
        const e = error as Partial<VerificationError>;
        out.push({ input: input.label, bundle: input.bundlePath, verified: false, error: { step: e.step, code: e.code, message: error!.message } });
      }
    }
  }
  if (json) writeStdout(`${JSON.stringify(out, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}
