/**
 * Transport: every request goes through the one HTTP client (src/lib/http.ts), OIDC discovery
 * and token requests included, so HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply to them; services
 * named by a signing config (or a trust config) or an --instance URL may use plain http only on
 * loopback hosts; a request keeps to its deadline, retries included.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { NetworkError, TrustError, UsageError } from '../../src/errors.js';
import { isLoopbackHost, request } from '../../src/lib/http.js';
import { detectGitHub } from '../../src/oidc/ambient.js';
import { interactiveIdentityToken } from '../../src/oidc/interactive.js';
import { EMBEDDED } from '../../src/trust/embedded.js';
import { normalizeTufUrl } from '../../src/trust/instances.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';
import { startRecorder } from './helpers.js';

const saved = { ...process.env };
after(() => {
  process.env = saved;
});
function proxyEnv(url: string): void {
  for (const k of ['NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[k];
  process.env.HTTP_PROXY = url;
  process.env.HTTPS_PROXY = url;
}

describe('plain http only on loopback hosts', () => {
  const withCa = (url: string) => ({
    ...EMBEDDED.staging.signingConfig,
    caUrls: [{ url, majorApiVersion: 1, validFor: { start: '2022-01-01T00:00:00Z' }, operator: 'x' }],
  });
  it('refuses a signing config service on plain http elsewhere, naming the field', () => {
    for (const url of ['http://fulcio.example.com', 'http://10.0.0.1:8080', 'http://[fe80::1]/']) {
      assert.throws(
        () => parseSigningConfig(withCa(url)),
        (e: Error) => e instanceof TrustError && e.code === 'SIGNING_CONFIG_INVALID' && /caUrls\[0\]\.url .* uses plain http on a host that is not this machine/.test(e.message),
        url,
      );
    }
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:9', 'https://fulcio.example.com']) assert.equal(parseSigningConfig(withCa(url)).caUrls[0]!.url, url);
  });
  it('refuses an --instance TUF repository on plain http elsewhere', () => {
    assert.throws(() => normalizeTufUrl('http://tuf.example.com'), (e: Error) => e instanceof UsageError && /plain http is only for a repository on this machine/.test(e.message));
    assert.equal(normalizeTufUrl('http://127.0.0.1:9/tuf/'), 'http://127.0.0.1:9/tuf');
  });
  it('knows which hosts are loopback', () => {
    assert.deepEqual(
      ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1', '128.0.0.1', 'localhost.example.com', '0.0.0.0'].map(isLoopbackHost),
      [true, true, true, true, true, false, false, false],
    );
  });
});

describe('OIDC requests go through the proxy', () => {
  it('interactive discovery tunnels through HTTPS_PROXY', async () => {
    const rec = await startRecorder();
    try {
      proxyEnv(rec.url);
      await assert.rejects(interactiveIdentityToken({ issuer: 'https://issuer.example.com/auth', openBrowser: async () => false, requestTimeoutMs: 3000 }), /OIDC discovery at https:\/\/issuer\.example\.com\/auth failed/);
      assert.deepEqual(rec.requests, ['CONNECT issuer.example.com:443']);
    } finally {
      process.env = { ...saved };
      await rec.close();
    }
  });

  it('an ambient token request goes through HTTP_PROXY (and NO_PROXY bypasses it)', async () => {
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: 'header.payload.signature' }));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      proxyEnv(proxyUrl);
      const env = { GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/token?api-version=2.0' };
      assert.equal(await detectGitHub({ env }), 'header.payload.signature');
      assert.deepEqual(seen, ['GET http://127.0.0.1:1/token?api-version=2.0&audience=sigstore']);
      process.env.NO_PROXY = '127.0.0.1';
      await assert.rejects(detectGitHub({ env }), /OIDC token request failed \(ECONNREFUSED\)/);
      assert.equal(seen.length, 1);
    } finally {
      process.env = { ...saved };
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});

describe('a deadline bounds a request, retries included', () => {
  it('stops retrying 503 answers when the deadline comes', async () => {
    let n = 0;
    const server = createServer((_req, res) => {
      n++;
      res.writeHead(503, { 'retry-after': '1' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const t0 = Date.now();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      await assert.rejects(request({ url, service: 'TUF', attempts: 10, proxy: false, deadline: Date.now() + 800 }), (e: Error) => e instanceof NetworkError && /did not answer within the time allowed/.test(e.message));
      assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
      assert.ok(n >= 1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
