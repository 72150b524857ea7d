/**
 * The signing config (`application/vnd.dev.sigstore.signingconfig.v0.2+json`): which Fulcio CAs,
 * OIDC providers, Rekor logs and timestamp authorities a signer uses, with their API versions,
 * validity windows and operators, and how many logs and TSAs to use (selectors ANY, ALL,
 * EXACT). Parsed strictly: a malformed config is refused with a {@link TrustError} naming the
 * field, before any request is made.
 */
import type { SigningConfig as SigningConfigJson } from '@sigstore/protobuf-specs';
import { TrustError } from '../errors.js';
import { isLoopbackHost } from '../lib/http.js';
import { arr, type Fail, type JsonObject, obj, optObj, optStr, parseJson, str, time } from '../lib/json.js';
import { protoJsonNames } from './json-names.js';
import type { ValidFor } from './trusted-root.js';

/**
 * The media type of a v0.2 signing config (the only version accepted).
 *
 * @example
 * ```ts
 * if (json.mediaType === SIGNING_CONFIG_MEDIA_TYPE) parseSigningConfig(json);
 * ```
 */
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/**
 * One service of a signing config.
 *
 * @example
 * ```ts
 * const rekor: Service = { url: 'https://rekor.sigstore.dev', majorApiVersion: 1, validFor: { start: new Date(0), end: undefined }, operator: 'sigstore.dev' };
 * ```
 */
export interface Service {
  /** Base URL (Fulcio, OIDC, Rekor) or full URL (TSA). */
  url: string;
  /** The API version the service speaks (Rekor: 1 or 2; Fulcio, OIDC, TSA: 1). */
  majorApiVersion: number;
  /** When the service may be used (both ends inclusive). */
  validFor: ValidFor;
  /** Who runs it: services of one operator count once. */
  operator: string;
}

/**
 * How many services of a kind to use: `ANY` one, `ALL` of them, `EXACT` `count` of them.
 *
 * @example
 * ```ts
 * const two: ServiceSelector = { selector: 'EXACT', count: 2 };
 * ```
 */
export type ServiceSelector = { selector: 'ANY' } | { selector: 'ALL' } | { selector: 'EXACT'; count: number };

/**
 * A parsed signing config.
 *
 * @example
 * ```ts
 * const config: SigningConfig = parseSigningConfig(readFileSync('signing_config.v0.2.json', 'utf8'));
 * console.log(config.rekorTlogUrls.map((s) => `${s.url} (v${s.majorApiVersion})`));
 * ```
 */
export interface SigningConfig {
  mediaType: string;
  caUrls: Service[];
  oidcUrls: Service[];
  rekorTlogUrls: Service[];
  tsaUrls: Service[];
  rekorTlogConfig: ServiceSelector;
  tsaConfig: ServiceSelector;
  /** The JSON it was parsed from. */
  json: SigningConfigJson;
  /** Where it came from, for messages. */
  source: string;
}

function parseService(v: unknown, path: string, fail: Fail): Service {
  const o = obj(v, path, fail);
  const url = str(o.url, `${path}.url`, fail);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`${path}.url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail(`${path}.url ${JSON.stringify(url)} is not an http(s) URL`);
  // Plain http would let anyone on the path see and change what is signed and logged: only this machine may be reached so.
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) fail(`${path}.url ${JSON.stringify(url)} uses plain http on a host that is not this machine (only loopback hosts may: 127.0.0.1, ::1, localhost)`);
  if (parsed.username || parsed.password) fail(`${path}.url ${JSON.stringify(url)} has credentials in it`);
  const version = o.majorApiVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    fail(`${path}.majorApiVersion is missing or not a non-negative integer`);
  }
  const vf = obj(o.validFor, `${path}.validFor`, fail);
  if (vf.start === undefined || vf.start === null) fail(`${path}.validFor.start is missing`);
  const start = time(vf.start, `${path}.validFor.start`, fail);
  const end = vf.end === undefined || vf.end === null ? undefined : time(vf.end, `${path}.validFor.end`, fail);
  if (end && end < start) fail(`${path}.validFor ends before it starts`);
  const operator = optStr(o.operator, `${path}.operator`, fail) ?? '';
  return { url: url.replace(/\/+$/, ''), majorApiVersion: version as number, validFor: { start, end }, operator };
}

function parseSelector(v: unknown, path: string, fail: Fail, required: boolean): ServiceSelector {
  const o = optObj(v, path, fail);
  if (!o) {
    if (required) fail(`${path} is missing`);
    return { selector: 'ANY' };
  }
  const selector = o.selector;
  if (selector === 'ANY' || selector === 'ALL') {
    return { selector };
  }
  if (selector === 'EXACT') {
    const count = o.count;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) fail(`${path}.count must be a positive integer with selector EXACT`);
    return { selector: 'EXACT', count: count as number };
  }
  return fail(`${path}.selector must be ANY, ALL or EXACT (got ${JSON.stringify(selector)})`);
}

/**
 * Parses a signing config v0.2 from JSON text or an already-parsed object. Every field is
 * checked: URLs, API versions, validity windows, selectors. Field names may use either protobuf
 * JSON spelling (`caUrls` or `ca_urls`). Throws {@link TrustError} naming the field that is wrong.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseSigningConfig } from 'sigstore-ts';
 * const config = parseSigningConfig(readFileSync('signing_config.v0.2.json', 'utf8'));
 * console.log(config.caUrls[0]?.url, config.rekorTlogConfig.selector);
 * ```
 */
export function parseSigningConfig(input: string | Buffer | JsonObject, source = 'signing_config.v0.2.json'): SigningConfig {
  const fail: Fail = (m: string) => {
    throw new TrustError('SIGNING_CONFIG_INVALID', `signing config ${source}: ${m}`);
  };
  const json = typeof input === 'string' || Buffer.isBuffer(input) ? parseJson(input.toString(), 'the signing config', fail) : input;
  // Either protobuf JSON spelling of every field (rekorTlogUrls or rekor_tlog_urls, ...).
  const o = obj(protoJsonNames(json, fail), 'the signing config', fail);
  const mediaType = str(o.mediaType, 'mediaType', fail);
  if (mediaType !== SIGNING_CONFIG_MEDIA_TYPE) fail(`unsupported mediaType ${JSON.stringify(mediaType)} (expected ${SIGNING_CONFIG_MEDIA_TYPE})`);
  const list = (name: string) => arr(o[name], name, fail).map((s, i) => parseService(s, `${name}[${i}]`, fail));
  const rekorTlogUrls = list('rekorTlogUrls');
  const tsaUrls = list('tsaUrls');
  return {
    mediaType,
    caUrls: list('caUrls'),
    oidcUrls: list('oidcUrls'),
    rekorTlogUrls,
    tsaUrls,
    rekorTlogConfig: parseSelector(o.rekorTlogConfig, 'rekorTlogConfig', fail, rekorTlogUrls.length > 0),
    tsaConfig: parseSelector(o.tsaConfig, 'tsaConfig', fail, tsaUrls.length > 0),
    json: o as unknown as SigningConfigJson,
    source,
  };
}
