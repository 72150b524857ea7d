/**
 * `sigstore inspect FILE...`: shows what a Sigstore bundle, a PEP 740 attestation or a PyPI
 * provenance file contains, in a readable layout or as JSON. It verifies nothing, and says so.
 * `sigstore attestation inspect` is the same command.
 */
import { basename } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import { inspectDocument, NOT_VERIFIED_NOTICE } from '../inspect/model.js';
import { renderInspection } from '../inspect/render.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { flag, parse, usage } from './args.js';
import { readDocumentOr } from './input.js';

export const HELP = (prog: string): string => `usage: ${prog} [-h] [--json] FILE [FILE ...]

show what a Sigstore bundle, a PEP 740 attestation or a PyPI provenance file contains: the signed
statement (type, predicate type, subjects, predicate) or message digest, the signer's identity and
certificate extensions, the transparency log entries and the RFC 3161 timestamps.

Inspecting is NOT verifying: nothing shown has been checked, and every value may be forged.
Use \`sigstore verify\` (bundles) or \`sigstore attestation verify\` (attestations) to verify.

positional arguments:
  FILE          a bundle (*.sigstore.json, *.sigstore), an attestation (*.attestation) or a
                provenance file (*.provenance); the format is recognised from the content

options:
  --json        print the inspections as a JSON array on stdout (each with "verified": false)
  -v, --verbose more detail on errors (stack traces)
  -h, --help    show this help message and exit
`;

/** Runs the inspection for `files`, printing to stdout; returns the exit code. */
export async function inspectFiles(files: string[], json: boolean): Promise<number> {
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f)) usage(`input ${f} is given more than once`);
    seen.add(f);
  }
  const out: unknown[] = [];
  let failed = 0;
  const texts: string[] = [];
  for (const file of files) {
    const data = readDocumentOr(file, 'INPUT_UNREADABLE');
    try {
      const inspection = inspectDocument(data);
      if (json) out.push({ file, ...inspection });
      else texts.push(renderInspection(inspection, basename(file)));
    } catch (e) {
      if (!(e instanceof SigstoreError) || e instanceof UsageError) throw e;
      failed++;
      writeStderr(`FAIL: ${file}: ${e.message}\n`);
    }
  }
  if (json) {
    writeStderr(`note: ${NOT_VERIFIED_NOTICE}\n`);
    writeStdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    writeStdout(texts.join('\n'));
  }
  return failed > 0 ? 1 : 0;
}

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, { json: { type: 'boolean' } });
  if (flag(p, 'help')) {
    writeStdout(HELP('sigstore inspect'));
    return 0;
  }
  if (p.positionals.length === 0) usage('at least one FILE is required');
  return inspectFiles(p.positionals, flag(p, 'json'));
}
