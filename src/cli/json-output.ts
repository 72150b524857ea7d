/**
 * The machine interface: what `--json` prints, for every command, as described by the JSON
 * Schema in `schemas/output.v1.schema.json` (shipped in the package). One JSON object per input,
 * one object per line (JSON Lines), written as each input is done; every object carries
 * `schemaVersion` and `type` (`verification`, `inspection`, `signing`).
 *
 * Field names mean the same thing everywhere:
 * - `input`: the input as named on the command line (a path, or `sha256:<hex>`);
 * - `bundle`: the path of the bundle (or attestation) read or written;
 * - `signer.identity`: the certificate's identity (its SAN); `signer.oidcIssuer`: the OIDC issuer
 *   that vouched for it (Fulcio extension 1.8, else 1.1); `signer.certificate.issuer`: the
 *   distinguished name of the CA that issued the certificate;
 * - `signer.fulcioExtensions`: the Fulcio extensions by their field names;
 * - `tlogEntries[].integratedTime`: RFC 3339, or null when the entry has none;
 * - `timestamps[].time`: RFC 3339, with `source` `tsa` (RFC 3161) or `tlog` (integrated time).
 *
 * A breaking change to these fields raises `schemaVersion`; new optional fields do not.
 */
import type { ParsedBundle } from '../bundle/parse.js';
import { SigstoreError, VerificationError } from '../errors.js';
import { certificateSummary } from '../inspect/names.js';
import type { AuditReport, AuditResult } from '../pypi/audit.js';
import type { BundleInspection, Inspection, InspectedTimestamp, InspectedTlogEntry } from '../inspect/types.js';
import { certificateIdentity, fulcioExtensions } from '../verify/extensions.js';
import type { VerificationResult } from '../verify/types.js';

/** The version of the output schema; raised on any breaking change. */
export const SCHEMA_VERSION = 1;
/** The schema's `$id`. */
export const SCHEMA_ID = 'https://github.com/sigstore-ts/sigstore-ts/schemas/output.v1.schema.json';

type Json = Record<string, unknown>;

/** One JSON Lines record: the object on one line. */
export function jsonLine(o: Json): string {
  return `${JSON.stringify(o)}\n`;
}

function tlogEntry(e: ParsedBundle['tlogEntries'][number]): Json {
  return {
    logIndex: e.logIndex.toString(),
    logId: e.logId.toString('base64'),
    kind: e.kind,
    version: e.version,
    integratedTime: e.integratedTime > 0n ? new Date(Number(e.integratedTime) * 1000).toISOString() : null,
  };
}

function errorJson(e: unknown): Json {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    ...(err instanceof VerificationError ? { step: err.step } : {}),
    code: err instanceof SigstoreError ? err.code : 'UNEXPECTED',
    message: err.message,
  };
}

/**
 * A verified input (`verify --json`).
 *
 * @example
 * ```ts
 * writeStdout(jsonLine(verificationToJson('a.txt', 'a.txt.sigstore.json', result)));
 * ```
 */
export function verificationToJson(input: string, bundlePath: string | null, r: VerificationResult): Json {
  const signer =
    r.signer.kind === 'certificate'
      ? {
          kind: 'certificate',
          identity: r.signer.identity,
          oidcIssuer: r.signer.issuer ?? null,
          fulcioExtensions: r.signer.extensions,
          certificate: certificateSummary(r.signer.certificate),
        }
      : { kind: 'publicKey', keyId: r.signer.keyId, hint: r.signer.hint };
  return {
    schemaVersion: SCHEMA_VERSION,
    type: 'verification',
    input,
    bundle: bundlePath,
    verified: true,
    bundleVersion: r.bundle.version,
    signer,
    timestamps: r.timestamps.map((t) => ({ time: t.time.toISOString(), source: t.source, authority: t.authority })),
    tlogEntries: r.tlogEntries.map(tlogEntry),
    ...(r.payloadType === undefined ? {} : { payloadType: r.payloadType }),
    ...(r.statement === undefined ? {} : { statement: r.statement }),
  };
}

/** An input that failed verification (`verify --json`): `verified: false` and the error. */
export function verificationFailureToJson(input: string, bundlePath: string | null, error: unknown): Json {
  return { schemaVersion: SCHEMA_VERSION, type: 'verification', input, bundle: bundlePath, verified: false, error: errorJson(error) };
}

function inspectedTimestamp(t: InspectedTimestamp): Json {
  if ('error' in t) return { source: 'tsa', error: t.error };
  return { source: 'tsa', time: t.genTime, authority: t.authority, serial: t.serial, policy: t.policy, hashAlgorithm: t.hashAlgorithm };
}

function inspectedTlogEntry(e: InspectedTlogEntry): Json {
  return { ...e };
}

function inspectedBundle(i: BundleInspection): Json {
  let signer: Json;
  if (i.signer.kind === 'certificate') {
    const { kind: _k, subjectAltNames, oidcIssuer, extensions, serial, issuer, subject, notBefore, notAfter, sha256, publicKey, chain } = i.signer;
    const fulcio: Record<string, string> = {};
    for (const e of extensions) if (e.field && e.value !== undefined) fulcio[e.field] = e.value;
    // Extension 1.8 wins over the legacy 1.1 (both are named `issuer`), as in verification.
    if (oidcIssuer !== null) fulcio.issuer = oidcIssuer;
    const identity = subjectAltNames.find((s) => s.type === 'email' || s.type === 'uri' || s.type === 'otherName')?.value ?? null;
    signer = {
      kind: 'certificate',
      identity,
      oidcIssuer,
      subjectAltNames,
      fulcioExtensions: fulcio,
      certificate: { serial, issuer, subject, notBefore, notAfter, sha256, publicKey, extensions, chain },
    };
  } else {
    signer = { kind: 'publicKey', hint: i.signer.hint };
  }
  return {
    format: i.format,
    mediaType: i.mediaType,
    bundleVersion: i.bundleVersion,
    ...(i.attestationVersion === undefined ? {} : { attestationVersion: i.attestationVersion }),
    content: i.content,
    signer,
    tlogEntries: i.tlogEntries.map(inspectedTlogEntry),
    timestamps: i.timestamps.map(inspectedTimestamp),
  };
}

/**
 * An inspected document (`inspect --json`): never verified, and it says so.
 *
 * @example
 * ```ts
 * writeStdout(jsonLine(inspectionToJson('a.sigstore.json', inspectDocument(text))));
 * ```
 */
export function inspectionToJson(input: string, i: Inspection, rawBytes?: Json[]): Json {
  const head = { schemaVersion: SCHEMA_VERSION, type: 'inspection', input, verified: false, notice: i.notice };
  const bytes = rawBytes === undefined ? {} : { rawBytes };
  if (i.format === 'provenance') {
    return {
      ...head,
      format: 'provenance',
      provenanceVersion: i.version,
      attestationBundles: i.attestationBundles.map((b) => ({ publisher: b.publisher, publisherJson: b.publisherJson, attestations: b.attestations.map(inspectedBundle) })),
      ...bytes,
    };
  }
  return { ...head, ...inspectedBundle(i), ...bytes };
}

/** A document that could not be inspected (`inspect --json`). */
export function inspectionFailureToJson(input: string, error: unknown): Json {
  return { schemaVersion: SCHEMA_VERSION, type: 'inspection', input, verified: false, error: errorJson(error) };
}

/**
 * A signed input (`sign --json`, `attest --json`): the bundle written and what it records.
 * Nothing here is a verification result: it describes what the signing services returned.
 *
 * @example
 * ```ts
 * writeStdout(jsonLine(signResultToJson('a.txt', 'a.txt.sigstore.json', parseBundle(bundleJson))));
 * ```
 */
export function signResultToJson(input: string, bundlePath: string | null, bundle: ParsedBundle): Json {
  const m = bundle.material;
  const signer =
    m.kind === 'certificate'
      ? {
          kind: 'certificate',
          identity: certificateIdentity(m.certificate) ?? null,
          oidcIssuer: fulcioExtensions(m.certificate).issuer ?? null,
          fulcioExtensions: fulcioExtensions(m.certificate),
          certificate: certificateSummary(m.certificate),
        }
      : { kind: 'publicKey', hint: m.hint };
  return {
    schemaVersion: SCHEMA_VERSION,
    type: 'signing',
    input,
    bundle: bundlePath,
    bundleVersion: bundle.version,
    signer,
    tlogEntries: bundle.tlogEntries.map(tlogEntry),
    ...(bundle.content.kind === 'dsseEnvelope' ? { payloadType: bundle.content.envelope.payloadType } : {}),
  };
}

/** A signing failure for one input (`sign --json`). */
export function signFailureToJson(input: string, error: unknown): Json {
  return { schemaVersion: SCHEMA_VERSION, type: 'signing', input, bundle: null, error: errorJson(error) };
}

/**
 * One distribution of an audited lock (`attestation audit --json`): its status (`verified`,
 * `missing`, `failed`, `skipped`), `verified` true exactly when it verified, and what its
 * provenance established.
 *
 * @example
 * ```ts
 * for (const r of report.results) writeStdout(jsonLine(auditResultToJson('pylock.toml', 'https://pypi.org', r)));
 * ```
 */
export function auditResultToJson(lock: string, index: string, r: AuditResult): Json {
  return {
    schemaVersion: SCHEMA_VERSION,
    type: 'audit',
    input: lock,
    index,
    status: r.status,
    verified: r.status === 'verified',
    project: r.project,
    version: r.version ?? null,
    filename: r.filename ?? null,
    sha256: r.sha256 ?? null,
    source: r.source,
    ...(r.publishers === undefined ? {} : { publishers: r.publishers }),
    ...(r.attestations === undefined ? {} : { predicateTypes: r.attestations }),
    ...(r.cached === undefined ? {} : { cached: r.cached }),
    ...(r.pinChanged === undefined ? {} : { pinChanged: r.pinChanged }),
    ...(r.error === undefined ? {} : { error: { ...(r.error.step === undefined ? {} : { step: r.error.step }), code: r.error.code, message: r.error.message } }),
  };
}

/** The counts of an audit run (`auditSummary.summary` in the schema). */
export interface AuditSummary {
  distributions: number;
  projects: number;
  verified: number;
  missing: number;
  failed: number;
  skipped: number;
  cached: number;
  requests: number;
  timings?: AuditReport['timings'];
}

/** The last line of `attestation audit --json`: the counts of the run. */
export function auditSummaryToJson(lock: string, index: string, summary: AuditSummary): Json {
  return { schemaVersion: SCHEMA_VERSION, type: 'auditSummary', input: lock, index, summary };
}
