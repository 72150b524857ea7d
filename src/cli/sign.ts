/**
 * `sigstore sign FILE...` (sigstore-python compatible): signs each input with one ephemeral key
 * and one Fulcio certificate, uploads to the transparency log(s) of the signing config, adds RFC
 * 3161 timestamps, verifies each bundle, and only then writes the outputs (atomically).
 *
 * Everything that can be checked locally is checked before any network request: the inputs
 * exist, no output exists already (without `--overwrite`), the trust material and signing
 * config load and offer the services needed.
 *
 * Also the shared machinery of `sigstore attest`: trust loading, identity, the session.
 */
import { basename, join } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import type { JsonObject } from '../lib/json.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import type { GetIdentityTokenOptions } from '../oidc/index.js';
import type { KeyType } from '../sign/keys.js';
import type { SigningKind } from '../sign/preflight.js';
import type { BundleJson } from '../bundle/serialize.js';
import type { Signer, SignerOptions } from '../sign/signer.js';
import { parseSigningConfig, type SigningConfig } from '../trust/signing-config.js';
import { parseTrustedRoot, type TrustMaterial } from '../trust/trusted-root.js';
import { exclusive, flag, offlineFromEnv, type Options, type Parsed, parse, str, usage } from './args.js';
import { envFlag, IDENTITY_HELP, IDENTITY_OPTIONS, identityOptions } from './get-identity-token.js';
import { readDocumentOr, requireRegularFile } from './input.js';
import { showHashProgress, startProgress } from './progress.js';
import { ensureOutputDirectory, planOutputs } from './output.js';
import { type OutputFile, writeAllAtomic } from './write-outputs.js';

/** Options every signing command takes (identity, trust, Rekor, key type, outputs). */
export const SIGNING_OPTIONS: Options = {
  ...IDENTITY_OPTIONS,
  'rekor-version': { type: 'string' },
  'key-type': { type: 'string' },
  'trusted-root': { type: 'string' },
  'signing-config': { type: 'string' },
  'output-directory': { type: 'string' },
  overwrite: { type: 'boolean' },
  conformance: { type: 'boolean' },
  bundle: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};

const SIGN_OPTIONS: Options = {
  ...SIGNING_OPTIONS,
  signature: { type: 'string' },
  'output-signature': { type: 'string' },
  certificate: { type: 'string' },
  'output-certificate': { type: 'string' },
  'no-default-files': { type: 'boolean' },
};

/** Help text of the options shared by sign and attest. */
export const SIGNING_HELP = `Sigstore instance options:
  --staging             use sigstore's staging instance ($SIGSTORE_STAGING)
  --instance URL        use a Sigstore instance by its TUF repository URL (pinned with trust-instance)
  --trust-config FILE   the client trust configuration (trusted root and signing config) to use
  --rekor-version {1,2} the Rekor API version to upload to (default: $SIGSTORE_REKOR_VERSION, else the
                        highest the signing config offers)
  --key-type {p256,p384,ed25519}
                        the ephemeral key type (default: $SIGSTORE_KEY_TYPE, else p256)
  $SIGSTORE_OFFLINE     a true value loads the trust material from the cache or the embedded copy
                        without refreshing it (signing itself still needs the services)

${IDENTITY_HELP}`;

const HELP = `usage: sigstore sign [-h] [-v] [-q] [--json] [--bundle FILE] [--signature FILE --certificate FILE]
                     [--output-directory DIR] [--no-default-files] [--overwrite] [identity options]
                     FILE [FILE ...]

sign one or more inputs: each gets a Sigstore bundle (FILE.sigstore.json by default).
'-' reads the input from standard input (its outputs must then be named explicitly).
Prints, as sigstore-python does, "Transparency log entry created at index: N", the signature
(base64, unless --signature writes it) and "Sigstore bundle written to F" (and "Signature/Certificate
written to F") on stdout; with -v also the signing certificate ("Using ephemeral certificate:");
a summary line per input on stderr.

positional arguments:
  FILE                  the file to sign

output options:
  --bundle FILE         write a single Sigstore bundle to FILE (single input only; default
                        FILE.sigstore.json; $SIGSTORE_BUNDLE)
  --signature FILE, --output-signature FILE
                        write a single signature (base64) to FILE (single input only; only
                        together with --certificate; $SIGSTORE_OUTPUT_SIGNATURE)
  --certificate FILE, --output-certificate FILE
                        write a single signing certificate (PEM) to FILE (single input only; only
                        together with --signature; $SIGSTORE_OUTPUT_CERTIFICATE)
  --output-directory DIR
                        write the default outputs to DIR instead of next to each input; created
                        when missing ($SIGSTORE_OUTPUT_DIRECTORY)
  --no-default-files    do not write the default FILE.sigstore.json; not with --bundle; the
                        signature is then printed on stdout unless --signature writes it
                        ($SIGSTORE_NO_DEFAULT_FILES)
  --overwrite           overwrite existing outputs ($SIGSTORE_OVERWRITE); without it, nothing is
                        signed when any output exists
  -q, --quiet           print nothing but errors (and a signature nothing else records)
  --json                print one JSON object per input on stdout (JSON Lines; schema
                        schemas/output.v1.schema.json), nothing else there

${SIGNING_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

/** A flag's value, else its environment variable (non-empty). */
export function strOrEnv(p: Parsed, name: string, env: Env, variable: string): string | undefined {
  const v = str(p, name);
  if (v !== undefined) return v;
  const e = env[variable];
  return e === undefined || e === '' ? undefined : e;
}

/** The input files, refused before any work: missing, directories, special files, repeated. */
export function resolveInputs(positionals: string[], what = 'FILE'): string[] {
  if (positionals.length === 0) usage(`at least one ${what} is required`);
  const seen = new Set<string>();
  let stdin = 0;
  for (const p of positionals) {
    if (seen.has(p)) usage(`input ${p} is given more than once`);
    seen.add(p);
    if (p === '-') {
      stdin++;
      continue;
    }
    requireRegularFile(p, 'input', " (use '-' to read standard input)");
  }
  if (stdin > 1) usage("standard input ('-') can be given only once");
  return positionals;
}

/** Reads all of standard input. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Trust for signing: the trusted root and the signing config, from files or the instance. With
 * `rekorVersion: 2` the public-good instances (production, staging) sign with their opt-in
 * Rekor v2 signing config (signing_config_rekor_v2.v0.2.json).
 */
export async function loadSigningTrust(p: Parsed, o: { rekorVersion?: 1 | 2 } = {}): Promise<{ trustedRoot: TrustMaterial; signingConfig: SigningConfig }> {
  const trustedRootFile = str(p, 'trusted-root');
  const signingConfigFile = str(p, 'signing-config');
  const trustConfig = str(p, 'trust-config');
  const staging = flag(p, 'staging');
  const instance = str(p, 'instance');
  const { readTrustFile } = await import('../trust/load.js');
  if (trustConfig) {
    if (trustedRootFile || signingConfigFile) usage('--trust-config cannot be combined with --trusted-root or --signing-config');
    exclusive(p, ['trust-config', 'staging', 'instance']);
    const { parseClientTrustConfig } = await import('../trust/client-config.js');
    const cfg = parseClientTrustConfig(readTrustFile(trustConfig, 'trust config'), trustConfig);
    return { trustedRoot: cfg.trustedRoot, signingConfig: cfg.signingConfig };
  }
  const { trustSourceFromFlags } = await import('../trust/instances.js');
  // SIGSTORE_OFFLINE=1: the trust material from the cache or the embedded copy (signing itself still needs the services).
  const source = trustSourceFromFlags({ staging, instance, trustCache: str(p, 'trust-cache'), offline: offlineFromEnv() });
  const { loadTrust } = await import('../trust/load.js');
  let trustedRoot: TrustMaterial;
  let signingConfigJson: JsonObject | undefined;
  if (trustedRootFile && signingConfigFile) {
    trustedRoot = parseTrustedRoot(readTrustFile(trustedRootFile, 'trusted root'), trustedRootFile);
    return { trustedRoot, signingConfig: parseSigningConfig(readTrustFile(signingConfigFile, 'signing config'), signingConfigFile) };
  }
  const active = await loadTrust({ ...source, purpose: 'sign' });
  trustedRoot = trustedRootFile ? parseTrustedRoot(readTrustFile(trustedRootFile, 'trusted root'), trustedRootFile) : active.trustMaterial;
  if (signingConfigFile) return { trustedRoot, signingConfig: parseSigningConfig(readTrustFile(signingConfigFile, 'signing config'), signingConfigFile) };
  if (o.rekorVersion === 2 && !instance) {
    const which = staging ? 'staging' : 'production';
    const { rekorV2SigningConfig } = await import('../sign/rekor-v2-config.js');
    return { trustedRoot, signingConfig: parseSigningConfig(rekorV2SigningConfig(which), `the ${which} Rekor v2 signing config (signing_config_rekor_v2.v0.2.json)`) };
  }
  signingConfigJson = active.signingConfigJson;
  if (!signingConfigJson) {
    const { EMBEDDED } = await import('../trust/embedded.js');
    if (!instance) signingConfigJson = EMBEDDED[staging ? 'staging' : 'production'].signingConfig;
    else throw new SigstoreError('NO_SIGNING_CONFIG', `the instance ${instance} publishes no signing config; use --trust-config`);
  }
  return { trustedRoot, signingConfig: parseSigningConfig(signingConfigJson, active.origin.description) };
}

/**
 * The Signer a command line asks for (Rekor version, key type, identity), checked without any
 * request: the services it selects, and that `kind` (artifacts or DSSE) can be signed with them.
 */
export async function signerFromArgs(p: Parsed, env: Env = process.env, kind: SigningKind = 'artifact'): Promise<{ signer: Signer; describe: () => string }> {
  const rekor = strOrEnv(p, 'rekor-version', env, 'SIGSTORE_REKOR_VERSION');
  if (rekor !== undefined && rekor !== '1' && rekor !== '2') usage(`--rekor-version must be 1 or 2, not ${JSON.stringify(rekor)}`);
  const keyType = strOrEnv(p, 'key-type', env, 'SIGSTORE_KEY_TYPE');
  if (keyType !== undefined && !['p256', 'p384', 'ed25519'].includes(keyType)) usage(`--key-type must be p256, p384 or ed25519, not ${JSON.stringify(keyType)}`);
  const conformance = flag(p, 'conformance');
  if (conformance && str(p, 'identity-token') === undefined) usage('--identity-token is required');
  const { trustedRoot, signingConfig } = await loadSigningTrust(p, rekor ? { rekorVersion: Number(rekor) as 1 | 2 } : {});

  // The OIDC issuer of the interactive login: the signing config's, unless given.
  let oidcIssuer: string | undefined;
  if (signingConfig.oidcUrls.length > 0) {
    const { selectService } = await import('../sign/select.js');
    try {
      oidcIssuer = selectService(signingConfig.oidcUrls, { versions: [1], what: 'OIDC provider' }).url;
    } catch {
      oidcIssuer = undefined;
    }
  }
  const idOptions: GetIdentityTokenOptions = identityOptions(p, env, oidcIssuer ? { issuer: oidcIssuer } : {});
  if (conformance) {
    idOptions.disableAmbientProviders = true;
    idOptions.interactive = false;
  }
  const verbose = flag(p, 'verbose');
  const log = verbose ? (m: string) => writeStderr(`${m}\n`) : undefined;
  if (log) idOptions.log = log;
  const { Signer } = await import('../sign/signer.js');
  const options: SignerOptions = {
    trustedRoot,
    signingConfig,
    tokenProvider: async () => {
      const { getIdentityToken } = await import('../oidc/index.js');
      return getIdentityToken(idOptions);
    },
    ...(rekor ? { rekorVersion: Number(rekor) as 1 | 2 } : {}),
    ...(keyType ? { keyType: keyType as KeyType } : {}),
    ...(idOptions.audience ? { audience: idOptions.audience } : {}),
    ...(log ? { log } : {}),
  };
  const signer = new Signer(options);
  // Service selection is local: a signing config or key type that cannot work fails before any request.
  const services = signer.services();
  signer.preflight(kind);
  const describe = () =>
    `Fulcio ${services.fulcio}; Rekor ${services.rekor.map((r) => `v${r.version} ${r.url}`).join(', ')}${services.tsa.length ? `; TSA ${services.tsa.join(', ')}` : ''}`;
  log?.(`services: ${describe()}`);
  return { signer, describe };
}

/** Where one input's outputs go. */
export interface Planned {
  input: string;
  bundle: string | undefined;
  signature: string | undefined;
  certificate: string | undefined;
}

function plan(p: Parsed, inputs: string[], env: Env): { planned: Planned[]; outDir: string | undefined } {
  const bundle = strOrEnv(p, 'bundle', env, 'SIGSTORE_BUNDLE');
  exclusive(p, ['signature', 'output-signature']);
  exclusive(p, ['certificate', 'output-certificate']);
  const signature = str(p, 'signature') ?? str(p, 'output-signature') ?? (env.SIGSTORE_OUTPUT_SIGNATURE || undefined);
  const certificate = str(p, 'certificate') ?? str(p, 'output-certificate') ?? (env.SIGSTORE_OUTPUT_CERTIFICATE || undefined);
  const outDir = strOrEnv(p, 'output-directory', env, 'SIGSTORE_OUTPUT_DIRECTORY');
  const noDefault = flag(p, 'no-default-files') || envFlag(env, 'SIGSTORE_NO_DEFAULT_FILES');
  // sigstore-python's rules, in its order.
  if (noDefault && bundle) usage('--no-default-files may not be combined with --bundle');
  if (inputs.length > 1 && (bundle || signature || certificate)) {
    usage('--bundle, --signature and --certificate can only be used with a single input (use --output-directory for several)');
  }
  if (outDir && (bundle || signature || certificate)) usage('--output-directory cannot be combined with --bundle, --signature or --certificate');
  if (!signature !== !certificate) usage('--signature and --certificate must be used together');
  const planned = inputs.map((input) => {
    let b = bundle;
    if (!b && !noDefault) {
      if (input === '-') usage("an input read from standard input ('-') needs its outputs named: give --bundle FILE (or --signature/--certificate with --no-default-files)");
      b = join(outDir ?? '', outDir ? `${basename(input)}.sigstore.json` : `${input}.sigstore.json`);
    }
    return { input, bundle: b, signature, certificate };
  });
  return { planned, outDir };
}

/** What `sign` prints: sigstore-python's lines on stdout, sigstore-ts's summary on stderr, or JSON Lines. */
export interface Report {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** Prints one signed input (sign and attest share the lines). */
export async function reportSigned(o: Planned, b: BundleJson, r: Report, what: 'Signed' | 'Attested'): Promise<void> {
  const logIndex = (b.verificationMaterial as { tlogEntries: { logIndex: string }[] }).tlogEntries[0]?.logIndex ?? '?';
  const ms = b.messageSignature as { signature: string } | undefined;
  if (r.json) {
    const { parseBundle } = await import('../bundle/parse.js');
    const { jsonLine, signResultToJson } = await import('./json-output.js');
    writeStdout(jsonLine(signResultToJson(o.input === '-' ? '<stdin>' : o.input, o.bundle ?? null, parseBundle(b))));
  } else {
    const out: string[] = [];
    if (r.verbose) {
      const { pem } = await import('../lib/der-write.js');
      const raw = Buffer.from((b.verificationMaterial as { certificate: { rawBytes: string } }).certificate.rawBytes, 'base64');
      out.push('Using ephemeral certificate:', pem(raw, 'CERTIFICATE'));
    }
    if (!r.quiet) out.push(`Transparency log entry created at index: ${logIndex}`);
    // The signature goes to stdout unless --signature writes it, as sigstore-python prints it
    // (with -q only when nothing else records it).
    if (ms && !o.signature && (!r.quiet || !o.bundle)) out.push(ms.signature);
    if (!r.quiet) {
      if (o.signature) out.push(`Signature written to ${o.signature}`);
      if (o.certificate) out.push(`Certificate written to ${o.certificate}`);
      if (o.bundle) out.push(`Sigstore bundle written to ${o.bundle}`);
    }
    if (out.length > 0) writeStdout(`${out.join('\n')}\n`);
  }
  if (!r.quiet) {
    const written = [o.bundle, o.signature, o.certificate].filter(Boolean).join(', ');
    writeStderr(`${what} ${o.input === '-' ? '<stdin>' : o.input}: log index ${logIndex}${written ? `; wrote ${written}` : ''}\n`);
  }
}

/** The -q/--json/-v choice of a signing command, with --json's failure lines for every input. */
export function reportOptions(p: Parsed): Report {
  return { json: flag(p, 'json'), quiet: flag(p, 'quiet') || flag(p, 'conformance'), verbose: flag(p, 'verbose') };
}

/** Signs, and with --json turns a failure into one JSON line per input before it is reported. */
export async function signOrReport<T>(r: Report, inputs: string[], f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (r.json && !(e instanceof UsageError)) {
      const { jsonLine, signFailureToJson } = await import('./json-output.js');
      for (const i of inputs) writeStdout(jsonLine(signFailureToJson(i === '-' ? '<stdin>' : i, e)));
    }
    throw e;
  }
}

/** Runs `sigstore sign`. */
export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, SIGN_OPTIONS);
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  const env = process.env;
  const inputs = resolveInputs(p.positionals);
  const { planned, outDir } = plan(p, inputs, env);
  const r = reportOptions(p);
  await showHashProgress(!r.quiet);
  if (r.json && planned.some((o) => !o.bundle && !o.signature)) usage('--json with --no-default-files needs --signature and --certificate: nothing else would record the signature');
  const overwrite = flag(p, 'overwrite') || envFlag(env, 'SIGSTORE_OVERWRITE') || flag(p, 'conformance');
  const outputs = planned.flatMap((o) => [o.bundle, o.signature, o.certificate].filter((x): x is string => x !== undefined));
  // As sigstore-python: a missing --output-directory is created, before any request.
  if (outDir) ensureOutputDirectory(outDir);
  planOutputs(outputs, { overwrite, inputs });
  const { signer } = await signerFromArgs(p, env);

  const artifacts = await Promise.all(
    inputs.map(async (i) => {
      if (i === '-') return { data: await readStdin() };
      return { path: i };
    }),
  );
  // Many inputs on a terminal: [done/total] signing, rate, the input signed last (stderr); drawn
  // from the first signature on (an interactive login writes to stderr before it).
  const progress = await startProgress(inputs.length, 'signing', !r.quiet);
  const bundles = await signOrReport(r, inputs, async () => {
    const bundles = await signer.signMany(artifacts, (i, done) => progress.update(done, inputs[i]!)).finally(() => progress.end());
    const { bundleToText } = await import('../bundle/serialize.js');
    const files: OutputFile[] = [];
    for (const [i, o] of planned.entries()) {
      const b = bundles[i]!;
      if (o.bundle) files.push({ path: o.bundle, data: bundleToText(b) });
      const ms = b.messageSignature as { signature: string } | undefined;
      if (o.signature && ms) files.push({ path: o.signature, data: `${ms.signature}\n` });
      if (o.certificate) {
        const raw = Buffer.from((b.verificationMaterial as { certificate: { rawBytes: string } }).certificate.rawBytes, 'base64');
        const { pem } = await import('../lib/der-write.js');
        files.push({ path: o.certificate, data: pem(raw, 'CERTIFICATE') });
      }
    }
    await writeAllAtomic(files, { overwrite });
    return bundles;
  });
  for (const [i, o] of planned.entries()) await reportSigned(o, bundles[i]!, r, 'Signed');
  return 0;
}

/** Reads a JSON file for the attest command, with a usage error naming it. */
export function readJsonFile(path: string, what: string): unknown {
  const text = readDocumentOr(path, 'USAGE', what).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError('USAGE', `${what} ${path} is not valid JSON (${(e as Error).message})`);
  }
}
