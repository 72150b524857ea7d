/**
 * The client trust config (`application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`): a trusted
 * root and a signing config in one document, everything a client needs to sign and verify
 * against one Sigstore instance.
 */
import { TrustError } from '../errors.js';
import { type Fail, isObject, type JsonObject, obj, parseJson, str } from '../lib/json.js';
import { EMBEDDED, type PublicInstance } from './embedded.js';
import { protoJsonNames } from './json-names.js';
import { parseSigningConfig, type SigningConfig } from './signing-config.js';
import { parseTrustedRoot, type TrustMaterial } from './trusted-root.js';

/**
 * The media type of a client trust config.
 *
 * @example
 * ```ts
 * const doc = { mediaType: CLIENT_TRUST_CONFIG_V01, trustedRoot, signingConfig };
 * ```
 */
export const CLIENT_TRUST_CONFIG_V01 = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';

/**
 * A parsed client trust config.
 *
 * @example
 * ```ts
 * const { trustedRoot, signingConfig }: ClientTrustConfig = parseClientTrustConfig(text);
 * ```
 */
export interface ClientTrustConfig {
  mediaType: string;
  trustedRoot: TrustMaterial;
  signingConfig: SigningConfig;
}

/**
 * Parses a client trust config from JSON text or an object: the trusted root and the signing
 * config are both required and both parsed strictly. Throws {@link TrustError} naming the field.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Signer, parseClientTrustConfig } from 'sigstore-ts';
 * const trustConfig = parseClientTrustConfig(readFileSync('trust_config.json', 'utf8'));
 * const signer = new Signer({ trustConfig, identityToken: process.env.SIGSTORE_IDENTITY_TOKEN });
 * ```
 */
export function parseClientTrustConfig(input: string | Buffer | JsonObject, source = 'trust config'): ClientTrustConfig {
  const fail: Fail = (m: string) => {
    throw new TrustError('TRUST_CONFIG_INVALID', `trust config ${source}: ${m}`);
  };
  const json = typeof input === 'string' || Buffer.isBuffer(input) ? parseJson(input.toString(), 'the trust config', fail) : input;
  // Either protobuf JSON spelling of every field (signingConfig or signing_config, ...).
  const o = obj(protoJsonNames(json, fail), 'the trust config', fail);
  const mediaType = str(o.mediaType, 'mediaType', fail);
  if (mediaType !== CLIENT_TRUST_CONFIG_V01) fail(`unsupported mediaType ${JSON.stringify(mediaType)} (expected ${CLIENT_TRUST_CONFIG_V01})`);
  if (!isObject(o.trustedRoot)) fail('trustedRoot is missing or not an object');
  if (!isObject(o.signingConfig)) fail('signingConfig is missing or not an object');
  return {
    mediaType,
    trustedRoot: parseTrustedRoot(o.trustedRoot as JsonObject, `${source} (trustedRoot)`),
    signingConfig: parseSigningConfig(o.signingConfig as JsonObject, `${source} (signingConfig)`),
  };
}

/**
 * The embedded (shipped) client trust config of a public-good instance: its trusted root and
 * signing config. Works offline.
 *
 * @example
 * ```ts
 * const staging = embeddedClientTrustConfig('staging');
 * console.log(staging.signingConfig.caUrls[0]?.url); // https://fulcio.sigstage.dev
 * ```
 */
export function embeddedClientTrustConfig(instance: PublicInstance = 'production'): ClientTrustConfig {
  const e = EMBEDDED[instance];
  return {
    mediaType: CLIENT_TRUST_CONFIG_V01,
    trustedRoot: parseTrustedRoot(e.trustedRoot, `embedded ${instance}`),
    signingConfig: parseSigningConfig(e.signingConfig, `embedded ${instance}`),
  };
}
