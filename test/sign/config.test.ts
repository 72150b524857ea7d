/**
 * Signing config and client trust config parsing (strict, field-named errors), and service
 * selection (API versions, validity windows, operators, ANY / ALL / EXACT).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrustError } from '../../src/errors.js';
import { selectService, selectServices } from '../../src/sign/select.js';
import { CLIENT_TRUST_CONFIG_V01, embeddedClientTrustConfig, parseClientTrustConfig } from '../../src/trust/client-config.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { parseSigningConfig, SIGNING_CONFIG_MEDIA_TYPE, type Service } from '../../src/trust/signing-config.js';

const svc = (url: string, v: number, start: string, end?: string, operator = 'op') => ({
  url,
  majorApiVersion: v,
  validFor: { start, ...(end ? { end } : {}) },
  operator,
});

function config(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [svc('https://fulcio.example', 1, '2020-01-01T00:00:00Z')],
    oidcUrls: [svc('https://oauth.example', 1, '2020-01-01T00:00:00Z')],
    rekorTlogUrls: [svc('https://rekor.example', 1, '2020-01-01T00:00:00Z')],
    tsaUrls: [svc('https://tsa.example/api/v1/timestamp', 1, '2020-01-01T00:00:00Z')],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
    ...over,
  };
}

function refused(input: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseSigningConfig(input as Record<string, unknown>, 'test.json'),
    (e: unknown) => e instanceof TrustError && e.code === 'SIGNING_CONFIG_INVALID' && pattern.test(e.message),
  );
}

describe('parseSigningConfig', () => {
  it('parses the embedded production and staging configs', () => {
    for (const which of ['production', 'staging'] as const) {
      const c = parseSigningConfig(EMBEDDED[which].signingConfig);
      assert.equal(c.mediaType, SIGNING_CONFIG_MEDIA_TYPE);
      assert.ok(c.caUrls.length >= 1 && c.rekorTlogUrls.length >= 1);
      assert.deepEqual(c.rekorTlogConfig, { selector: 'ANY' });
    }
    const staging = parseSigningConfig(JSON.stringify(EMBEDDED.staging.signingConfig));
    assert.ok(staging.rekorTlogUrls.some((s) => s.majorApiVersion === 2));
    // (the opt-in Rekor v2 config lists retired logs, with an end)
    assert.ok(parseSigningConfig(EMBEDDED.staging.rekorV2SigningConfig).rekorTlogUrls[1]!.validFor.end instanceof Date);
  });

  it('strips trailing slashes from URLs', () => {
    const c = parseSigningConfig(config({ caUrls: [svc('https://fulcio.example/', 1, '2020-01-01T00:00:00Z')] }));
    assert.equal(c.caUrls[0]!.url, 'https://fulcio.example');
  });

  it('refuses malformed configs, naming the field', () => {
    refused('{', /not valid JSON/);
    refused([], /the signing config must be an object/);
    refused(config({ mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.1+json' }), /unsupported mediaType.*v0\.1/);
    refused(config({ caUrls: {} }), /caUrls must be an array/);
    refused(config({ caUrls: [{ majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z' } }] }), /caUrls\[0\]\.url is missing/);
    refused(config({ caUrls: [svc('not a url', 1, '2020-01-01T00:00:00Z')] }), /caUrls\[0\]\.url "not a url" is not a URL/);
    refused(config({ caUrls: [svc('ftp://x', 1, '2020-01-01T00:00:00Z')] }), /caUrls\[0\]\.url "ftp:\/\/x" is not an http\(s\) URL/);
    refused(config({ rekorTlogUrls: [svc('https://r', -1, '2020-01-01T00:00:00Z')] }), /rekorTlogUrls\[0\]\.majorApiVersion is missing or not a non-negative integer/);
    refused(config({ rekorTlogUrls: [{ url: 'https://r', majorApiVersion: '1', validFor: { start: '2020-01-01T00:00:00Z' } }] }), /rekorTlogUrls\[0\]\.majorApiVersion/);
    refused(config({ tsaUrls: [{ url: 'https://t', majorApiVersion: 1 }] }), /tsaUrls\[0\]\.validFor must be an object/);
    refused(config({ tsaUrls: [{ url: 'https://t', majorApiVersion: 1, validFor: {} }] }), /tsaUrls\[0\]\.validFor\.start is missing/);
    refused(config({ tsaUrls: [svc('https://t', 1, 'yesterday')] }), /tsaUrls\[0\]\.validFor\.start is not an RFC 3339 timestamp/);
    refused(config({ tsaUrls: [svc('https://t', 1, '2021-01-01T00:00:00Z', '2020-01-01T00:00:00Z')] }), /tsaUrls\[0\]\.validFor ends before it starts/);
    refused(config({ rekorTlogConfig: undefined }), /rekorTlogConfig is missing/);
    refused(config({ rekorTlogConfig: { selector: 'SOME' } }), /rekorTlogConfig\.selector must be ANY, ALL or EXACT/);
    refused(config({ tsaConfig: { selector: 'EXACT' } }), /tsaConfig\.count must be a positive integer/);
    refused(config({ tsaConfig: { selector: 'EXACT', count: 0 } }), /tsaConfig\.count must be a positive integer/);
  });

  it('accepts a config without TSAs and without a tsaConfig', () => {
    const c = parseSigningConfig(config({ tsaUrls: [], tsaConfig: undefined }));
    assert.deepEqual(c.tsaUrls, []);
  });
});

describe('parseClientTrustConfig', () => {
  it('parses a trust config with both parts', () => {
    const e = EMBEDDED.staging;
    const c = parseClientTrustConfig(JSON.stringify({ mediaType: CLIENT_TRUST_CONFIG_V01, trustedRoot: e.trustedRoot, signingConfig: e.signingConfig }), 'tc.json');
    assert.ok(c.trustedRoot.tlogs.length > 0);
    assert.equal(c.signingConfig.caUrls[0]!.url, 'https://fulcio.sigstage.dev');
    assert.equal(embeddedClientTrustConfig('production').signingConfig.caUrls[0]!.url, 'https://fulcio.sigstore.dev');
  });

  it('refuses missing parts, wrong media types and bad inner documents, naming the field', () => {
    const e = EMBEDDED.production;
    const bad = (doc: unknown, pattern: RegExp) =>
      assert.throws(() => parseClientTrustConfig(doc as Record<string, unknown>, 'tc.json'), (x: unknown) => x instanceof TrustError && pattern.test(x.message));
    bad('[1', /trust config tc\.json: the trust config is not valid JSON/);
    bad({ mediaType: 'application/json', trustedRoot: e.trustedRoot, signingConfig: e.signingConfig }, /unsupported mediaType "application\/json"/);
    bad({ mediaType: CLIENT_TRUST_CONFIG_V01, signingConfig: e.signingConfig }, /trustedRoot is missing/);
    bad({ mediaType: CLIENT_TRUST_CONFIG_V01, trustedRoot: e.trustedRoot }, /signingConfig is missing/);
    bad({ mediaType: CLIENT_TRUST_CONFIG_V01, trustedRoot: e.trustedRoot, signingConfig: { ...e.signingConfig, caUrls: 5 } }, /signing config tc\.json \(signingConfig\): caUrls must be an array/);
    bad({ mediaType: CLIENT_TRUST_CONFIG_V01, trustedRoot: { ...e.trustedRoot, tlogs: 5 }, signingConfig: e.signingConfig }, /trusted root tc\.json \(trustedRoot\): tlogs must be an array/);
  });
});

function services(list: ReturnType<typeof svc>[]): Service[] {
  return parseSigningConfig(config({ rekorTlogUrls: list })).rekorTlogUrls;
}

describe('service selection', () => {
  const now = new Date('2025-06-01T00:00:00Z');

  it('uses the highest supported API version that is valid now', () => {
    const list = services([svc('https://v2', 2, '2025-01-01T00:00:00Z'), svc('https://v1', 1, '2020-01-01T00:00:00Z')]);
    assert.deepEqual(selectServices(list, { selector: 'ANY' }, { versions: [2, 1], now, what: 'Rekor log' }).map((s) => s.url), ['https://v2']);
    assert.deepEqual(selectServices(list, { selector: 'ANY' }, { versions: [1], now, what: 'Rekor log' }).map((s) => s.url), ['https://v1']);
    // v2 not yet valid: falls back to v1.
    const later = services([svc('https://v2', 2, '2026-01-01T00:00:00Z'), svc('https://v1', 1, '2020-01-01T00:00:00Z')]);
    assert.deepEqual(selectServices(later, { selector: 'ANY' }, { versions: [2, 1], now, what: 'Rekor log' }).map((s) => s.url), ['https://v1']);
  });

  it('honours validity windows (both ends inclusive) and prefers the newest start', () => {
    const list = services([
      svc('https://old', 2, '2024-01-01T00:00:00Z', '2025-06-01T00:00:00Z', 'a'),
      svc('https://new', 2, '2025-06-01T00:00:00Z', undefined, 'a'),
      svc('https://expired', 2, '2023-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'b'),
    ]);
    assert.deepEqual(selectServices(list, { selector: 'ALL' }, { versions: [2], now, what: 'Rekor log' }).map((s) => s.url), ['https://new']);
    const justBefore = new Date('2025-05-31T23:59:59Z');
    assert.deepEqual(selectServices(list, { selector: 'ALL' }, { versions: [2], now: justBefore, what: 'Rekor log' }).map((s) => s.url), ['https://old']);
  });

  it('takes at most one service per operator, and applies ANY, ALL and EXACT', () => {
    const list = services([
      svc('https://a1', 1, '2024-01-01T00:00:00Z', undefined, 'a'),
      svc('https://a2', 1, '2025-01-01T00:00:00Z', undefined, 'a'),
      svc('https://b', 1, '2024-01-01T00:00:00Z', undefined, 'b'),
      svc('https://c', 1, '2023-01-01T00:00:00Z', undefined, 'c'),
    ]);
    const opts = { versions: [1], now, what: 'Rekor log' };
    assert.deepEqual(selectServices(list, { selector: 'ALL' }, opts).map((s) => s.url), ['https://a2', 'https://b', 'https://c']);
    assert.deepEqual(selectServices(list, { selector: 'ANY' }, opts).map((s) => s.url), ['https://a2']);
    assert.deepEqual(selectServices(list, { selector: 'EXACT', count: 2 }, opts).map((s) => s.url), ['https://a2', 'https://b']);
    assert.throws(
      () => selectServices(list, { selector: 'EXACT', count: 4 }, { ...opts, source: 'cfg.json' }),
      (e: unknown) => e instanceof TrustError && e.code === 'NO_SERVICE' && /cfg\.json asks for exactly 4 Rekor logs, but only 3 are usable/.test(e.message),
    );
  });

  it('says why nothing qualifies', () => {
    const opts = { versions: [2], now, what: 'Rekor v2 log', source: 'cfg.json' };
    assert.throws(() => selectServices([], { selector: 'ANY' }, opts), /no usable Rekor v2 log in cfg\.json: need API v2, but none is configured/);
    assert.throws(
      () => selectServices(services([svc('https://v1', 1, '2020-01-01T00:00:00Z')]), { selector: 'ANY' }, opts),
      /need API v2, but those valid now speak v1/,
    );
    assert.throws(
      () => selectService(services([svc('https://v2', 2, '2026-01-01T00:00:00Z')]), opts),
      /none of the 1 configured is valid at 2025-06-01T00:00:00\.000Z/,
    );
  });
});
