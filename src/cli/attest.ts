/**
 * `sigstore attest FILE... --predicate FILE --predicate-type TYPE`: an in-toto v1 statement per
 * input (its subject: the file's name and SHA-256), with the predicate validated for its type
 * (SLSA provenance v0.2 and v1 field by field; any other type as a JSON object), signed as a DSSE
 * envelope. `--statement FILE` signs a complete statement as given. Outputs follow `sign`'s
 * rules: FILE.sigstore.json by default, checked before any request, written atomically after
 * the bundle verified.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { trackHashing } from '../lib/hash-progress.js';
import { unreadable } from '../lib/input-file.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { exclusive, flag, type Options, parse, str, usage } from './args.js';
import { envFlag } from './get-identity-token.js';
import { readDocumentOr } from './input.js';
import { ensureOutputDirectory, planOutputs } from './output.js';
import { type OutputFile, writeAllAtomic } from './write-outputs.js';
import { showHashProgress, startProgress } from './progress.js';
import { readJsonFile, readStdin, reportOptions, reportSigned, resolveInputs, SIGNING_HELP, SIGNING_OPTIONS, signerFromArgs, signOrReport, strOrEnv } from './sign.js';

const OPTIONS: Options = {
  ...SIGNING_OPTIONS,
  predicate: { type: 'string' },
  'predicate-type': { type: 'string' },
  statement: { type: 'string' },
};

const HELP = `usage: sigstore attest [-h] [-v] [-q] [--json] (--predicate FILE --predicate-type TYPE FILE [FILE ...] | --statement FILE [FILE])
                       [--bundle FILE] [--output-directory DIR] [--overwrite] [identity options]

sign in-toto attestations (DSSE): for each FILE, an in-toto v1 statement with the file as its
subject and the given predicate; or a complete statement as given (--statement).

options:
  --predicate FILE      the predicate (a JSON object); SLSA provenance v0.2 and v1 are validated
  --predicate-type TYPE the predicate type URI (e.g. https://slsa.dev/provenance/v1)
  --statement FILE      sign this complete in-toto v1 statement as given; a FILE given with it must
                        be one of its subjects, and names the default output
  --bundle FILE         write the bundle to FILE (single input only; default FILE.sigstore.json;
                        $SIGSTORE_BUNDLE)
  --output-directory DIR
                        write the default outputs to DIR instead of next to each input; created
                        when missing ($SIGSTORE_OUTPUT_DIRECTORY)
  --overwrite           overwrite existing outputs ($SIGSTORE_OVERWRITE); without it, nothing is
                        signed when any exists
  -q, --quiet           print nothing but errors
  --json                print one JSON object per input on stdout (JSON Lines; schema
                        schemas/output.v1.schema.json), nothing else there

${SIGNING_HELP}`;

async function sha256File(path: string): Promise<Buffer> {
  const h = createHash('sha256');
  let size: number | undefined;
  try {
    size = statSync(path).size;
  } catch {
    // the read below reports it
  }
  const progress = trackHashing(path, size);
  try {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
      h.update(c as Buffer);
      progress.add((c as Buffer).length);
    }
  } catch (e) {
    throw unreadable(path, e);
  } finally {
    progress.end();
  }
  return h.digest();
}

/** Runs `sigstore attest`. */
export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, OPTIONS);
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  const env = process.env;
  const conformance = flag(p, 'conformance');
  // The conformance protocol's --in-toto mode: the one positional is the statement to sign.
  let statementFile = str(p, 'statement');
  let positionals = p.positionals;
  if (conformance && !statementFile) {
    if (positionals.length !== 1) usage('attest --conformance takes one statement file');
    statementFile = positionals[0];
    positionals = [];
  }
  const predicateFile = str(p, 'predicate');
  const predicateType = str(p, 'predicate-type');
  if (statementFile) {
    if (predicateFile || predicateType) usage('--statement cannot be combined with --predicate or --predicate-type');
    if (positionals.length > 1) usage('--statement signs one statement: give at most one FILE (a subject of it)');
  } else {
    if (!predicateFile || !predicateType) usage('the following arguments are required: --predicate and --predicate-type (or --statement)');
    resolveInputs(positionals);
  }
  if (positionals.includes('-')) usage("attest cannot read an input from standard input ('-')");
  if (positionals.length > 0) resolveInputs(positionals);

  const bundleFlag = strOrEnv(p, 'bundle', env, 'SIGSTORE_BUNDLE');
  const outDir = strOrEnv(p, 'output-directory', env, 'SIGSTORE_OUTPUT_DIRECTORY');
  exclusive(p, ['bundle', 'output-directory']);
  if (bundleFlag && outDir) usage('--bundle and --output-directory cannot be used together');
  const named = positionals.length > 0 ? positionals : [statementFile!];
  if (named[0] === '-' && !bundleFlag) usage("a statement read from standard input ('-') needs --bundle FILE");
  if (bundleFlag && named.length > 1) usage('--bundle can only be used with a single input (use --output-directory for several)');
  const outputs = named.map((n) => bundleFlag ?? (outDir ? join(outDir, `${basename(n)}.sigstore.json`) : `${n}.sigstore.json`));
  const overwrite = flag(p, 'overwrite') || envFlag(env, 'SIGSTORE_OVERWRITE') || conformance;
  if (outDir) ensureOutputDirectory(outDir);
  planOutputs(outputs, { overwrite, inputs: [...positionals, ...(statementFile ? [statementFile] : [])] });

  await showHashProgress(!flag(p, 'quiet') && !conformance);
  // Statements are built and checked before any request.
  const { buildStatement, parseStatementForSigning, validatePredicate } = await import('../bundle/intoto.js');
  let payloads: Buffer[];
  if (statementFile) {
    const text = statementFile === '-' ? await readStdin() : readDocumentOr(statementFile, 'USAGE', 'the statement');
    const { statement, payload } = parseStatementForSigning(text, `the statement ${statementFile}`);
    if (positionals.length === 1) {
      const hex = (await sha256File(positionals[0]!)).toString('hex');
      if (!statement.subject.some((s) => s.digest.sha256?.toLowerCase() === hex)) {
        usage(`${positionals[0]} (sha256:${hex}) is not a subject of the statement ${statementFile}`);
      }
    }
    payloads = [payload];
  } else {
    const predicate = validatePredicate(predicateType!, readJsonFile(predicateFile!, 'predicate'), `the predicate ${predicateFile}`);
    payloads = await Promise.all(
      positionals.map(async (f) => {
        const st = buildStatement([{ name: basename(f), digest: { sha256: (await sha256File(f)).toString('hex') } }], predicateType!, predicate);
        return Buffer.from(JSON.stringify(st), 'utf8');
      }),
    );
  }

  const { signer } = await signerFromArgs(p, env, 'dsse');
  if (signer.keyType === 'p384') {
    writeStderr('warning: sigstore-python and sigstore-js cannot verify DSSE attestations signed with P-384 keys today (they check DSSE signatures with SHA-256); use --key-type p256 for attestations others must verify\n');
  }
  const r = reportOptions(p);
  const progress = await startProgress(named.length, 'signing', !r.quiet);
  const bundles = await signOrReport(r, named, async () => {
    const bundles = await signer.attestMany(payloads, (i, done) => progress.update(done, named[i]!)).finally(() => progress.end());
    const { bundleToText } = await import('../bundle/serialize.js');
    const files: OutputFile[] = bundles.map((b, i) => ({ path: outputs[i]!, data: bundleToText(b) }));
    await writeAllAtomic(files, { overwrite });
    return bundles;
  });
  for (const [i, b] of bundles.entries()) {
    await reportSigned({ input: named[i]!, bundle: outputs[i], signature: undefined, certificate: undefined }, b, r, 'Attested');
  }
  return 0;
}
