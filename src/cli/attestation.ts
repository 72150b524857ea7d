/**
 * `sigstore attestation sign|verify|verify-provenance|convert|inspect`: PEP 740 attestations for
 * Python package distributions (wheels and sdists), with the rules of the `pypi-attestations`
 * reference tool.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { ATTESTATION_TYPES, type Attestation, PYPI_PUBLISH_V1, parseAttestation, SLSA_PROVENANCE_V1, serializeAttestation } from '../pypi/attestation.js';
import { attestationToBundle, bundleToAttestation } from '../pypi/convert.js';
import { Distribution } from '../pypi/distribution.js';
import { type AttestationSignOptions, distributionStatement, signAttestations } from '../pypi/sign.js';
import { verifyAttestation } from '../pypi/verify.js';
import { AnyOf, Identity, type VerificationPolicy } from '../verify/policy.js';
import { exclusive, flag, type Options, type Parsed, parse, shown, splitSubcommand, str, strs, usage } from './args.js';
import { attestationFailureJsonLine, attestationJsonLine, checkDistPath, failLine, isInputFailure, requireInput, TRUST_HELP, TRUST_OPTS, verifierFor } from './attestation-common.js';
import { describeResult } from './format.js';
import { readDocumentOr } from './input.js';
import { showHashProgress, startProgress } from './progress.js';
import { runInspect } from './inspect.js';
import { parseStrictJson } from '../lib/strict-json.js';

const HELP = `usage: sigstore attestation [-h] COMMAND ...

PEP 740 attestations for Python package distributions (wheels and sdists)

commands:
  sign                sign distributions, writing DIST.publish.attestation next to each
  verify              verify distributions against their attestations and a signer identity
  verify-provenance   verify a distribution against a PyPI provenance file and its Trusted Publisher
  verify-pypi         verify a distribution on a package index (pypi:FILE) against its provenance and Trusted Publisher
  audit               verify the provenance of every distribution of a lock file (pylock.toml, requirements.txt) or directory
  convert             convert a PEP 740 attestation to a Sigstore bundle, or a bundle to an attestation
  inspect             show what an attestation, bundle or provenance contains (does NOT verify)

Run \`sigstore attestation COMMAND --help\` for a command's options.
`;

const VERIFY_OPTS: Options = {
  ...TRUST_OPTS,
  identity: { type: 'string', multiple: true },
  'any-identity': { type: 'string', multiple: true },
  'identity-regexp': { type: 'string', multiple: true },
  issuer: { type: 'string' },
  'issuer-regexp': { type: 'string' },
  attestation: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};

const HELP_VERIFY = `usage: sigstore attestation verify [attestation] [options] --identity IDENTITY DIST [DIST ...]

(\`attestation verify attestation ...\` is pypi-attestations' spelling, accepted as the same command.)

verify each Python distribution (wheel or sdist) against its PEP 740 attestations: DIST.publish.attestation
and DIST.slsa.attestation, whichever exist (at least one must), or the one given with --attestation.
Every Sigstore check runs (signature, transparency log entry, certificate chain, SCT, trusted time),
the signer must match the identity, and the attestation's statement must have exactly one subject,
naming this file (file names compared normalised) with its sha256 digest.

options:
  --identity IDENTITY        the signer identity to expect (a certificate SAN: workflow URI, email, ...);
                             once (a repetition is refused, never widened)
  --any-identity IDENTITY    accept any of several identities: give it once per identity
  --identity-regexp REGEX    a fully anchored regular expression for the identity; repeatable (any of)
  --issuer URL               the OIDC issuer to expect (default: any issuer)
  --issuer-regexp REGEX      a fully anchored regular expression for the OIDC issuer
  --attestation FILE         the attestation to verify with; only with a single DIST
${TRUST_HELP}
  --json                     print one JSON object per attestation on stdout (JSON Lines;
                             schema schemas/output.v1.schema.json)
  -q, --quiet                print only OK:/FAIL: lines
  -v, --verbose              more detail on failures (stack traces)
  -h, --help                 show this help message and exit

Each attestation prints \`OK: DIST (FILE)\` or \`FAIL: DIST (FILE) [step]: reason\` on stderr.
Exit status: 0 all verified, 1 a failure, 2 a usage error.
`;

const CONVERT_OPTS: Options = {
  'output-file': { type: 'string', short: 'o' },
  to: { type: 'string' },
  overwrite: { type: 'boolean' },
};

const PREDICATE_TYPES: Record<string, string> = { publish: PYPI_PUBLISH_V1, slsa: SLSA_PROVENANCE_V1 };

const HELP_SIGN = `usage: sigstore attestation sign [-h] [-v] [--predicate-type {publish,slsa}] [--predicate FILE]
                                [--output-directory DIR] [--overwrite] [identity options] DIST [DIST ...]

sign each Python distribution (a wheel or an sdist, recognised by its file name) as a PEP 740
attestation: an in-toto v1 statement whose one subject is the file's name and sha256 digest, with
the PyPI publish predicate (https://docs.pypi.org/attestations/publish/v1) or SLSA provenance v1,
signed with one Sigstore certificate for all DISTs. Writes DIST.publish.attestation (or
DIST.slsa.attestation) next to each DIST. Every output is checked before anything is signed, and
written only after the attestation verified. Rekor v1 is used unless --rekor-version says otherwise;
with --rekor-version 2 the attestations carry RFC 3161 timestamps (accepted by pypi-attestations
0.0.28+). PyPI verifies ECDSA P-256 signatures only: other key types are refused.

options:
  --predicate-type TYPE publish (default) or slsa
  --predicate FILE      the SLSA provenance v1 predicate (JSON; with --predicate-type slsa only)
  --output-directory DIR
                        write the attestations to DIR instead of next to each DIST; created when
                        missing ($SIGSTORE_OUTPUT_DIRECTORY)
  --overwrite           overwrite existing attestations ($SIGSTORE_OVERWRITE); without it, nothing
                        is signed when any exists
  --trusted-root FILE, --signing-config FILE
                        the trusted root and signing config to use (together)
  -v, --verbose         more detail (services used; stack traces on errors)
  -h, --help            show this help message and exit
`;

const HELP_CONVERT = `usage: sigstore attestation convert [options] --output-file OUT FILE

convert a PEP 740 attestation into the Sigstore bundle it stands for, or a Sigstore bundle (a DSSE
bundle with an in-toto statement, signed with a certificate) into a PEP 740 attestation. The
direction follows from FILE's content. Conversion is lossless: the certificate, the transparency
log entries, the RFC 3161 timestamps (an attestation's \`timestamps\`, pypi-attestations 0.0.28+),
the statement and the signature are carried over as they are. Nothing is verified.

options:
  -o, --output-file OUT      where to write the result (\`-\` for stdout)
  --to KIND                  check the direction: \`bundle\` or \`attestation\`
  --overwrite                replace OUT if it exists (by default an existing file is never overwritten)
  -h, --help                 show this help message and exit
`;

function identityPolicy(p: Parsed): VerificationPolicy {
  exclusive(p, ['issuer', 'issuer-regexp']);
  const once = strs(p, 'identity');
  if (once.length > 1) usage(`--identity was given ${once.length} times; it takes one identity. To accept any of several identities, give each with --any-identity`);
  exclusive(p, ['identity', 'any-identity']);
  const ids = [...once, ...strs(p, 'any-identity')];
  const idRes = strs(p, 'identity-regexp');
  if (ids.length === 0 && idRes.length === 0) usage('the following arguments are required: --identity (or --any-identity, --identity-regexp)');
  const issuer = str(p, 'issuer');
  const issuerRegexp = str(p, 'issuer-regexp') ?? (issuer === undefined ? '.*' : undefined);
  const alts = [
    ...ids.map((identity) => new Identity({ identity, issuer, issuerRegexp })),
    ...idRes.map((identityRegexp) => new Identity({ identityRegexp, issuer, issuerRegexp })),
  ];
  return alts.length === 1 ? alts[0]! : new AnyOf(alts);
}

function loadAttestation(path: string): Attestation {
  return parseAttestation(readDocumentOr(path, 'INPUT_UNREADABLE', 'attestation'));
}

async function runVerify(argv: string[]): Promise<number> {
  const p = parse(argv, VERIFY_OPTS);
  if (flag(p, 'help')) {
    writeStdout(HELP_VERIFY);
    return 0;
  }
  const policy = identityPolicy(p);
  if (p.positionals.length === 0) usage('at least one DIST is required');
  const attestationFlag = str(p, 'attestation');
  if (attestationFlag !== undefined && p.positionals.length > 1) usage('--attestation can only be used with a single DIST');
  if (attestationFlag !== undefined) requireInput(attestationFlag, 'attestation');
  const seen = new Set<string>();
  const jobs: { dist: string; attestation: string }[] = [];
  for (const dist of p.positionals) {
    if (seen.has(dist)) usage(`distribution ${dist} is given more than once`);
    seen.add(dist);
    checkDistPath(dist);
    const found = attestationFlag !== undefined ? [attestationFlag] : [`${dist}.publish.attestation`, `${dist}.slsa.attestation`].filter((f) => existsSync(f));
    if (found.length === 0) {
      throw new SigstoreError('INPUT_MISSING', `no attestation found for ${dist} (looked for ${dist}.publish.attestation and ${dist}.slsa.attestation); give one with --attestation`);
    }
    for (const a of found) jobs.push({ dist, attestation: a });
  }
  const verifier = await verifierFor(p);
  const json = flag(p, 'json');
  const quiet = flag(p, 'quiet');
  await showHashProgress(!quiet);
  const progress = await startProgress(jobs.length, 'verifying', !quiet);
  let failed = 0;
  const dists = new Map<string, Distribution>();
  for (const [i, job] of jobs.entries()) {
    const label = `${job.dist} (${job.attestation})`;
    progress.update(i, label);
    try {
      let dist = dists.get(job.dist);
      if (!dist) {
        dist = await Distribution.fromFile(job.dist);
        dists.set(job.dist, dist);
      }
      const r = await verifyAttestation(verifier, loadAttestation(job.attestation), dist, policy);
      progress.print(`OK: ${label}\n${quiet ? '' : describeResult(r.result)}`);
      if (json) writeStdout(attestationJsonLine(job.dist, r, { attestation: job.attestation }));
    } catch (e) {
      if (!isInputFailure(e)) {
        progress.end();
        throw e;
      }
      failed++;
      progress.print(failLine(label, e));
      if (flag(p, 'verbose') && e.stack) progress.print(`${e.stack}\n`);
      if (json) writeStdout(attestationFailureJsonLine(job.dist, e, { attestation: job.attestation }));
    }
  }
  progress.end();
  if (jobs.length > 1) writeStderr(`${jobs.length - failed} verified, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

async function runConvert(argv: string[]): Promise<number> {
  const p = parse(argv, CONVERT_OPTS);
  if (flag(p, 'help')) {
    writeStdout(HELP_CONVERT);
    return 0;
  }
  if (p.positionals.length !== 1) usage('convert takes exactly one FILE');
  const output = str(p, 'output-file');
  if (output === undefined) usage('the following arguments are required: --output-file');
  const to = str(p, 'to');
  if (to !== undefined && to !== 'bundle' && to !== 'attestation') usage(`--to must be bundle or attestation (got ${JSON.stringify(to)})`);
  const input = p.positionals[0]!;
  requireInput(input, 'input');
  const { planOutputs } = await import('./output.js');
  const { writeAtomic } = await import('./write-outputs.js');
  if (output !== '-') planOutputs([output!], { overwrite: flag(p, 'overwrite'), inputs: [input] });
  const data = readDocumentOr(input, 'INPUT_UNREADABLE', 'input');
  let json: unknown;
  try {
    json = parseStrictJson(data.toString('utf8'));
  } catch (e) {
    throw new SigstoreError('CONVERT_INPUT_INVALID', `${input} is not JSON (${(e as Error).message})`);
  }
  const isBundle = typeof json === 'object' && json !== null && 'mediaType' in json;
  const target = isBundle ? 'attestation' : 'bundle';
  if (to !== undefined && to !== target) usage(`${input} is ${isBundle ? 'a Sigstore bundle' : 'not a Sigstore bundle'}: it converts to ${target === 'bundle' ? 'a bundle' : 'an attestation'}, not ${to === 'bundle' ? 'a bundle' : 'an attestation'}`);
  let text: string;
  if (isBundle) {
    text = serializeAttestation(bundleToAttestation(json as Record<string, unknown>));
  } else {
    text = JSON.stringify(attestationToBundle(parseAttestation(json as Record<string, unknown>)).json);
  }
  if (output === '-') {
    writeStdout(`${text}\n`);
  } else {
    await writeAtomic(output!, text, { overwrite: flag(p, 'overwrite') });
    // pypi-attestations' line (log greps): `Converted Sigstore bundle to attestation: F`.
    writeStderr(`Converted ${isBundle ? 'Sigstore bundle to attestation' : 'attestation to Sigstore bundle'}: ${output}\n`);
  }
  return 0;
}

async function runSign(argv: string[]): Promise<number> {
  const { SIGNING_HELP, SIGNING_OPTIONS, readJsonFile, signerFromArgs, strOrEnv } = await import('./sign.js');
  const options: Options = { ...SIGNING_OPTIONS, 'predicate-type': { type: 'string' }, predicate: { type: 'string' } };
  delete options.bundle;
  delete options.conformance;
  delete options.json;
  delete options.quiet;
  const p = parse(argv, options);
  if (flag(p, 'help')) {
    writeStdout(`${HELP_SIGN}\n${SIGNING_HELP}`);
    return 0;
  }
  if (p.positionals.length === 0) usage('at least one DIST is required');
  const seen = new Set<string>();
  for (const d of p.positionals) {
    if (seen.has(d)) usage(`distribution ${d} is given more than once`);
    seen.add(d);
    checkDistPath(d);
  }
  const kind = str(p, 'predicate-type') ?? 'publish';
  const predicateType = PREDICATE_TYPES[kind] ?? kind;
  if (!ATTESTATION_TYPES.includes(predicateType)) usage(`--predicate-type must be publish or slsa (or their URIs ${ATTESTATION_TYPES.join(', ')}), not ${JSON.stringify(kind)}`);
  const slsa = predicateType === SLSA_PROVENANCE_V1;
  const predicateFile = str(p, 'predicate');
  if (slsa && predicateFile === undefined) usage('--predicate-type slsa needs --predicate FILE (the SLSA provenance v1 predicate, JSON)');
  if (!slsa && predicateFile !== undefined) usage('the PyPI publish predicate is empty: --predicate only goes with --predicate-type slsa');
  const suffix = slsa ? 'slsa.attestation' : 'publish.attestation';
  const env = process.env;
  const outDir = strOrEnv(p, 'output-directory', env, 'SIGSTORE_OUTPUT_DIRECTORY');
  const outputs = p.positionals.map((d) => (outDir ? join(outDir, `${basename(d)}.${suffix}`) : `${d}.${suffix}`));
  const { envFlag } = await import('./get-identity-token.js');
  const overwrite = flag(p, 'overwrite') || envFlag(env, 'SIGSTORE_OVERWRITE');
  const { ensureOutputDirectory, planOutputs } = await import('./output.js');
  const { writeAllAtomic } = await import('./write-outputs.js');
  if (outDir) ensureOutputDirectory(outDir);
  planOutputs(outputs, { overwrite, inputs: p.positionals });

  // Statements are built and checked before any request.
  const signOptions: AttestationSignOptions = { predicateType };
  if (predicateFile !== undefined) signOptions.predicate = readJsonFile(predicateFile, 'predicate') as Record<string, unknown>;
  await showHashProgress(true);
  const dists = await Promise.all(p.positionals.map((d) => Distribution.fromFile(d)));
  await Promise.all(dists.map((d) => distributionStatement(d, signOptions)));

  // Rekor v1 unless asked: attestations with Rekor v2 entries need timestamps, which only
  // pypi-attestations 0.0.28+ accepts.
  const { signer } = await signerFromArgs(p, { ...env, SIGSTORE_REKOR_VERSION: env.SIGSTORE_REKOR_VERSION || '1' }, 'dsse');
  const progress = await startProgress(dists.length, 'signing', true);
  signOptions.onSigned = (i, done) => progress.update(done, p.positionals[i]!);
  const attestations = await signAttestations(signer, dists, signOptions).finally(() => progress.end());
  await writeAllAtomic(
    attestations.map((a, i) => ({ path: outputs[i]!, data: serializeAttestation(a) })),
    { overwrite },
  );
  for (const [i, a] of attestations.entries()) {
    const index = (a.verificationMaterial.transparencyEntries[0] as { logIndex?: string }).logIndex ?? '?';
    writeStderr(`Signed ${p.positionals[i]}: log index ${index}; wrote ${outputs[i]}\n`);
  }
  return 0;
}

/**
 * pypi-attestations exits 1 (not 2) for a distribution file name or a repository URL it cannot
 * use, and for an existing output of `sign` or `convert` (sigstore's own `sign` keeps exit 2):
 * its scripts test for that. What is refused is unchanged.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof UsageError && (e.code === 'DIST_NAME_INVALID' || e.code === 'REPOSITORY_URL_INVALID' || e.code === 'OUTPUT_EXISTS')) {
      throw new SigstoreError(e.code, e.message);
    }
    throw e;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const { sub, rest } = splitSubcommand(argv);
  switch (sub) {
    case 'verify':
      // pypi-attestations' spelling: `verify pypi --repository URL pypi:FILE`.
      if (splitSubcommand(rest).sub === 'pypi') return (await import('./attestation-pypi.js')).run(splitSubcommand(rest).rest);
      // and `verify attestation --identity ID DIST...`.
      if (splitSubcommand(rest).sub === 'attestation') return runVerify(splitSubcommand(rest).rest);
      return runVerify(rest);
    case 'verify-provenance':
      return (await import('./attestation-provenance.js')).runVerifyProvenance(rest);
    case 'verify-pypi':
      return (await import('./attestation-pypi.js')).run(rest);
    case 'audit':
      return (await import('./attestation-audit.js')).run(rest);
    case 'convert':
      return runConvert(rest);
    case 'sign':
      return runSign(rest);
    case 'inspect':
      // pypi-attestations exits 1 for a missing FILE (`sigstore inspect` keeps its usage error).
      return runInspect(rest, 'sigstore attestation inspect', (f) => requireInput(f, 'input'));
    case undefined:
      if (argv.includes('-h') || argv.includes('--help')) {
        writeStdout(HELP);
        return 0;
      }
      writeStderr(HELP);
      return usage('attestation needs a command: sign, verify, verify-provenance, verify-pypi, audit, convert or inspect');
    default:
      return usage(`unknown attestation command '${shown(sub)}' (choose from sign, verify, verify-provenance, verify-pypi, audit, convert, inspect)`);
  }
}
