/**
 * The opt-in signing configs of the public-good instances that add their Rekor v2 logs
 * (`signing_config_rekor_v2.v0.2.json`, see trust/README.md), embedded like the default ones:
 * `--rekor-version 2` with production or staging signs with them, while their default configs
 * stay what they say (production: Rekor v1 only).
 *
 * A minimal loader until the trust module exports one (the same files, by the same names).
 */
import production from '../../trust/production/signing_config_rekor_v2.v0.2.json' with { type: 'json' };
import staging from '../../trust/staging/signing_config_rekor_v2.v0.2.json' with { type: 'json' };

/**
 * The embedded opt-in Rekor v2 signing config of a public-good instance (JSON).
 *
 * @example
 * ```ts
 * const json = rekorV2SigningConfig('production'); // names https://log2025-1.rekor.sigstore.dev
 * ```
 */
export function rekorV2SigningConfig(instance: 'production' | 'staging'): Record<string, unknown> {
  return structuredClone(instance === 'production' ? production : staging) as Record<string, unknown>;
}
