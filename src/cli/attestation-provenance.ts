/**
 * `sigstore attestation verify-provenance`: a distribution against a PyPI provenance file and the
 * Trusted Publisher the user expects; and how a verified provenance is described (shared with
 * `verify-pypi`).
 */
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { Distribution } from '../pypi/distribution.js';
import { parseProvenance } from '../pypi/provenance.js';
import { describePublisher } from '../pypi/publisher.js';
import { type ProvenanceVerificationResult, parseRepositoryUrl, verifyProvenance } from '../pypi/verify.js';
import { exclusive, flag, type Options, parse, str, usage } from './args.js';
import { attestationFailureJsonLine, attestationJsonLine, checkDistPath, failLine, isInputFailure, requireInput, serviceAccountFlag, TRUST_HELP, TRUST_OPTS, verifierFor } from './attestation-common.js';
import { describeResult } from './format.js';
import { readDocumentOr } from './input.js';
import { showHashProgress } from './progress.js';

const PROVENANCE_OPTS: Options = {
  ...TRUST_OPTS,
  'provenance-file': { type: 'string' },
  repository: { type: 'string' },
  'service-account': { type: 'string' },
  'gcp-service-account': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};

const HELP_PROVENANCE = `usage: sigstore attestation verify-provenance [options] --provenance-file FILE (--repository URL | --gcp-service-account EMAIL) DIST

verify a Python distribution against a PyPI provenance file (as PyPI's integrity API serves it):
every attestation bundle's Trusted Publisher must be the expected one, and each of its attestations
must verify for DIST with a signing certificate whose claims match that publisher:
  GitHub   issuer GitHub Actions; Source Repository URI https://github.com/OWNER/REPO; Build Config
           URI https://github.com/OWNER/REPO/.github/workflows/WORKFLOW@(ref or commit)
  GitLab   issuer https://gitlab.com; Source Repository URI https://gitlab.com/PATH; Build Config
           URI https://gitlab.com/PATH//CI_CONFIG_FILE@(ref or commit)
  Google   the service account email as the identity, issuer https://accounts.google.com

options:
  --provenance-file FILE     the provenance file (required)
  --repository URL           the repository that must have published DIST: https://github.com/OWNER/REPO
                             or https://gitlab.com/NAMESPACE/PROJECT (GitHub and GitLab publishers)
  --gcp-service-account EMAIL, --service-account EMAIL
                             the Google Cloud service account that must have published DIST (Google
                             publishers; pypi-attestations' flag; instead of --repository)
${TRUST_HELP}
  --json                     print one JSON object per verified attestation on stdout (JSON Lines;
                             schema schemas/output.v1.schema.json)
  -q, --quiet                print only the OK:/FAIL: line
  -v, --verbose              more detail on failures (stack traces)
  -h, --help                 show this help message and exit

Exit status: 0 verified, 1 a failure (also a missing DIST or provenance file, as pypi-attestations),
2 a usage error.
`;

/** The lines that say what a verified provenance established (each publisher, each attestation). */
export function describeProvenance(r: ProvenanceVerificationResult): string[] {
  const lines: string[] = [];
  for (const b of r.bundles) {
    lines.push(`  publisher: ${describePublisher(b.publisher)}`);
    for (const a of b.attestations) {
      lines.push(`  attestation: predicate ${a.predicateType}`);
      lines.push(...describeResult(a.result).trimEnd().split('\n').map((l) => `  ${l}`));
    }
  }
  return lines;
}

export async function runVerifyProvenance(argv: string[]): Promise<number> {
  const p = parse(argv, PROVENANCE_OPTS);
  if (flag(p, 'help')) {
    writeStdout(HELP_PROVENANCE);
    return 0;
  }
  const provenanceFile = str(p, 'provenance-file');
  if (provenanceFile === undefined) usage('the following arguments are required: --provenance-file (fetching provenance from PyPI is not supported)');
  const repository = str(p, 'repository');
  const serviceAccount = serviceAccountFlag(p);
  exclusive(p, ['repository', 'service-account', 'gcp-service-account']);
  if (repository === undefined && serviceAccount === undefined) usage('the following arguments are required: --repository (GitHub, GitLab) or --gcp-service-account (Google Cloud publishers)');
  if (p.positionals.length !== 1) usage('verify-provenance takes exactly one DIST');
  const distPath = p.positionals[0]!;
  checkDistPath(distPath);
  requireInput(provenanceFile!, 'provenance file');
  const expected = repository !== undefined ? { repository } : { serviceAccount: serviceAccount! };
  // A bad URL is a usage error, found before any work.
  if (repository !== undefined) parseRepositoryUrl(repository);
  const verifier = await verifierFor(p);
  const json = flag(p, 'json');
  await showHashProgress(!flag(p, 'quiet'));
  try {
    const dist = await Distribution.fromFile(distPath);
    const provenance = parseProvenance(readDocumentOr(provenanceFile!, 'INPUT_UNREADABLE', 'provenance file'));
    const r = await verifyProvenance(verifier, provenance, dist, expected);
    const lines = describeProvenance(r);
    writeStderr(`OK: ${distPath}\n${flag(p, 'quiet') ? '' : `${lines.join('\n')}\n`}`);
    if (json) {
      for (const b of r.bundles) {
        for (const a of b.attestations) writeStdout(attestationJsonLine(distPath, a, { provenance: provenanceFile!, publisher: b.publisher }));
      }
    }
    return 0;
  } catch (e) {
    if (!isInputFailure(e)) throw e;
    writeStderr(failLine(distPath, e));
    if (flag(p, 'verbose') && e.stack) writeStderr(`${e.stack}\n`);
    if (json) writeStdout(attestationFailureJsonLine(distPath, e, { provenance: provenanceFile! }));
    return 1;
  }
}
