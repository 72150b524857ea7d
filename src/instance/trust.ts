/**
 * The trust material the instance publishes: its trusted root (Fulcio chain, Rekor v1 and v2
 * logs, CT log, TSA chain), its signing config v0.2, and the client trust config bundling both.
 */
import type { KeyObject } from 'node:crypto';
import { spki } from './keys.js';
import { ed25519NoteKeyId, spkiLogId } from './note.js';
import { rfc3339 } from './util.js';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';
export const OPERATOR = 'sigstore-ts local instance';

/** One key period of a transparency log. */
export interface LogPeriod {
  baseUrl: string;
  key: KeyObject;
  start: Date;
  end?: Date;
}

export interface TrustInputs {
  url: string;
  issuer: string;
  start: Date;
  fulcioChain: Buffer[]; // intermediate, root
  fulcioSubject: { organization: string; commonName: string };
  tsaChain: Buffer[]; // leaf, root
  tsaSubject: { organization: string; commonName: string };
  ctlog: LogPeriod;
  rekorV1: LogPeriod[];
  rekorV2: LogPeriod[];
}

function validFor(p: { start: Date; end?: Date }): Record<string, string> {
  return p.end ? { start: rfc3339(p.start), end: rfc3339(p.end) } : { start: rfc3339(p.start) };
}

function keyDetails(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') return 'PKIX_ED25519';
  const c = key.asymmetricKeyDetails?.namedCurve;
  return c === 'secp384r1' ? 'PKIX_ECDSA_P384_SHA_384' : 'PKIX_ECDSA_P256_SHA_256';
}

/** The Rekor v2 checkpoint origin for a base URL: the URL without its scheme. */
export function originOf(baseUrl: string): string {
  return baseUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/$/, '');
}

export function buildTrustedRoot(t: TrustInputs): Record<string, unknown> {
  const v1 = t.rekorV1.map((p) => ({
    baseUrl: p.baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: spki(p.key).toString('base64'), keyDetails: keyDetails(p.key), validFor: validFor(p) },
    logId: { keyId: spkiLogId(p.key).toString('base64') },
  }));
  const v2 = t.rekorV2.map((p) => {
    const keyId = ed25519NoteKeyId(originOf(p.baseUrl), p.key).toString('base64');
    return {
      baseUrl: p.baseUrl,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki(p.key).toString('base64'), keyDetails: 'PKIX_ED25519', validFor: validFor(p) },
      logId: { keyId },
      checkpointKeyId: { keyId },
    };
  });
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [...v1, ...v2],
    certificateAuthorities: [
      {
        subject: t.fulcioSubject,
        uri: t.url,
        certChain: { certificates: t.fulcioChain.map((c) => ({ rawBytes: c.toString('base64') })) },
        validFor: validFor({ start: t.start }),
      },
    ],
    ctlogs: [
      {
        baseUrl: t.ctlog.baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: spki(t.ctlog.key).toString('base64'), keyDetails: keyDetails(t.ctlog.key), validFor: validFor(t.ctlog) },
        logId: { keyId: spkiLogId(t.ctlog.key).toString('base64') },
      },
    ],
    timestampAuthorities: [
      {
        subject: t.tsaSubject,
        uri: `${t.url}/api/v1/timestamp`,
        certChain: { certificates: t.tsaChain.map((c) => ({ rawBytes: c.toString('base64') })) },
        validFor: validFor({ start: t.start }),
      },
    ],
  };
}

export function buildSigningConfig(t: { url: string; issuer: string; start: Date; rekorV2Url: string }): Record<string, unknown> {
  const svc = (url: string, majorApiVersion: number) => ({ url, majorApiVersion, validFor: validFor({ start: t.start }), operator: OPERATOR });
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [svc(t.url, 1)],
    oidcUrls: [svc(t.issuer, 1)],
    rekorTlogUrls: [svc(t.rekorV2Url, 2), svc(t.url, 1)],
    tsaUrls: [svc(`${t.url}/api/v1/timestamp`, 1)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
}

export function buildClientTrustConfig(trustedRoot: Record<string, unknown>, signingConfig: Record<string, unknown>): Record<string, unknown> {
  return { mediaType: CLIENT_TRUST_CONFIG_MEDIA_TYPE, trustedRoot, signingConfig };
}
