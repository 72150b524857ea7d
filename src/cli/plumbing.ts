
import { BUNDLE_V01, BUNDLE_V02, BUNDLE_V03, BUNDLE_V03_LEGACY, parseBundle, type TlogEntry } from '../bundle/parse.js';
import { BundleError, NetworkError } from '../errors.js';
import { expectOk, request } from '../lib/http.js';
import { isObject, type JsonObject } from '../lib/json.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { writeAtomic } from '../trust/cache.js';
import { trustSourceFromFlags } from '../trust/instances.js';
import { loadTrust, updateTrustRoot } from '../trust/load.js';
import type { TransparencyLog } from '../trust/trusted-root.js';
import { verifyInclusionProof } from '../verify/tlog/index.js';
import { leafHash } from '../lib/merkle.js';
import { flag, offlineFromEnv, type Parsed, parse, shown, splitSubcommand, str, trustFlags, usage } from './args.js';
import { readDocumentOr } from './input.js';
import { parseStrictJson } from '../lib/strict-json.js';

const HELP = `usage: sigstore plumbing [-h] COMMAND ...

developer-only plumbing operations

commands:
  update-trust-root   refresh the TUF metadata and trust material of the selected instance now
  trust-root          print the active trusted root (JSON) and, on stderr, where it came from
  fix-bundle          complete an older bundle (inclusion proof, checkpoint) from its log; upgrade it to v0.3

The instance is chosen with the global flags --staging, --instance URL or --trust-config FILE
(default: the public-good production instance); --trust-cache DIR sets the TUF cache.
`;

const HELP_UPDATE = `usage: sigstore plumbing update-trust-root [-h] [--staging | --instance URL] [--trust-cache DIR]

refresh the TUF metadata of the selected instance now, even when the cached copy has not
expired, and cache its trusted root and signing config. A refused update (rollback, expired
or tampered metadata, too few signatures) leaves the cache as it was.
`;

const HELP_TRUST_ROOT = `usage: sigstore plumbing trust-root [-h] [--offline] [--trusted-root FILE] [--staging | --instance URL | --trust-config FILE]

print the trusted root verification would use (JSON, on stdout) and where it came from (on stderr).

options:
  --offline             never use the network: the cache, else the embedded copy (also SIGSTORE_OFFLINE=1)
  --trusted-root FILE   a trusted root file (printed as parsed)
`;

const HELP_FIX = `usage: sigstore plumbing fix-bundle [-h] --bundle FILE [--upgrade-version] [--in-place] [--rekor-url URL]

complete a bundle whose transparency log entries lack an inclusion proof or checkpoint, from the
Rekor v1 log that holds each entry (found through the trusted root by log ID, or --rekor-url);
every fetched proof is verified before it is written. Prints the fixed bundle on stdout.

options:
  --bundle FILE         the bundle to fix (required)
  --upgrade-version     also upgrade the bundle to v0.3 (a single certificate, not a chain)
  --in-place            overwrite FILE (atomically) instead of printing the bundle
  --rekor-url URL       the Rekor v1 base URL to fetch from (default: the trusted log's URL)
  --trusted-root FILE   find the log in this trusted root
`;

function sourceOf(p: Parsed, offline = false) {
  return trustSourceFromFlags(trustFlags(p, offline));
}

async function updateTrustRootCmd(argv: string[]): Promise<number> {
  const p = parse(argv, {}, { allowPositionals: false });
  if (flag(p, 'help')) {
    writeStdout(HELP_UPDATE);
    return 0;
  }
  if (str(p, 'trust-config')) usage('--trust-config does not use TUF: there is nothing to update');
  if (offlineFromEnv()) usage('SIGSTORE_OFFLINE is set: updating the trust material needs the network');
  const { origin } = await updateTrustRoot(sourceOf(p));
  writeStderr(
    `updated the trust material of ${origin.instance} from ${origin.repository}: root v${origin.rootVersion}, timestamp v${origin.timestampVersion} (expires ${origin.expires?.toISOString()})${
      origin.persisted ? `; cached in ${origin.path}` : '; not saved (the cache is not writable)'
    }\n`,
  );
  return 0;
}

async function trustRootCmd(argv: string[]): Promise<number> {
  const p = parse(argv, { offline: { type: 'boolean' }, 'trusted-root': { type: 'string' } }, { allowPositionals: false });
  if (flag(p, 'help')) {
    writeStdout(HELP_TRUST_ROOT);
    return 0;
  }
  const { trustedRootJson, origin } = await loadTrust(sourceOf(p, flag(p, 'offline')));
  writeStdout(`${JSON.stringify(trustedRootJson, null, 2)}\n`);
  writeStderr(`trusted root from ${origin.description}${origin.stale ? ' [STALE: past its TUF expiry]' : ''}\n`);
  return 0;
}

const REKOR_V1_KINDS = new Set(['hashedrekord', 'dsse', 'intoto', 'rekord', 'helm', 'rpm', 'jar', 'cose', 'alpine', 'tuf', 'rfc3161']);

/** A Rekor v1 log entry as the API returns it. */
interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: { checkpoint?: string; hashes?: string[]; logIndex?: number; rootHash?: string; treeSize?: number };
  };
}

function entriesOf(json: unknown, what: string): RekorEntry[] {
  const list = Array.isArray(json) ? json : [json];
  const out: RekorEntry[] = [];
  for (const item of list) {
    if (!isObject(item)) throw new NetworkError('RESPONSE_MALFORMED', `Rekor answered ${what} with something other than entries`);
    for (const v of Object.values(item)) if (isObject(v)) out.push(v as unknown as RekorEntry);
  }
  return out;
}

/** Fetches the entry of a bundle's tlog entry: by log index, else by UUID (the leaf hash). */
async function fetchEntry(base: string, entry: TlogEntry): Promise<RekorEntry> {
  const matches = (e: RekorEntry) => typeof e.body === 'string' && Buffer.from(e.body, 'base64').equals(entry.canonicalizedBody);
  const byIndex = await request({ url: `${base}/api/v1/log/entries?logIndex=${entry.logIndex}`, service: 'Rekor' });
  if (byIndex.status === 200) {
    const found = entriesOf(byIndex.json(), `log index ${entry.logIndex}`).find(matches);
    if (found) return found;
  } else if (byIndex.status !== 404) {
    expectOk(byIndex, 'Rekor', `the entry at log index ${entry.logIndex}`);
  }
  const uuid = leafHash(entry.canonicalizedBody).toString('hex');
  const byUuid = expectOk(await request({ url: `${base}/api/v1/log/entries/${uuid}`, service: 'Rekor' }), 'Rekor', `the entry with UUID ${uuid}`);
  const found = entriesOf(byUuid.json(), `UUID ${uuid}`).find(matches);
  if (!found) throw new BundleError('FIX_ENTRY_NOT_FOUND', `${base} has no entry with the bundle's body (log index ${entry.logIndex}, UUID ${uuid})`);
  return found;
}

const HEX = /^[0-9a-f]+$/i;

/** Completes one raw tlog entry (JSON) in place; returns whether it changed. */
async function fixEntry(raw: JsonObject, entry: TlogEntry, log: TransparencyLog | undefined, rekorUrl: string | undefined, index: number): Promise<boolean> {
  const proof = isObject(raw.inclusionProof) ? raw.inclusionProof : undefined;
  const hasCheckpoint = proof && isObject(proof.checkpoint) && typeof proof.checkpoint.envelope === 'string' && proof.checkpoint.envelope.length > 0;
  if (proof && hasCheckpoint) return false;
  if (!REKOR_V1_KINDS.has(entry.kind)) {
    throw new BundleError('FIX_UNSUPPORTED', `tlogEntries[${index}] (${entry.kind} ${entry.version}) is not a Rekor v1 entry: it cannot be completed`);
  }
  if (!log) {
    throw new BundleError('FIX_LOG_UNKNOWN', `tlogEntries[${index}] comes from a log not in the trusted root (log ID ${entry.logId.toString('base64')}); give --trusted-root or --instance`);
  }
  const base = (rekorUrl ?? log.baseUrl).replace(/\/+$/, '');
  if (!base) throw new BundleError('FIX_LOG_UNKNOWN', `the trusted root gives no URL for the log of tlogEntries[${index}]; give --rekor-url`);
  const got = await fetchEntry(base, entry);
  const ip = got.verification?.inclusionProof;
  if (!ip || typeof ip.rootHash !== 'string' || !HEX.test(ip.rootHash) || !Array.isArray(ip.hashes) || typeof ip.checkpoint !== 'string') {
    throw new BundleError('FIX_NO_PROOF', `${base} returned the entry at log index ${entry.logIndex} without an inclusion proof and checkpoint`);
  }
  if (!ip.hashes.every((h) => typeof h === 'string' && HEX.test(h)) || !Number.isSafeInteger(ip.logIndex) || !Number.isSafeInteger(ip.treeSize)) {
    throw new BundleError('FIX_NO_PROOF', `${base} returned a malformed inclusion proof for log index ${entry.logIndex}`);
  }
  if (got.logIndex !== undefined && BigInt(got.logIndex) !== entry.logIndex) {
    throw new BundleError('FIX_ENTRY_MISMATCH', `${base} returned log index ${got.logIndex} for the bundle's entry at ${entry.logIndex}`);
  }
  if (typeof got.logID === 'string' && HEX.test(got.logID) && !Buffer.from(got.logID, 'hex').equals(entry.logId)) {
    throw new BundleError('FIX_ENTRY_MISMATCH', `${base} returned an entry of another log (log ID ${got.logID})`);
  }
  if (entry.integratedTime > 0n && got.integratedTime !== undefined && BigInt(got.integratedTime) !== entry.integratedTime) {
    throw new BundleError('FIX_ENTRY_MISMATCH', `${base} returned integrated time ${got.integratedTime} for an entry the bundle says was integrated at ${entry.integratedTime}`);
  }
  const inclusionProof = {
    logIndex: String(ip.logIndex),
    rootHash: Buffer.from(ip.rootHash, 'hex').toString('base64'),
    treeSize: String(ip.treeSize),
    hashes: ip.hashes.map((h) => Buffer.from(h, 'hex').toString('base64')),
    checkpoint: { envelope: ip.checkpoint },
  };
  // Never write a proof that does not verify against the trusted log.
  try {
    verifyInclusionProof(
      {
        ...entry,
        inclusionProof: {
          logIndex: BigInt(ip.logIndex!),
          rootHash: Buffer.from(ip.rootHash, 'hex'),
          treeSize: BigInt(ip.treeSize!),
          hashes: ip.hashes.map((h) => Buffer.from(h, 'hex')),
          checkpoint: ip.checkpoint,
        },
      },
      log,
    );
  } catch (e) {
    throw new BundleError('FIX_PROOF_INVALID', `the inclusion proof ${base} returned for log index ${entry.logIndex} does not verify: ${(e as Error).message}`, { cause: e });
  }
  raw.inclusionProof = inclusionProof;
  if (!isObject(raw.inclusionPromise) && typeof got.verification?.signedEntryTimestamp === 'string') {
    raw.inclusionPromise = { signedEntryTimestamp: got.verification.signedEntryTimestamp };
  }
  if (raw.integratedTime === undefined && got.integratedTime !== undefined) raw.integratedTime = String(got.integratedTime);
  return true;
}

/** Parses a bundle for fixing: structure first, with the proofs a v0.2+ bundle lacks tolerated. */
function parseForFix(json: JsonObject): TlogEntry[] {
  // Parse as v0.1 (which does not require inclusion proofs) to read the entries strictly.
  const copy = structuredClone(json);
  copy.mediaType = BUNDLE_V01;
  const vm = isObject(copy.verificationMaterial) ? copy.verificationMaterial : undefined;
  if (vm && isObject(vm.certificate)) {
    vm.x509CertificateChain = { certificates: [vm.certificate] };
    delete vm.certificate;
  }
  if (vm && Array.isArray(vm.tlogEntries)) {
    for (const e of vm.tlogEntries) {
      // v0.1 requires a promise; entries with a complete proof are not fixed anyway.
      if (isObject(e) && !isObject(e.inclusionPromise)) e.inclusionPromise = { signedEntryTimestamp: 'AA==' };
    }
  }
  return parseBundle(copy).tlogEntries;
}

async function fixBundleCmd(argv: string[]): Promise<number> {
  const p = parse(
    argv,
    { bundle: { type: 'string' }, 'upgrade-version': { type: 'boolean' }, 'in-place': { type: 'boolean' }, 'rekor-url': { type: 'string' }, 'trusted-root': { type: 'string' } },
    { allowPositionals: false },
  );
  if (flag(p, 'help')) {
    writeStdout(HELP_FIX);
    return 0;
  }
  const path = str(p, 'bundle');
  if (!path) usage('the following arguments are required: --bundle');
  const text = readDocumentOr(path!, 'BUNDLE_UNREADABLE', 'bundle').toString('utf8');
  let json: unknown;
  try {
    json = parseStrictJson(text);
  } catch (e) {
    throw new BundleError('BUNDLE_INVALID', `invalid bundle: ${path} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw new BundleError('BUNDLE_INVALID', 'invalid bundle: not a JSON object');
  const known = [BUNDLE_V01, BUNDLE_V02, BUNDLE_V03, BUNDLE_V03_LEGACY];
  if (!known.includes(json.mediaType as string)) throw new BundleError('BUNDLE_INVALID', `invalid bundle: unsupported mediaType ${JSON.stringify(json.mediaType)}`);
  const entries = parseForFix(json);
  const vm = json.verificationMaterial as JsonObject;
  const rawEntries = (vm.tlogEntries ?? []) as JsonObject[];
  // As sigstore-python's fix-bundle: a bundle is fixed from its one log entry.
  if (rawEntries.length !== 1) throw new BundleError('FIX_UNSUPPORTED', `unfixable bundle: must have exactly one log entry (it has ${rawEntries.length})`);
  const needs = rawEntries.some((e) => !isObject(e.inclusionProof) || !isObject(e.inclusionProof.checkpoint) || !e.inclusionProof.checkpoint.envelope);
  let trust: Awaited<ReturnType<typeof loadTrust>> | undefined;
  if (needs) trust = await loadTrust(sourceOf(p));
  let fixed = 0;
  for (let i = 0; i < rawEntries.length; i++) {
    const entry = entries[i]!;
    const log = trust?.trustMaterial.tlogs.find((l) => l.logId.equals(entry.logId));
    if (await fixEntry(rawEntries[i]!, entry, log, str(p, 'rekor-url'), i)) fixed++;
  }
  let upgraded = false;
  if (flag(p, 'upgrade-version') && json.mediaType !== BUNDLE_V03) {
    json.mediaType = BUNDLE_V03;
    const chain = isObject(vm.x509CertificateChain) ? vm.x509CertificateChain : undefined;
    if (chain) {
      const certs = Array.isArray(chain.certificates) ? chain.certificates : [];
      if (certs.length === 0) throw new BundleError('BUNDLE_INVALID', 'invalid bundle: verificationMaterial.x509CertificateChain is empty');
      delete vm.x509CertificateChain;
      vm.certificate = certs[0];
    }
    upgraded = true;
  }
  // The result must be a well-formed bundle of its version.
  try {
    parseBundle(json);
  } catch (e) {
    throw new BundleError('FIX_RESULT_INVALID', `the fixed bundle is still not valid: ${(e as Error).message}`, { cause: e });
  }
  const out = `${JSON.stringify(json)}\n`;
  const what = [fixed ? `completed ${fixed} log entr${fixed === 1 ? 'y' : 'ies'}` : '', upgraded ? `upgraded to ${BUNDLE_V03}` : ''].filter(Boolean).join(', ') || 'nothing to fix';
  if (flag(p, 'in-place')) {
    if (fixed || upgraded) writeAtomic(path!, out);
    writeStderr(`${path}: ${what}\n`);
  } else {
    writeStdout(out);
    writeStderr(`${path}: ${what}\n`);
  }
  return 0;
}

/** Options that take a value, so their value is not mistaken for the subcommand. */
const VALUED = new Set(['--instance', '--trust-config', '--trust-cache', '--trusted-root', '--bundle', '--rekor-url']);

export async function run(argv: string[]): Promise<number> {
  const { sub, rest } = splitSubcommand(argv, VALUED);
  switch (sub) {
    case 'update-trust-root':
      return updateTrustRootCmd(rest);
    case 'trust-root':
      return trustRootCmd(rest);
    case 'fix-bundle':
      return fixBundleCmd(rest);
    case undefined:
      if (argv.includes('-h') || argv.includes('--help')) {
        writeStdout(HELP);
        return 0;
      }
      writeStderr(HELP);
      return usage('plumbing needs a command: update-trust-root, trust-root or fix-bundle');
    default:
      return usage(`unknown plumbing command '${shown(sub)}' (choose from update-trust-root, trust-root, fix-bundle)`);
  }
}
