/**
 * What a signing session will use and whether it can succeed, decided locally before any request:
 * the services selected from the signing config (Fulcio, Rekor v1/v2, TSAs), and the refusal of
 * every combination that cannot finish (so no certificate is requested and no permanent log
 * entry is made for a run that would fail afterwards):
 *
 * - Ed25519 keys cannot sign artifacts (hashedrekord entries are verified over a digest);
 * - Rekor v2 takes only hashedrekord entries (DSSE envelopes are logged as a hashedrekord over
 *   the hash of their PAE) and refuses pure Ed25519, so Ed25519 cannot be used with Rekor v2;
 * - Rekor v2 entries carry no integrated time: a timestamp authority is needed.
 */
import { SigstoreError, UsageError } from '../errors.js';
import type { Service, SigningConfig } from '../trust/signing-config.js';
import type { KeyType } from './keys.js';
import { selectService, selectServices } from './select.js';

/** The services a session uses, selected from the signing config. */
export interface Services {
  fulcio: Service;
  rekor: Service[];
  tsa: Service[];
}

/** What is signed: artifacts (hashedrekord) or DSSE envelopes (in-toto statements). */
export type SigningKind = 'artifact' | 'dsse';

/**
 * Selects the services from the signing config; throws (naming what to use instead) when the
 * config cannot satisfy them. Makes no request.
 */
export function selectSigningServices(cfg: SigningConfig, o: { rekorVersion?: 1 | 2 | undefined; timestamps?: boolean | undefined }): Services {
  const source = cfg.source;
  const fulcio = selectService(cfg.caUrls, { versions: [1], what: 'Fulcio CA', source });
  const rekor = selectServices(cfg.rekorTlogUrls, cfg.rekorTlogConfig, {
    versions: o.rekorVersion ? [o.rekorVersion] : [2, 1],
    what: o.rekorVersion ? `Rekor v${o.rekorVersion} log` : 'Rekor log',
    source,
  });
  const tsa = o.timestamps === false || cfg.tsaUrls.length === 0 ? [] : selectServices(cfg.tsaUrls, cfg.tsaConfig, { versions: [1], what: 'timestamp authority', source });
  if (rekor.some((r) => r.majorApiVersion === 2) && tsa.length === 0) {
    throw new SigstoreError(
      'TSA_REQUIRED',
      `Rekor v2 entries carry no integrated time, so a signed timestamp is needed, but ${o.timestamps === false ? 'timestamps are disabled (enable them)' : `the signing config ${source} names no usable timestamp authority (use a signing config with a TSA, or --rekor-version 1)`}`,
    );
  }
  return { fulcio, rekor, tsa };
}

/**
 * Refuses a key type the selected logs cannot record for this kind of signing, with one line
 * saying why and what to use instead. Makes no request.
 *
 * @example
 * ```ts
 * checkCombination('ed25519', 'dsse', services); // throws KEY_TYPE_UNSUPPORTED when a Rekor v2 log is selected
 * ```
 */
export function checkCombination(keyType: KeyType, kind: SigningKind, services: Services): void {
  if (keyType !== 'ed25519') return;
  if (kind === 'artifact') {
    throw new UsageError(
      'KEY_TYPE_UNSUPPORTED',
      'Ed25519 keys cannot sign artifacts for a transparency log (hashedrekord entries are verified from a digest, which Ed25519 cannot sign); use p256 or p384, or attest (DSSE)',
    );
  }
  const v2 = services.rekor.find((r) => r.majorApiVersion === 2);
  if (v2) {
    throw new UsageError(
      'KEY_TYPE_UNSUPPORTED',
      `Ed25519 keys cannot sign for Rekor v2 at ${v2.url} (it logs DSSE envelopes as hashedrekord entries over a digest and refuses pure Ed25519); use p256 or p384, or --rekor-version 1`,
    );
  }
}
