/**
 * `sigstore verify slsa`: slsa-verifier's `verify-artifact` for slsa-github-generator's generic
 * generator. The provenance (`NAME.intoto.jsonl`, a Sigstore bundle from generator v2.1.0 on) is
 * verified for each artifact: the bundle, the trusted builder at a release tag, the source, and
 * the branch, tag or version asked for. One OK:/FAIL: line per artifact.
 */
import { existsSync } from 'node:fs';
import { UsageError, VerificationError } from '../errors.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { type SlsaExpectation, type SlsaVerificationResult, parseProvenanceBundle, verifySlsaProvenance } from '../slsa/verify.js';
import { trustSourceFromFlags } from '../trust/instances.js';
import { loadTrustMaterial } from '../trust/load.js';
import type { Artifact } from '../verify/types.js';
import { exclusive, flag, type Options, parse, str, trustFlags, usage } from './args.js';
import { readDocumentOr, requireRegularFile } from './input.js';
import { showHashProgress } from './progress.js';
import { jsonLine, verificationFailureToJson, verificationToJson } from './json-output.js';

const OPTIONS: Options = {
  provenance: { type: 'string' },
  'provenance-path': { type: 'string' },
  'source-uri': { type: 'string' },
  'source-tag': { type: 'string' },
  'source-branch': { type: 'string' },
  'source-versioned-tag': { type: 'string' },
  'builder-id': { type: 'string' },
  'print-provenance': { type: 'boolean' },
  offline: { type: 'boolean' },
  'trusted-root': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};

const HELP = `usage: sigstore verify slsa --provenance FILE --source-uri github.com/OWNER/REPO [options] FILE_OR_DIGEST [FILE_OR_DIGEST ...]

verify SLSA provenance from slsa-github-generator's generic generator (v2.1.0 or later, whose
NAME.intoto.jsonl is a Sigstore bundle), as slsa-verifier verify-artifact does: each input must be
a subject of the provenance, signed by a trusted builder pinned to a release tag (refs/tags/vX.Y.Z)
for the source repository, at the branch, tag or version given. An input is a file path or a
digest sha256:<64 hex digits>.

options:
  --provenance FILE               the provenance (also --provenance-path)
  --source-uri URI                the source repository, github.com/OWNER/REPO
  --source-tag TAG                the exact tag the build ran on (e.g. v1.2.3)
  --source-branch BRANCH          the branch the build ran on (for a tag: the branch it was pushed from)
  --source-versioned-tag VERSION  a tag matching this semantic version: vX, vX.Y or vX.Y.Z
  --builder-id ID                 the builder's workflow URI, optionally @vX.Y.Z or @refs/tags/vX.Y.Z
  --print-provenance              print the verified provenance (the in-toto statement) on stdout
  --offline                       do not fetch anything (trust material comes from the cache or the embedded copy;
                                  also SIGSTORE_OFFLINE=1)
  --trusted-root FILE             the trusted root to verify against (default: the Sigstore public-good root)
  --json                          print one JSON object per input on stdout, one per line, as
                                  schemas/output.v1.schema.json describes ("slsa": builder, source, ref)
  -q, --quiet                     print only OK:/FAIL: lines
  -v, --verbose                   more detail on failures (stack traces)
  -h, --help                      show this help message and exit

environment: SIGSTORE_OFFLINE (1/0, true/false, yes/no, on/off) as --offline; \`sigstore --help\`
lists the global ones (SIGSTORE_STAGING, SIGSTORE_LOGLEVEL, SIGSTORE_TRUST_CACHE).
`;

const DIGEST_RE = /^sha256:([0-9a-fA-F]{64})$/;

function artifactOf(p: string): Artifact {
  const m = p.match(DIGEST_RE);
  if (m && !existsSync(p)) return { digest: { algorithm: 'sha256', value: Buffer.from(m[1]!, 'hex') } };
  requireRegularFile(p, 'input');
  return { path: p };
}

function describe(r: SlsaVerificationResult): string {
  const log = r.verification.timestamps.map((t) => `${t.time.toISOString()} (${t.source === 'tsa' ? 'RFC 3161 timestamp' : 'log integrated time'}, ${t.authority})`);
  return [`builder: ${r.builderId}`, `source:  ${r.sourceUri}${r.commit ? ` (commit ${r.commit})` : ''}`, ...log.map((l) => `time:    ${l}`)].map((l) => `  ${l}\n`).join('');
}

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, OPTIONS);
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  exclusive(p, ['provenance', 'provenance-path']);
  exclusive(p, ['source-tag', 'source-branch', 'source-versioned-tag']);
  const provenancePath = str(p, 'provenance') ?? str(p, 'provenance-path');
  if (!provenancePath) usage('the following arguments are required: --provenance');
  const sourceUri = str(p, 'source-uri');
  if (!sourceUri) usage('the following arguments are required: --source-uri');
  if (p.positionals.length === 0) usage('at least one FILE_OR_DIGEST is required');
  const expected: SlsaExpectation = {
    sourceUri,
    sourceBranch: str(p, 'source-branch'),
    sourceTag: str(p, 'source-tag'),
    sourceVersionedTag: str(p, 'source-versioned-tag'),
    builderId: str(p, 'builder-id'),
  };
  const inputs = p.positionals.map((x) => ({ label: x, artifact: artifactOf(x) }));
  const text = readDocumentOr(provenancePath, 'BUNDLE_UNREADABLE', 'provenance');
  const trust = await loadTrustMaterial(trustSourceFromFlags(trustFlags(p)));
  const quiet = flag(p, 'quiet');
  await showHashProgress(!quiet);
  const json = flag(p, 'json');
  let failed = 0;
  let printed: SlsaVerificationResult | undefined;
  for (const input of inputs) {
    try {
      // Parsed per input: each verification gets its own copy, as the verifier may remember it.
      const r = await verifySlsaProvenance(parseProvenanceBundle(text), input.artifact, expected, { trust });
      printed ??= r;
      writeStderr(`OK: ${input.label}\n${quiet ? '' : describe(r)}`);
      if (json) {
        const slsa = { builderId: r.builderId, sourceUri: r.sourceUri, ref: r.ref, commit: r.commit ?? null };
        writeStdout(jsonLine({ ...verificationToJson(input.label, provenancePath, r.verification), slsa }));
      }
    } catch (e) {
      if (e instanceof UsageError && !(e instanceof VerificationError)) throw e;
      failed++;
      const err = e as Error & Partial<VerificationError>;
      writeStderr(`FAIL: ${input.label}${err.step ? ` [${err.step}]` : ''}: ${err.message}\n`);
      if (flag(p, 'verbose') && err.stack) writeStderr(`${err.stack}\n`);
      if (json) writeStdout(jsonLine(verificationFailureToJson(input.label, provenancePath, err)));
    }
  }
  if (!json && flag(p, 'print-provenance') && printed && failed === 0) writeStdout(`${JSON.stringify(printed.statement)}\n`);
  return failed > 0 ? 1 : 0;
}
