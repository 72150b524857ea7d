/**
 * `sigstore attestation verify-pypi` (also spelled `verify pypi`, as pypi-attestations does): a
 * distribution straight from a package index. The file is found through the index's JSON simple
 * API (PEP 691), downloaded (streamed, hashed, checked against the index's hash), its provenance
 * fetched from the Integrity API (PEP 740), and every attestation verified against the Trusted
 * Publisher the user names, with the rules of `verify-provenance`.
 */
import { SigstoreError } from '../errors.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { Distribution, parseDistributionFilename } from '../pypi/distribution.js';
import { DEFAULT_INDEX_URL, PackageIndex } from '../pypi/index-client.js';
import { parseProvenance } from '../pypi/provenance.js';
import { parseRepositoryUrl, verifyProvenance } from '../pypi/verify.js';
import { exclusive, flag, type Options, parse, str, usage } from './args.js';
import { attestationFailureJsonLine, attestationJsonLine, failLine, isInputFailure, serviceAccountFlag, TRUST_OPTS, verifierFor } from './attestation-common.js';
import { describeProvenance } from './attestation-provenance.js';
import { readDocumentOr } from './input.js';

const OPTS: Options = {
  ...TRUST_OPTS,
  repository: { type: 'string' },
  'service-account': { type: 'string' },
  'gcp-service-account': { type: 'string' },
  'index-url': { type: 'string' },
  'provenance-file': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};

export const HELP = `usage: sigstore attestation verify-pypi [options] (--repository URL | --gcp-service-account EMAIL) pypi:FILENAME
       sigstore attestation verify pypi [options] ... (the same, as pypi-attestations spells it)

verify a distribution published on a Python package index against its PEP 740 provenance and
Trusted Publisher: FILENAME is looked up in its project's page of the index's JSON simple API
(PEP 691), downloaded (streamed and hashed; the index's sha256 must match), its provenance is
fetched from the index's Integrity API (PEP 740: /integrity/PROJECT/VERSION/FILENAME/provenance,
or the URL the simple API gives), and every attestation bundle must name the expected Trusted
Publisher and verify for the downloaded file, as \`sigstore attestation verify-provenance\` checks.
The target may also be a file URL (https://files.pythonhosted.org/...): the file is downloaded
from there and must be the one the index lists.

options:
  --repository URL           the repository that must have published it: https://github.com/OWNER/REPO
                             or https://gitlab.com/NAMESPACE/PROJECT (GitHub and GitLab publishers)
  --gcp-service-account EMAIL, --service-account EMAIL
                             the Google Cloud service account that must have published it (Google
                             publishers; pypi-attestations' flag; instead of --repository)
  --index-url URL            the index (default $SIGSTORE_PYPI_INDEX_URL, else ${DEFAULT_INDEX_URL});
                             its simple API is URL/simple/ and its Integrity API URL/integrity/
                             (a URL ending in /simple is taken as the simple API's own)
  --provenance-file FILE     verify against this provenance file instead of the index's; with a
                             local DIST instead of pypi:FILENAME, nothing is fetched (as verify-provenance)
  --offline                  use the cached or embedded trust material, without TUF (the index is
                             still asked; also SIGSTORE_OFFLINE=1)
  --trusted-root FILE        the trusted root to verify against (default: the Sigstore public-good root;
                             the global --staging selects staging, --trust-config FILE a private instance)
  --json                     print one JSON object per verified attestation on stdout (JSON Lines;
                             schema schemas/output.v1.schema.json)
  -q, --quiet                print only the OK:/FAIL: line
  -v, --verbose              more detail on failures (stack traces)
  -h, --help                 show this help message and exit

Exit status: 0 verified, 1 not verified (no such file, no provenance, publisher or hash mismatch,
index errors), 2 a usage error.
`;

/** The file name a target names: `pypi:FILENAME`, or the last part of a file URL. */
export function targetFilename(target: string): { filename: string; url: string | undefined } {
  let filename: string;
  let url: string | undefined;
  if (target.startsWith('pypi:')) {
    filename = target.slice('pypi:'.length);
  } else if (/^https?:\/\//.test(target)) {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      return usage(`${JSON.stringify(target)} is not a URL`);
    }
    if (u.search || u.hash || u.username || u.password) usage(`${target}: a distribution URL has no query, fragment or credentials`);
    filename = decodeURIComponent(u.pathname.split('/').pop() ?? '');
    url = u.href;
  } else {
    return usage(`${JSON.stringify(target)} is neither pypi:FILENAME nor a distribution URL (a local file needs --provenance-file)`);
  }
  parseDistributionFilename(filename);
  return { filename, url };
}

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, OPTS);
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  const repository = str(p, 'repository');
  const serviceAccount = serviceAccountFlag(p);
  exclusive(p, ['repository', 'service-account', 'gcp-service-account']);
  if (repository === undefined && serviceAccount === undefined) usage('the following arguments are required: --repository (GitHub, GitLab) or --gcp-service-account (Google Cloud publishers)');
  if (repository !== undefined) parseRepositoryUrl(repository);
  if (p.positionals.length !== 1) usage('verify-pypi takes exactly one pypi:FILENAME (or file URL)');
  const target = p.positionals[0]!;
  if (!target.startsWith('pypi:') && !/^https?:\/\//.test(target) && str(p, 'provenance-file') !== undefined) {
    // A local file with a local provenance: verify-provenance, as before (no index involved).
    const rest = argv.filter((a, i) => !a.startsWith('--index-url') && argv[i - 1] !== '--index-url');
    return (await import('./attestation-provenance.js')).runVerifyProvenance(rest);
  }
  const { filename, url } = targetFilename(target);
  const indexUrl = str(p, 'index-url') ?? (process.env.SIGSTORE_PYPI_INDEX_URL || DEFAULT_INDEX_URL);
  const index = new PackageIndex(indexUrl);
  const provenanceFile = str(p, 'provenance-file');
  const expected = repository !== undefined ? { repository } : { serviceAccount: serviceAccount! };
  const verifier = await verifierFor(p);
  const json = flag(p, 'json');
  try {
    const file = await index.file(filename);
    const from = url ?? file.url;
    const digest = await index.download(from, file.sha256, filename);
    const dist = new Distribution(file.filename, digest);
    let provenanceBytes: Buffer | undefined;
    let provenanceFrom: string;
    if (provenanceFile !== undefined) {
      provenanceBytes = readDocumentOr(provenanceFile, 'INPUT_UNREADABLE', 'provenance file');
      provenanceFrom = provenanceFile;
    } else {
      provenanceFrom = file.provenance ?? index.integrityUrl(file);
      provenanceBytes = await index.provenance(file);
      if (provenanceBytes === undefined) {
        throw new SigstoreError('PYPI_PROVENANCE_MISSING', `no provenance published: ${index.urls.display} has no PEP 740 provenance for ${file.filename}`);
      }
    }
    const provenance = parseProvenance(provenanceBytes);
    const r = await verifyProvenance(verifier, provenance, dist, expected);
    const hashNote = file.sha256 !== undefined ? 'matches the index' : 'the index lists no sha256';
    const lines = [`  file: ${file.filename} sha256 ${digest} (downloaded from ${from}; ${hashNote})`, `  provenance: ${provenanceFrom}`, ...describeProvenance(r)];
    writeStderr(`OK: ${target}\n${flag(p, 'quiet') ? '' : `${lines.join('\n')}\n`}`);
    if (json) {
      // One verification line per attestation, as verify-provenance prints, with the index and URL.
      const where = { provenance: provenanceFrom, index: index.urls.display, url: from };
      for (const b of r.bundles) for (const a of b.attestations) writeStdout(attestationJsonLine(target, a, { ...where, publisher: b.publisher }));
    }
    return 0;
  } catch (e) {
    if (!isInputFailure(e)) throw e;
    writeStderr(failLine(target, e));
    if (flag(p, 'verbose') && e.stack) writeStderr(`${e.stack}\n`);
    if (json) writeStdout(attestationFailureJsonLine(target, e, { index: index.urls.display }));
    return 1;
  }
}
