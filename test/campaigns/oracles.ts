/**
 * False-acceptance oracles of the fuzz campaign, one per input type: when a mutated input is
 * accepted, is the acceptance explained by what was not changed? Each oracle uses only
 * independent facts (bytes compared, the real verifier on unchanged trust material), never the
 * code under test's own answer.
 */
import { Certificate } from '../../src/lib/x509.js';
import { parseTimeStampToken } from '../../src/lib/cms.js';
import { parseTrustedRoot, type TrustMaterial } from '../../src/trust/trusted-root.js';
import type { SigningConfig } from '../../src/trust/signing-config.js';
import { Verifier } from '../../src/verify/verifier.js';
import type { KeyPolicy } from '../../src/verify/verifier.js';
import type { VerificationPolicy } from '../../src/verify/policy.js';
import type { Artifact } from '../../src/verify/types.js';

type Json = Record<string, unknown>;

/** The bytes a base64 field holds, as hex (two spellings of the same bytes are the same key material). */
const bytesOf = (v: unknown): string | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : undefined);

/**
 * A log's key material as the verifier uses it: its key's bytes, its log ID, and the 4-byte key
 * hint its checkpoints are signed under (the first 4 bytes of the checkpoint key ID, which
 * defaults to the log ID: a C2SP signature line carries nothing more of it). Not its URL, key
 * details or window.
 */
function logIdentity(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const o = e as Record<string, Record<string, unknown> | undefined>;
  const logId = bytesOf(o.logId?.keyId);
  const hint = (bytesOf(o.checkpointKeyId?.keyId) ?? logId)?.slice(0, 8);
  return JSON.stringify([bytesOf(o.publicKey?.rawBytes), logId, hint]);
}

/** A chain certificate's key material: its name and key (a trust anchor is exactly that, RFC 5280 6.1.1). */
function certIdentity(c: unknown): string | undefined {
  try {
    const cert = new Certificate(Buffer.from(String((c as { rawBytes?: unknown })?.rawBytes), 'base64'));
    return `${cert.subjectRaw.toString('hex')}/${cert.spki.toString('hex')}`;
  } catch {
    return undefined;
  }
}

/**
 * The mutated trusted root cut down to the key material of the original: logs whose key and IDs
 * are an original log's, chains cut to certificates whose name and key are an original chain
 * certificate's (any other change to a certificate breaks a signature the verifier checks);
 * validity windows, URLs and names as mutated (the root is the caller's statement of trust, and
 * a wider window is the caller's call). Undefined when that root does not parse.
 */
export function unchangedKeyMaterial(original: Json, mutated: Json): TrustMaterial | undefined {
  const kept: Json = { ...mutated };
  for (const kind of ['tlogs', 'ctlogs']) {
    const known = new Set(((original[kind] as unknown[]) ?? []).map(logIdentity));
    const list = mutated[kind];
    if (Array.isArray(list)) kept[kind] = list.filter((e) => known.has(logIdentity(e)));
  }
  for (const kind of ['certificateAuthorities', 'timestampAuthorities']) {
    const known = new Set(
      ((original[kind] as { certChain?: { certificates?: unknown[] } }[]) ?? []).flatMap((a) => (a?.certChain?.certificates ?? []).map(certIdentity)),
    );
    const list = mutated[kind];
    if (!Array.isArray(list)) continue;
    kept[kind] = list.flatMap((a: { certChain?: { certificates?: unknown[] } }) => {
      const certs = a?.certChain?.certificates;
      if (!Array.isArray(certs)) return [a];
      const ok = certs.filter((c) => known.has(certIdentity(c)));
      return ok.length > 0 ? [{ ...a, certChain: { ...a.certChain, certificates: ok } }] : [];
    });
  }
  try {
    return parseTrustedRoot(JSON.stringify(kept), 'unchanged key material');
  } catch {
    return undefined;
  }
}

/**
 * A bundle accepted with a mutated trusted root: a false acceptance unless it also verifies with
 * the mutated root's unchanged key material alone (a changed key, log ID or chain must not be
 * what made it verify).
 */
export async function trustedRootFalseAcceptance(
  original: Json,
  mutated: Json,
  bundle: string,
  artifact: Artifact,
  policy: VerificationPolicy | KeyPolicy,
): Promise<string | undefined> {
  const kept = unchangedKeyMaterial(original, mutated);
  if (!kept) return 'a bundle verified with a trusted root whose unchanged key material does not even parse';
  try {
    await new Verifier(kept).verify(bundle, artifact, policy);
    return undefined;
  } catch (e) {
    return `a bundle verified only thanks to changed key material in the trusted root (${(e as Error).message})`;
  }
}

/** A timestamp token accepted after mutation: only if what its signature covers is unchanged. */
export function timestampFalseAcceptance(original: Buffer, mutated: Buffer, verifiedTime: Date): string | undefined {
  let a: ReturnType<typeof parseTimeStampToken>;
  let b: ReturnType<typeof parseTimeStampToken>;
  try {
    a = parseTimeStampToken(original);
    b = parseTimeStampToken(mutated);
  } catch {
    return 'a timestamp token that does not parse was accepted';
  }
  const sa = a.signedData.signerInfos[0];
  const sb = b.signedData.signerInfos[0];
  const same = (x?: Buffer, y?: Buffer) => (x === undefined && y === undefined) || (x !== undefined && y !== undefined && x.equals(y));
  if (!sa || !sb) return 'a timestamp token without a SignerInfo was accepted';
  if (!same(a.signedData.eContent, b.signedData.eContent)) return 'a timestamp token whose TSTInfo changed was accepted';
  if (!same(sa.signedAttrsDer, sb.signedAttrsDer)) return 'a timestamp token whose signed attributes changed was accepted';
  if (!sa.signature.equals(sb.signature)) return 'a timestamp token whose signature changed was accepted';
  if (verifiedTime.getTime() !== a.tstInfo.genTime.getTime()) return `a timestamp token was accepted with another time (${verifiedTime.toISOString()})`;
  return undefined;
}

/** A leaf certificate substituted into its bundle: any accepted change is a false acceptance. */
export function substituteLeaf(bundle: string, der: Buffer): string | undefined {
  const j = JSON.parse(bundle) as { verificationMaterial: Record<string, { rawBytes?: string; certificates?: { rawBytes: string }[] }> };
  const vm = j.verificationMaterial;
  if (vm.certificate) vm.certificate = { rawBytes: der.toString('base64') };
  else if (vm.x509CertificateChain?.certificates?.[0]) vm.x509CertificateChain.certificates[0] = { rawBytes: der.toString('base64') };
  else return undefined;
  return JSON.stringify(j);
}

/** Certificate fields read the way the verifier reads them, so a parse that throws later is found now. */
export function readCertificate(der: Buffer): Certificate {
  const c = new Certificate(der);
  void [c.subjectAltNames, c.keyUsage, c.extKeyUsage, c.basicConstraints, c.subjectKeyId, c.authorityKeyId];
  return c;
}

/**
 * An accepted signing config must say what its JSON says, and only valid things: every service
 * an http(s) URL (as written, less trailing slashes), a non-negative integer API version, a
 * window that starts before it ends; selectors ANY, ALL or EXACT with a positive count.
 */
export function signingConfigFalseAcceptance(json: unknown, parsed: SigningConfig): string | undefined {
  if (!json || typeof json !== 'object') return 'a signing config that is not a JSON object was accepted';
  const o = json as Record<string, unknown>;
  if (parsed.mediaType !== 'application/vnd.dev.sigstore.signingconfig.v0.2+json' || o.mediaType !== parsed.mediaType) return `a signing config of media type ${JSON.stringify(o.mediaType)} was accepted`;
  for (const name of ['caUrls', 'oidcUrls', 'rekorTlogUrls', 'tsaUrls'] as const) {
    const raw = o[name] ?? [];
    const list = parsed[name];
    if (!Array.isArray(raw) || raw.length !== list.length) return `${name}: the accepted services are not the JSON's`;
    for (const [i, s] of list.entries()) {
      const r = raw[i] as Record<string, unknown> | null;
      let url: URL;
      try {
        url = new URL(s.url);
      } catch {
        return `${name}[${i}]: an invalid URL ${JSON.stringify(s.url)} was accepted`;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${name}[${i}]: a ${url.protocol} URL was accepted`;
      if (!r || typeof r.url !== 'string' || r.url.replace(/\/+$/, '') !== s.url) return `${name}[${i}]: the accepted URL is not the JSON's`;
      if (!Number.isSafeInteger(s.majorApiVersion) || s.majorApiVersion < 0 || r.majorApiVersion !== s.majorApiVersion) return `${name}[${i}]: an invalid API version was accepted`;
      if (Number.isNaN(s.validFor.start.getTime()) || (s.validFor.end && !(s.validFor.end >= s.validFor.start))) return `${name}[${i}]: an invalid validity window was accepted`;
    }
  }
  for (const sel of [parsed.rekorTlogConfig, parsed.tsaConfig]) {
    if (!['ANY', 'ALL', 'EXACT'].includes(sel.selector)) return `selector ${JSON.stringify(sel.selector)} was accepted`;
    if (sel.selector === 'EXACT' && !(Number.isSafeInteger(sel.count) && sel.count >= 1)) return 'an EXACT selector without a positive count was accepted';
  }
  return undefined;
}
