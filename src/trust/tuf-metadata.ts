/**
 * TUF metadata checked without tuf-js: the chain root -> timestamp -> snapshot -> targets of a
 * cached (or shipped) copy, every role signed by a threshold of the keys its root names, the
 * versions and hashes each role gives for the next, and the expiry of the whole (the earliest
 * of the four). This is what every read of the TUF cache runs, so a cache file that was
 * corrupted or tampered with is refused before its trust material is used (TUF spec 5.3-5.6,
 * applied to local files; tuf-js does the same when it refreshes from the network).
 *
 * Signatures are over the canonical JSON (OLPC) of `signed`, as securesystemslib and tuf-js
 * compute it; keys are ECDSA P-256/P-384 (PEM or hex), Ed25519 (hex or PEM) or RSA-PSS (PEM).
 */
import { createHash, createPublicKey, type KeyObject, constants as cryptoConstants, verify } from 'node:crypto';
import { TrustError } from '../errors.js';
import { isObject, type JsonObject } from '../lib/json.js';
import type { ErrorCode } from '../errors.js';

/** The canonical JSON form TUF signs (keys sorted, integers only, only `\` and `"` escaped). */
export function canonicalJson(v: unknown): string {
  if (typeof v === 'string') return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError('canonical JSON has no floating point numbers');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${canonicalJson(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot encode ${typeof v}`);
}

/** One role's metadata: its `signed` part, read strictly enough for the checks below. */
export interface RoleInfo {
  type: string;
  version: number;
  expires: Date;
  signed: JsonObject;
}

/** A role's keys and threshold as a root names them. */
interface RoleKeys {
  keyids: string[];
  threshold: number;
}

/** A verified metadata chain. */
export interface VerifiedChain {
  root: RoleInfo;
  timestamp: RoleInfo;
  snapshot: RoleInfo;
  targets: RoleInfo;
  /** The earliest expiry of the four roles: after it, the material is stale. */
  expires: Date;
  /** Which role expires first. */
  expiresRole: string;
}

/** The metadata files of a chain, as bytes. */
export interface ChainFiles {
  root: Buffer | undefined;
  timestamp: Buffer | undefined;
  snapshot: Buffer | undefined;
  targets: Buffer | undefined;
}

type Fail = (m: string) => never;

function failWith(code: ErrorCode, what: string): Fail {
  return (m: string) => {
    throw new TrustError(code, `${what}: ${m}`);
  };
}

/** Parses metadata bytes: `{ signed: {...}, signatures: [...] }` of the expected `_type`. */
export function readRole(data: Buffer | undefined, type: string, fail: Fail): { info: RoleInfo; signatures: { keyid: string; sig: string }[] } {
  if (!data) return fail(`${type}.json is missing`);
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch {
    return fail(`${type}.json is not valid JSON`);
  }
  if (!isObject(doc) || !isObject(doc.signed) || !Array.isArray(doc.signatures)) return fail(`${type}.json is not TUF metadata`);
  const signed = doc.signed;
  if (signed._type !== type) fail(`${type}.json has _type ${JSON.stringify(signed._type)}`);
  const version = signed.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) fail(`${type}.json has no valid version`);
  const expires = new Date(typeof signed.expires === 'string' ? signed.expires : Number.NaN);
  if (Number.isNaN(expires.getTime())) fail(`${type}.json has no valid expiry`);
  const signatures = doc.signatures.map((s) => {
    if (!isObject(s) || typeof s.keyid !== 'string' || typeof s.sig !== 'string') return fail(`${type}.json has a malformed signature`);
    return { keyid: s.keyid, sig: s.sig };
  });
  return { info: { type, version: version as number, expires, signed }, signatures };
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** A TUF key as a node KeyObject with its verify parameters. */
function tufKey(k: unknown): { key: KeyObject; digest: string | null; pss: boolean } | undefined {
  if (!isObject(k) || !isObject(k.keyval) || typeof k.keyval.public !== 'string') return undefined;
  const pub = k.keyval.public;
  const pem = pub.startsWith('-----BEGIN PUBLIC KEY-----');
  try {
    switch (k.keytype) {
      case 'ed25519': {
        if (k.scheme !== 'ed25519') return undefined;
        const key = pem
          ? createPublicKey(pub)
          : HEX.test(pub) && pub.length === 64
            ? createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pub, 'hex')]), format: 'der', type: 'spki' })
            : undefined;
        return key && key.asymmetricKeyType === 'ed25519' ? { key, digest: null, pss: false } : undefined;
      }
      case 'ecdsa':
      case 'ecdsa-sha2-nistp256':
      case 'ecdsa-sha2-nistp384': {
        const digest = k.scheme === 'ecdsa-sha2-nistp256' ? 'sha256' : k.scheme === 'ecdsa-sha2-nistp384' ? 'sha384' : undefined;
        if (!digest) return undefined;
        const key = pem ? createPublicKey(pub) : HEX.test(pub) ? createPublicKey({ key: Buffer.from(pub, 'hex'), format: 'der', type: 'spki' }) : undefined;
        return key && key.asymmetricKeyType === 'ec' ? { key, digest, pss: false } : undefined;
      }
      case 'rsa': {
        if (k.scheme !== 'rsassa-pss-sha256' || !pem) return undefined;
        const key = createPublicKey(pub);
        return key.asymmetricKeyType === 'rsa' ? { key, digest: 'sha256', pss: true } : undefined;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function roleKeys(root: JsonObject, role: string, fail: Fail): RoleKeys {
  const roles = root.roles;
  if (!isObject(roles) || !isObject(roles[role])) return fail(`root.json names no ${role} role`);
  const r = roles[role];
  const keyids = r.keyids;
  const threshold = r.threshold;
  if (!Array.isArray(keyids) || !keyids.every((k) => typeof k === 'string')) fail(`root.json: the ${role} role has no key IDs`);
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1) fail(`root.json: the ${role} role has no valid threshold`);
  return { keyids: [...new Set(keyids as string[])], threshold: threshold as number };
}

/** Checks that `role` is signed by a threshold of `keys` (distinct key IDs, each counted once). */
export function checkThreshold(
  info: RoleInfo,
  signatures: { keyid: string; sig: string }[],
  root: JsonObject,
  roleName: string,
  fail: Fail,
): void {
  const { keyids, threshold } = roleKeys(root, roleName, fail);
  const keys = isObject(root.keys) ? root.keys : {};
  const data = Buffer.from(canonicalJson(info.signed));
  const good = new Set<string>();
  for (const s of signatures) {
    if (good.size >= threshold) break;
    if (!keyids.includes(s.keyid) || good.has(s.keyid) || !HEX.test(s.sig)) continue;
    const k = tufKey(keys[s.keyid]);
    if (!k) continue;
    let ok = false;
    try {
      ok = verify(k.digest, data, k.pss ? { key: k.key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO } : k.key, Buffer.from(s.sig, 'hex'));
    } catch {
      ok = false;
    }
    if (ok) good.add(s.keyid);
  }
  if (good.size < threshold) fail(`${info.type}.json v${info.version} is signed by ${good.size} of the ${threshold} ${roleName} keys it needs`);
}

/** The version (and optional length and SHA-256) a role gives for `file`. */
function metaFor(signed: JsonObject, file: string, fail: Fail, from: string): { version: number; length?: number; sha256?: string } {
  const meta = signed.meta;
  const m = isObject(meta) ? meta[file] : undefined;
  if (!isObject(m) || typeof m.version !== 'number' || !Number.isSafeInteger(m.version)) return fail(`${from}.json does not give the version of ${file}`);
  const out: { version: number; length?: number; sha256?: string } = { version: m.version };
  if (m.length !== undefined) {
    if (typeof m.length !== 'number' || !Number.isSafeInteger(m.length)) fail(`${from}.json gives a malformed length for ${file}`);
    out.length = m.length as number;
  }
  if (m.hashes !== undefined) {
    if (!isObject(m.hashes) || (m.hashes.sha256 !== undefined && typeof m.hashes.sha256 !== 'string')) fail(`${from}.json gives malformed hashes for ${file}`);
    const sha = (m.hashes as JsonObject).sha256;
    if (typeof sha === 'string') out.sha256 = sha.toLowerCase();
  }
  return out;
}

function checkMeta(data: Buffer, ref: { version: number; length?: number; sha256?: string }, role: RoleInfo, file: string, from: string, fail: Fail): void {
  if (ref.length !== undefined && data.length !== ref.length) fail(`${file} is ${data.length} bytes, ${from}.json says ${ref.length} (mix-and-match or tampering)`);
  if (ref.sha256 !== undefined && createHash('sha256').update(data).digest('hex') !== ref.sha256) fail(`${file} does not have the SHA-256 ${from}.json gives (mix-and-match or tampering)`);
  if (role.version !== ref.version) fail(`${file} is version ${role.version}, ${from}.json says ${ref.version} (rollback or mix-and-match)`);
}

/**
 * Verifies root (self-signed by a threshold of its root keys) and, when `anchor` is given (the
 * root shipped with sigstore-ts), that it descends from the anchor: the same root at the same
 * version; at a higher version, every root in between (`N.root.json` in `intermediates`) signed
 * by a threshold of the previous root's root keys and of its own (TUF spec 5.3.4-5.3.5).
 * Returns the parsed root.
 */
export function verifyRoot(data: Buffer | undefined, fail: Fail, anchor?: Buffer, intermediates?: ReadonlyMap<string, Buffer>): RoleInfo {
  const { info, signatures } = readRole(data, 'root', fail);
  checkThreshold(info, signatures, info.signed, 'root', fail);
  if (anchor) {
    const a = readRole(anchor, 'root', fail).info;
    if (info.version < a.version) fail(`root.json v${info.version} is older than the trusted root v${a.version} shipped with sigstore-ts (rollback)`);
    if (info.version === a.version && canonicalJson(info.signed) !== canonicalJson(a.signed)) fail(`root.json v${info.version} differs from the trusted root v${a.version} of the same version`);
    let previous = a;
    for (let v = a.version + 1; v <= info.version; v++) {
      const bytes = v === info.version ? data : intermediates?.get(`${v}.root.json`);
      if (!bytes) return fail(`root.json v${info.version} cannot be traced to the trusted root v${a.version} shipped with sigstore-ts: ${v}.root.json is missing`);
      const step = readRole(bytes, 'root', fail);
      if (step.info.version !== v) fail(`${v}.root.json has version ${step.info.version}`);
      checkThreshold(step.info, step.signatures, previous.signed, 'root', (m) => fail(`${m} (of root v${previous.version}: a root rotation it did not sign)`));
      checkThreshold(step.info, step.signatures, step.info.signed, 'root', fail);
      previous = step.info;
    }
    if (canonicalJson(previous.signed) !== canonicalJson(info.signed)) fail(`root.json v${info.version} is not the root its chain leads to`);
  }
  return info;
}

/**
 * Verifies a whole chain root -> timestamp -> snapshot -> targets. Expiry is not a failure here
 * (the caller decides what stale material may be used for): the earliest expiry is returned.
 * Throws a {@link TrustError} with `code` and a message naming the file and the check.
 */
export function verifyChain(files: ChainFiles, opts: { code: ErrorCode; what: string; anchor?: Buffer; intermediates?: ReadonlyMap<string, Buffer> }): VerifiedChain {
  const fail = failWith(opts.code, opts.what);
  const root = verifyRoot(files.root, fail, opts.anchor, opts.intermediates);
  const ts = readRole(files.timestamp, 'timestamp', fail);
  checkThreshold(ts.info, ts.signatures, root.signed, 'timestamp', fail);
  const snap = readRole(files.snapshot, 'snapshot', fail);
  checkThreshold(snap.info, snap.signatures, root.signed, 'snapshot', fail);
  checkMeta(files.snapshot!, metaFor(ts.info.signed, 'snapshot.json', fail, 'timestamp'), snap.info, 'snapshot.json', 'timestamp', fail);
  const targets = readRole(files.targets, 'targets', fail);
  checkThreshold(targets.info, targets.signatures, root.signed, 'targets', fail);
  checkMeta(files.targets!, metaFor(snap.info.signed, 'targets.json', fail, 'snapshot'), targets.info, 'targets.json', 'snapshot', fail);
  const all = [root, ts.info, snap.info, targets.info];
  const first = all.reduce((a, b) => (b.expires.getTime() < a.expires.getTime() ? b : a));
  return { root, timestamp: ts.info, snapshot: snap.info, targets: targets.info, expires: first.expires, expiresRole: first.type };
}

/** One target as a verified `targets.json` names it. */
export interface TargetRef {
  length: number;
  sha256: string;
}

/** The targets a verified `targets` role names (only those with a SHA-256 and a length). */
export function targetsOf(targets: RoleInfo): Map<string, TargetRef> {
  const out = new Map<string, TargetRef>();
  const t = targets.signed.targets;
  if (!isObject(t)) return out;
  for (const [name, v] of Object.entries(t)) {
    if (!isObject(v) || !isObject(v.hashes)) continue;
    const sha256 = v.hashes.sha256;
    if (typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) && typeof v.length === 'number' && Number.isSafeInteger(v.length)) out.set(name, { length: v.length, sha256 });
  }
  return out;
}
