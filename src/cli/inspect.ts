/**
 * `sigstore inspect FILE...`: shows what a Sigstore bundle, a PEP 740 attestation or a PyPI
 * provenance file contains, in a readable layout or as JSON Lines. It verifies nothing, and says
 * so. `sigstore attestation inspect` is the same command.
 */
import { basename } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import { inspectDocument, NOT_VERIFIED_NOTICE } from '../inspect/model.js';
import { renderInspection } from '../inspect/render.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { flag, parse, usage } from './args.js';
import { readDocumentOr } from './input.js';
import { inspectionFailureToJson, inspectionToJson, jsonLine } from './json-output.js';

export const HELP = (prog: string): string => `usage: ${prog} [-h] [--json] [--dump-bytes] FILE [FILE ...]

show what a Sigstore bundle, a PEP 740 attestation or a PyPI provenance file contains: the signed
statement (type, predicate type, subjects, predicate) or message digest, the signer's identity and
certificate extensions, the transparency log entries and the RFC 3161 timestamps.

Inspecting is NOT verifying: nothing shown has been checked, and every value may be forged.
Use \`sigstore verify\` (bundles) or \`sigstore attestation verify\` (attestations) to verify.

positional arguments:
  FILE          a bundle (*.sigstore.json, *.sigstore), an attestation (*.attestation) or a
                provenance file (*.provenance); the format is recognised from the content

options:
  --json           print one JSON object per FILE on stdout, one per line (JSON Lines, each with
                   "verified": false), as described by schemas/output.v1.schema.json in the package
  --dump-bytes     also print the raw signed bytes: the signature (base64) and the signed payload
                   (the in-toto statement) or digest, as the file carries them (in JSON: "rawBytes")
  -v, --verbose    more detail on errors (stack traces)
  -h, --help       show this help message and exit

No environment variables are read.
`;

/** Runs the inspection for `files`, printing to stdout; returns the exit code. */
export async function inspectFiles(files: string[], json: boolean, dumpBytes = false): Promise<number> {
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f)) usage(`input ${f} is given more than once`);
    seen.add(f);
  }
  let failed = 0;
  const bytes = dumpBytes ? await import('../inspect/bytes.js') : undefined;
  // Every file is read before anything is printed: an unreadable one is a usage error, with no partial output.
  const docs = files.map((file) => ({ file, data: readDocumentOr(file, 'INPUT_UNREADABLE') }));
  if (json) writeStderr(`note: ${NOT_VERIFIED_NOTICE}\n`);
  for (const [n, { file, data }] of docs.entries()) {
    try {
      const inspection = inspectDocument(data);
      const raw = bytes?.rawSignedBytes(data);
      if (json) {
        writeStdout(jsonLine(inspectionToJson(file, inspection, raw && bytes!.rawBytesToJson(raw))));
      } else {
        writeStdout(`${n > 0 ? '\n' : ''}${renderInspection(inspection, basename(file))}${raw ? `\n${bytes!.renderRawBytes(raw)}` : ''}`);
      }
    } catch (e) {
      if (!(e instanceof SigstoreError) || e instanceof UsageError) throw e;
      failed++;
      writeStderr(`FAIL: ${file}: ${e.message}\n`);
      if (json) writeStdout(jsonLine(inspectionFailureToJson(file, e)));
    }
  }
  return failed > 0 ? 1 : 0;
}

/** `sigstore inspect` and `sigstore attestation inspect` (`prog` names it in the help). */
export async function runInspect(argv: string[], prog: string, requireFile?: (file: string) => void): Promise<number> {
  const p = parse(argv, { json: { type: 'boolean' }, 'dump-bytes': { type: 'boolean' } });
  if (flag(p, 'help')) {
    writeStdout(HELP(prog));
    return 0;
  }
  if (p.positionals.length === 0) usage('at least one FILE is required');
  if (requireFile) for (const f of p.positionals) requireFile(f);
  return inspectFiles(p.positionals, flag(p, 'json'), flag(p, 'dump-bytes'));
}

export async function run(argv: string[]): Promise<number> {
  return runInspect(argv, 'sigstore inspect');
}
