/**
 * `sigstore verify identity|github`: verify inputs against bundles, offline, with an identity
 * policy (sigstore-python compatible flags), or a managed key (`--key`).
 */
import { readFileSync } from 'node:fs';
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
import type { VerificationResult } from '../verify/types.js';
import { type KeyPolicy, Verifier } from '../verify/verifier.js';
import { exclusive, flag, type Options, type Parsed, parse, shown, str, strs, trustFlags, usage } from './args.js';
import { describeResult } from './format.js';
import { jsonLine, verificationFailureToJson, verificationToJson } from './json-output.js';
import { showHashProgress, startProgress } from './progress.js';
import { type Input, readBundleText, resolveInputs } from './verify-inputs.js';

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
  'any-cert-identity': { type: 'string', multiple: true },
};

const IDENTITY_OPTS: Options = {
  ...COMMON,
  'cert-oidc-issuer': { type: 'string', multiple: true },
  'cert-oidc-issuer-regexp': { type: 'string', multiple: true },
  key: { type: 'string' },
  'unsafe-any-identity': { type: 'boolean' },
};

const GITHUB_OPTS: Options = {
  ...COMMON,
  trigger: { type: 'string', multiple: true },
  sha: { type: 'string', multiple: true },
  name: { type: 'string', multiple: true },
  repository: { type: 'string', multiple: true },
  ref: { type: 'string', multiple: true },
};

const COMMON_HELP = `  --bundle FILE           the Sigstore bundle to verify with (default: FILE.sigstore.json, then FILE.sigstore);
                          only with a single input ($SIGSTORE_BUNDLE)
  --certificate FILE, --cert FILE
                          a detached PEM certificate, with --signature ($SIGSTORE_CERTIFICATE)
  --signature FILE, --sig FILE
                          a detached base64 signature, with --certificate ($SIGSTORE_SIGNATURE)
  --offline               never use the network: trust material from the cache, else the embedded copy (also SIGSTORE_OFFLINE=1)
  --trusted-root FILE     the trusted root to verify against (default: the Sigstore public-good root)
  --json                  print one JSON object per input on stdout, one per line (JSON Lines), as
                          described by schemas/output.v1.schema.json in the package
  -q, --quiet             print only OK:/FAIL: lines, not what was verified
  -v, --verbose           more detail on failures (stack traces)
  -h, --help              show this help message and exit

environment:
  SIGSTORE_THREADS=N      verify many inputs on N threads (default: one per core from 64 inputs on,
                          else 1); anything but a positive whole number is a usage error`;

const HELP_IDENTITY = `usage: sigstore verify identity [options] --cert-identity IDENTITY --cert-oidc-issuer URL FILE_OR_DIGEST [FILE_OR_DIGEST ...]

verify that each input was signed by IDENTITY, as attested by the OIDC issuer URL.
An input is a file path or a digest sha256:<64 hex digits>.

options:
  --cert-identity IDENTITY        the identity to check for in the certificate's SAN ($SIGSTORE_CERT_IDENTITY)
  --any-cert-identity IDENTITY    accept any of several identities: give it once per identity
                                  (instead of --cert-identity, which may be given only once)
  --cert-identity-regexp REGEX    a fully anchored regular expression for the identity
  --cert-oidc-issuer URL          the OIDC issuer URL to check for in the certificate ($SIGSTORE_CERT_OIDC_ISSUER)
  --cert-oidc-issuer-regexp REGEX a fully anchored regular expression for the issuer
  --key FILE                      verify a managed-key bundle with this PEM public key (instead of an identity)
  --unsafe-any-identity           UNSAFE: accept any signer (every other check still runs)
${COMMON_HELP}
`;

const HELP_GITHUB = `usage: sigstore verify github [options] (--cert-identity IDENTITY | --repository REPO) FILE_OR_DIGEST [FILE_OR_DIGEST ...]

verify that each input was signed by a GitHub Actions workflow (issuer ${GITHUB_ISSUER}).

options:
  --cert-identity IDENTITY        the workflow identity (its URI) to check for ($SIGSTORE_CERT_IDENTITY)
  --any-cert-identity IDENTITY    accept any of several workflow identities: give it once per identity
  --cert-identity-regexp REGEX    a fully anchored regular expression for the identity
  --trigger EVENT                 the event that triggered the workflow, e.g. push
                                  ($SIGSTORE_VERIFY_GITHUB_WORKFLOW_TRIGGER)
  --sha SHA                       the commit SHA the workflow ran on ($SIGSTORE_VERIFY_GITHUB_WORKFLOW_SHA)
  --name NAME                     the workflow's name ($SIGSTORE_VERIFY_GITHUB_WORKFLOW_NAME)
  --repository REPO               the repository the workflow ran in, owner/name
                                  ($SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY)
  --ref REF                       the git ref the workflow ran on, e.g. refs/tags/v1.0.0
                                  ($SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF)
A flag wins over its environment variable; an empty variable counts as unset.
${COMMON_HELP}
`;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A flag that takes one value, else its environment variable (flag over variable; an empty
 * variable counts as unset). Given more than once it is a usage error: keeping the last, as
 * argparse does, would silently drop what the user asked for.
 */
function one(p: Parsed, name: string, env: Env, variable?: string): string | undefined {
  const given = strs(p, name);
  if (given.length > 1) usage(`--${name} was given ${given.length} times; it takes one value`);
  if (given.length === 1) return given[0];
  const e = variable === undefined ? undefined : env[variable];
  return e === undefined || e === '' ? undefined : e;
}

/**
 * The identities a policy accepts: exactly one of `--cert-identity` (once), `--any-cert-identity`
 * (once per identity: an explicit "any of") or `--cert-identity-regexp` (once), else
 * `$SIGSTORE_CERT_IDENTITY`. A repeated `--cert-identity` is refused, never widened to "any of".
 */
function identities(p: Parsed, env: Env): { ids: string[]; regexp: string | undefined } {
  const ids = strs(p, 'cert-identity');
  if (ids.length > 1) {
    usage(`--cert-identity was given ${ids.length} times; it takes one identity. To accept any of several identities, give each with --any-cert-identity`);
  }
  const anyOf = strs(p, 'any-cert-identity');
  exclusive(p, ['cert-identity', 'any-cert-identity', 'cert-identity-regexp']);
  const regexp = one(p, 'cert-identity-regexp', env);
  if (ids.length || anyOf.length || regexp !== undefined) return { ids: [...ids, ...anyOf], regexp };
  const fromEnv = one(p, 'cert-identity', env, 'SIGSTORE_CERT_IDENTITY');
  return { ids: fromEnv === undefined ? [] : [fromEnv], regexp: undefined };
}

function identityPolicy(p: Parsed, env: Env): VerificationPolicy | KeyPolicy {
  const key = str(p, 'key');
  exclusive(p, ['cert-oidc-issuer', 'cert-oidc-issuer-regexp']);
  const issuerRe = one(p, 'cert-oidc-issuer-regexp', env);
  const issuerFlag = one(p, 'cert-oidc-issuer', env);
  if (key) {
    const idFlags = ['cert-identity', 'any-cert-identity', 'cert-identity-regexp'].some((n) => strs(p, n).length > 0);
    if (idFlags || issuerFlag || issuerRe) usage('--key cannot be combined with identity flags');
    let pem: string;
    try {
      pem = readFileSync(key, 'utf8');
    } catch (e) {
      return usage(`cannot read key file ${key}: ${readFailure(e)}`);
    }
    return { key: pem };
  }
  if (flag(p, 'unsafe-any-identity')) {
    if (strs(p, 'cert-identity').length || strs(p, 'any-cert-identity').length || strs(p, 'cert-identity-regexp').length) {
      usage('--unsafe-any-identity cannot be combined with --cert-identity');
    }
    return unsafeAcceptAnyIdentity();
  }
  const { ids, regexp } = identities(p, env);
  const issuer = issuerRe === undefined ? (issuerFlag ?? one(p, 'cert-oidc-issuer', env, 'SIGSTORE_CERT_OIDC_ISSUER')) : undefined;
  if (ids.length === 0 && regexp === undefined) usage('the following arguments are required: --cert-identity (or --cert-identity-regexp, $SIGSTORE_CERT_IDENTITY)');
  if (!issuer && !issuerRe) usage('the following arguments are required: --cert-oidc-issuer (or --cert-oidc-issuer-regexp, $SIGSTORE_CERT_OIDC_ISSUER)');
  const alts = [
    ...ids.map((identity) => new Identity({ identity, issuer, issuerRegexp: issuerRe })),
    ...(regexp === undefined ? [] : [new Identity({ identityRegexp: regexp, issuer, issuerRegexp: issuerRe })]),
  ];
  return alts.length === 1 ? alts[0]! : new AnyOf(alts);
}

/** The `verify github` claims and their sigstore-python environment variables. */
const GITHUB_FIELDS: [string, ConstructorParameters<typeof ExtensionPolicy>[0], string][] = [
  ['trigger', 'githubWorkflowTrigger', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_TRIGGER'],
  ['sha', 'githubWorkflowSha', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_SHA'],
  ['name', 'githubWorkflowName', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_NAME'],
  ['repository', 'githubWorkflowRepository', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY'],
  ['ref', 'githubWorkflowRef', 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF'],
];

function githubPolicy(p: Parsed, env: Env): VerificationPolicy {
  const { ids, regexp } = identities(p, env);
  const claims = GITHUB_FIELDS.map(([flagName, field, variable]) => [field, one(p, flagName, env, variable)] as const);
  const repository = claims.find(([field]) => field === 'githubWorkflowRepository')![1];
  if (ids.length === 0 && regexp === undefined && !repository) {
    usage('verify github needs --cert-identity (or --cert-identity-regexp) or --repository, or both');
  }
  const parts: VerificationPolicy[] = [new ExtensionPolicy('issuer', { value: GITHUB_ISSUER })];
  const alts = [
    ...ids.map((identity) => new Identity({ identity, issuer: GITHUB_ISSUER })),
    ...(regexp === undefined ? [] : [new Identity({ identityRegexp: regexp, issuer: GITHUB_ISSUER })]),
  ];
  if (alts.length === 1) parts.push(alts[0]!);
  else if (alts.length > 1) parts.push(new AnyOf(alts));
  for (const [field, v] of claims) if (v !== undefined) parts.push(new ExtensionPolicy(field, { value: v }));
  return new AllOf(parts);
}

function loadBundle(path: string): ParsedBundle {
  return parseBundle(readBundleText(path));
}

/** Errors that mean a certificate, log or authority is not in the trusted root in use. */
const UNTRUSTED = new Set(['CHAIN_UNTRUSTED', 'TLOG_UNTRUSTED', 'SCT_UNTRUSTED_LOG', 'TIMESTAMP_UNTRUSTED_TSA']);
const INSTANCE_HINT = '; are you using the correct Sigstore instance? (--staging, --instance, --trust-config)';

/** From this many inputs on, bundles are verified by workers too (one thread per core). */
const PARALLEL_MIN_INPUTS = 64;

/**
 * Worker threads for `n` inputs: `SIGSTORE_THREADS` when set, else one per core from
 * PARALLEL_MIN_INPUTS on (node:os is loaded only then: a one-shot run does not need it).
 */
async function threadsFor(n: number): Promise<number> {
  const env = process.env.SIGSTORE_THREADS;
  if (env !== undefined && env !== '') {
    if (!/^[1-9]\d{0,3}$/.test(env)) usage(`SIGSTORE_THREADS must be a positive whole number (up to 9999), not ${JSON.stringify(env)}`);
    return Math.min(Number(env), n);
  }
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
  if (sub === 'slsa') return (await import('./verify-slsa.js')).run(rest);
  if (sub !== 'identity' && sub !== 'github') {
    if (argv.includes('-h') || argv.includes('--help')) {
      writeStdout(
        'usage: sigstore verify {identity,github,slsa} ...\n\n  identity   verify against a known identity and identity provider\n  github     verify against GitHub Actions-specific claims\n  slsa       verify SLSA provenance from slsa-github-generator\n',
      );
      return 0;
    }
    usage(sub ? `unknown verify mode '${shown(sub)}' (choose from identity, github, slsa)` : 'verify needs a mode: identity, github or slsa');
  }
  const p = parse(rest, sub === 'identity' ? IDENTITY_OPTS : GITHUB_OPTS);
  if (flag(p, 'help')) {
    writeStdout(sub === 'identity' ? HELP_IDENTITY : HELP_GITHUB);
    return 0;
  }
  const env: Env = process.env;
  const trustSource = trustSourceFromFlags(trustFlags(p));
  // Detached --certificate/--signature (no bundle): the entry is looked up in the Rekor v1 log.
  exclusive(p, ['certificate', 'cert']);
  exclusive(p, ['signature', 'sig']);
  const certPath = str(p, 'certificate') ?? str(p, 'cert') ?? one(p, 'certificate', env, 'SIGSTORE_CERTIFICATE');
  const sigPath = str(p, 'signature') ?? str(p, 'sig') ?? one(p, 'signature', env, 'SIGSTORE_SIGNATURE');
  const bundleFlag = one(p, 'bundle', env, 'SIGSTORE_BUNDLE');
  const detachedFlags = certPath || sigPath ? { certPath, sigPath } : undefined;
  if (detachedFlags) {
    if (flag(p, 'offline')) usage('--certificate/--signature verification needs the transparency log: it cannot be used with --offline');
    if (bundleFlag) usage('--bundle cannot be combined with --certificate/--signature');
    if (str(p, 'key')) usage('--key cannot be combined with --certificate/--signature');
  }
  const policy = sub === 'identity' ? identityPolicy(p, env) : githubPolicy(p, env);
  const inputs = resolveInputs(p.positionals, bundleFlag, detachedFlags);
  const active = detachedFlags ? await loadTrust(trustSource) : undefined;
  const trust = active?.trustMaterial ?? (await loadTrustMaterial(trustSource));
  const verifier = new Verifier(trust);
  const verbose = flag(p, 'verbose');
  const json = flag(p, 'json');
  const quiet = flag(p, 'quiet');
  let failed = 0;
  const threads = detachedFlags ? 1 : await threadsFor(inputs.length);
  const progress = await startProgress(inputs.length, 'verifying', !quiet);
  await showHashProgress(!quiet);
  if (threads > 1) progress.update(0, `${inputs.length} inputs on ${threads} threads`);
  const parallel = threads > 1 ? await verifyAll(inputs, trust, policy, threads) : undefined;
  for (const [i, input] of inputs.entries()) {
    progress.update(i, input.label);
    let result: VerificationResult | undefined;
    let error: Error | undefined;
    try {
      const done = parallel?.[i];
      if (done) {
        if ('error' in done) throw done.error;
        result = done.result;
      } else if (input.detached && active) {
        const { verifyDetached } = await import('../sign/detached.js');
        const { certPath: c, sigPath: s } = input.detached;
        result = await verifyDetached({ certPath: c, sigPath: s, artifact: input.artifact, active, verifier, policy: policy as VerificationPolicy });
      } else {
        result = await verifier.verify(loadBundle(input.bundlePath), input.artifact, policy);
      }
    } catch (e) {
      if (e instanceof UsageError && !(e instanceof VerificationError) && e.code !== 'INPUT_UNREADABLE' && e.code !== 'BUNDLE_UNREADABLE') throw e;
      error = e as Error;
    }
    if (result) {
      // bin/sigstore keeps the V8 code cache of a run that verified something (see there).
      (globalThis as Record<symbol, unknown>)[Symbol.for('sigstore-ts.verified')] = true;
      progress.print(`OK: ${input.label}\n${quiet ? '' : describeResult(result)}`);
      if (json) writeStdout(jsonLine(verificationToJson(input.label, input.detached ? null : input.bundlePath, result)));
      // As sigstore-python: a DSSE bundle's verified in-toto statement goes to stdout after OK.
      else if (result.statement && result.bundle.content.kind === 'dsseEnvelope') writeStdout(`${result.bundle.content.envelope.payload.toString('utf8')}\n`);
    } else {
      failed++;
      const step = error instanceof VerificationError ? ` [${error.step}]` : '';
      const hint = error instanceof VerificationError && UNTRUSTED.has(error.code) ? INSTANCE_HINT : '';
      progress.print(`FAIL: ${input.label}${step}: ${error!.message}${hint}\n`);
      if (verbose && error?.stack) progress.print(`${error.stack}\n`);
      if (json) writeStdout(jsonLine(verificationFailureToJson(input.label, input.detached ? null : input.bundlePath, error)));
    }
  }
  progress.end();
  if (inputs.length > 1) writeStderr(`${inputs.length - failed} verified, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}
