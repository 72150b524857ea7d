/**
 * The HTTP layer against loopback servers that misbehave on purpose: transient statuses and
 * connection failures are retried with bounded exponential backoff, permanent ones are not;
 * timeouts (silence and trickling), truncated bodies, size limits; HTTP_PROXY (absolute-form),
 * HTTPS_PROXY through a loopback CONNECT proxy (in a child process that trusts a test CA), and
 * NO_PROXY.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetworkError } from '../../src/errors.js';
import { expectOk, noProxy, proxyFor, request } from '../../src/lib/http.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

/** A loopback HTTP server whose behaviour for the n-th request (1-based) is `handler`. */
async function server(handler: Handler): Promise<{ url: string; hits: () => number; times: number[]; close: () => Promise<void> }> {
  let n = 0;
  const times: number[] = [];
  const sockets = new Set<net.Socket>();
  const s = http.createServer((req, res) => {
    n++;
    times.push(Date.now());
    req.resume();
    req.on('end', () => handler(req, res, n));
  });
  s.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => n,
    times,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        s.close(() => r());
      }),
  };
}

/** Runs `fn` with environment variables set, restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const NO_PROXY_ENV = { HTTP_PROXY: undefined, http_proxy: undefined, HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

describe('retries', () => {
  it('retries 500, 503 and 429 and then succeeds', async () => {
    const s = await server((_q, res, n) => {
      if (n === 1) res.writeHead(500).end('boom');
      else if (n === 2) res.writeHead(503).end();
      else if (n === 3) res.writeHead(429).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    try {
      const res = await withEnv(NO_PROXY_ENV, () => request({ url: `${s.url}/x`, service: 'Test', backoffMs: 10 }));
      assert.equal(res.status, 200);
      assert.equal(res.attempts, 4);
      assert.deepEqual(res.json(), { ok: true });
      assert.equal(s.hits(), 4);
    } finally {
      await s.close();
    }
  });

  it('gives up after the attempts and the message names the service and the attempts', async () => {
    const s = await server((_q, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"overloaded"}'));
    try {
      const res = await withEnv(NO_PROXY_ENV, () => request({ method: 'POST', url: `${s.url}/api`, body: '{}', service: 'Rekor', attempts: 3, backoffMs: 5 }));
      assert.equal(res.status, 503);
      assert.equal(s.hits(), 3);
      assert.throws(
        () => expectOk(res, 'Rekor at here', 'the entry'),
        (e: unknown) => e instanceof NetworkError && e.status === 503 && /Rekor at here failed on the entry: HTTP 503 after 3 attempts \(overloaded\)/.test(e.message),
      );
    } finally {
      await s.close();
    }
  });

  it('does not retry permanent statuses (400, 404, 409)', async () => {
    for (const status of [400, 404, 409]) {
      const s = await server((_q, res) => res.writeHead(status).end('{"message":"no"}'));
      try {
        const res = await withEnv(NO_PROXY_ENV, () => request({ url: s.url, service: 'Fulcio', backoffMs: 5 }));
        assert.equal(res.status, status);
        assert.equal(s.hits(), 1);
        assert.throws(() => expectOk(res, 'Fulcio', 'the request'), /Fulcio refused the request: HTTP \d+ \(no\)/);
      } finally {
        await s.close();
      }
    }
  });

  it('backs off exponentially, with jitter, within bounds', async () => {
    const s = await server((_q, res) => res.writeHead(502).end());
    try {
      const t0 = Date.now();
      await withEnv(NO_PROXY_ENV, () => request({ url: s.url, attempts: 5, backoffMs: 40, maxBackoffMs: 1000 }));
      const gaps = s.times.slice(1).map((t, i) => t - s.times[i]!);
      const expected = [40, 80, 160, 320];
      gaps.forEach((g, i) => {
        assert.ok(g >= expected[i]! * 0.75 - 5, `gap ${i} = ${g} ms is shorter than ${expected[i]! * 0.75}`);
        assert.ok(g <= expected[i]! * 1.25 + 150, `gap ${i} = ${g} ms is longer than ${expected[i]! * 1.25}`);
      });
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      await s.close();
    }
  });

  it('caps the delay, also when Retry-After asks for an hour', async () => {
    const s = await server((_q, res, n) => (n < 3 ? res.writeHead(503, { 'retry-after': '3600' }).end() : res.writeHead(200).end('ok')));
    try {
      const t0 = Date.now();
      const res = await withEnv(NO_PROXY_ENV, () => request({ url: s.url, backoffMs: 10, maxBackoffMs: 150 }));
      assert.equal(res.status, 200);
      // An hour asked for, 150 ms allowed: the bounds are loose on purpose (a shared machine can
      // stall a timer by hundreds of ms); what matters is that no retry waits anywhere near an hour.
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      const gaps = s.times.slice(1).map((t, i) => t - s.times[i]!);
      for (const g of gaps) assert.ok(g <= 150 + 1500, `gap ${g} ms exceeds the cap`);
      assert.ok(gaps[0]! >= 100, 'Retry-After raised the delay up to the cap');
    } finally {
      await s.close();
    }
  });

  it('reads Retry-After as an HTTP date too', async () => {
    const s = await server((_q, res, n) => (n < 2 ? res.writeHead(429, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() }).end() : res.writeHead(200).end('ok')));
    try {
      const res = await withEnv(NO_PROXY_ENV, () => request({ url: s.url, backoffMs: 5, maxBackoffMs: 150 }));
      assert.equal(res.status, 200);
      const gap = s.times[1]! - s.times[0]!;
      assert.ok(gap >= 100 && gap <= 300, `waited ${gap} ms (the date asked for an hour, capped at 150 ms)`);
    } finally {
      await s.close();
    }
  });

  it('retries refused connections, then fails naming the service', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(
      withEnv(NO_PROXY_ENV, () => request({ url: `http://127.0.0.1:${port}/`, service: 'TSA', attempts: 3, backoffMs: 5 })),
      (e: unknown) => e instanceof NetworkError && e.code === 'SERVICE_UNAVAILABLE' && /TSA at http:\/\/127\.0\.0\.1:\d+ failed after 3 attempts: .*ECONNREFUSED/.test(e.message),
    );
  });

  it('does not retry an unknown host', async (t) => {
    const t0 = Date.now();
    const e = await request({ url: 'http://no-such-host.invalid/', service: 'Fulcio', attempts: 4, backoffMs: 500 }).then(
      () => assert.fail('resolved'),
      (x: unknown) => x,
    );
    // Without a working resolver (EAI_AGAIN) the failure is transient: nothing to check here then.
    if (/EAI_AGAIN/.test(String((e as Error).message))) return t.skip('no DNS resolver');
    assert.ok(e instanceof NetworkError && e.code === 'REQUEST_FAILED' && /Fulcio request to http:\/\/no-such-host\.invalid.*ENOTFOUND/.test(e.message), String(e));
    assert.ok(Date.now() - t0 < 1400, 'no backoff happened');
  });

  it('refuses bad URLs and schemes', async () => {
    await assert.rejects(request({ url: 'not a url', service: 'Rekor' }), /Rekor URL "not a url" is not valid/);
    await assert.rejects(request({ url: 'ftp://example.com/' }), /unsupported URL scheme/);
  });
});

describe('timeouts and bodies', () => {
  it('times out a silent server, per attempt, and retries', async () => {
    const s = await server(() => {
      /* never answers */
    });
    try {
      const t0 = Date.now();
      await assert.rejects(
        withEnv(NO_PROXY_ENV, () => request({ url: s.url, service: 'Rekor', timeoutMs: 150, attempts: 2, backoffMs: 10 })),
        (e: unknown) => e instanceof NetworkError && /failed after 2 attempts: no complete answer within 150 ms/.test(e.message),
      );
      const took = Date.now() - t0;
      assert.ok(took >= 300 && took < 1500, `took ${took} ms`);
      assert.equal(s.hits(), 2);
    } finally {
      await s.close();
    }
  });

  it('times out a response that trickles forever (an overall deadline, not only an idle timeout)', async () => {
    const timers: NodeJS.Timeout[] = [];
    const s = await server((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      timers.push(setInterval(() => res.write('x'), 30));
    });
    try {
      await assert.rejects(
        withEnv(NO_PROXY_ENV, () => request({ url: s.url, timeoutMs: 250, attempts: 1 })),
        /no complete answer within 250 ms/,
      );
    } finally {
      for (const t of timers) clearInterval(t);
      await s.close();
    }
  });

  it('retries a truncated body (connection closed before Content-Length bytes)', async () => {
    const s = await server((_q, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"complete":true}');
      }
    });
    try {
      const res = await withEnv(NO_PROXY_ENV, () => request({ url: s.url, backoffMs: 5 }));
      assert.deepEqual(res.json(), { complete: true });
      assert.equal(res.attempts, 2);
    } finally {
      await s.close();
    }
  });

  it('fails when every body is truncated, saying so', async () => {
    const s = await server((_q, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    try {
      await assert.rejects(
        withEnv(NO_PROXY_ENV, () => request({ url: s.url, service: 'TSA', attempts: 2, backoffMs: 5 })),
        (e: unknown) => e instanceof NetworkError && /TSA .* failed after 2 attempts: the response was cut off/.test(e.message),
      );
    } finally {
      await s.close();
    }
  });

  it('refuses a body over maxBytes without retrying', async () => {
    const s = await server((_q, res) => res.writeHead(200).end(Buffer.alloc(5000)));
    try {
      await assert.rejects(
        withEnv(NO_PROXY_ENV, () => request({ url: s.url, service: 'TUF', maxBytes: 1000 })),
        (e: unknown) => e instanceof NetworkError && e.code === 'REQUEST_FAILED' && /larger than 1000 bytes/.test(e.message),
      );
      assert.equal(s.hits(), 1);
    } finally {
      await s.close();
    }
  });

  it('names the service for malformed JSON', async () => {
    const s = await server((_q, res) => res.writeHead(200).end('{"not json'));
    try {
      const res = await withEnv(NO_PROXY_ENV, () => request({ url: s.url, service: 'Fulcio' }));
      assert.throws(() => res.json(), (e: unknown) => e instanceof NetworkError && e.code === 'RESPONSE_MALFORMED' && /Fulcio answered with malformed JSON/.test(e.message));
    } finally {
      await s.close();
    }
  });

  it('sends the body, method and headers it is given', async () => {
    let seen: { method?: string; type?: string; length?: string; body: string } = { body: '' };
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body };
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const port = (s.address() as net.AddressInfo).port;
      const res = await withEnv(NO_PROXY_ENV, () =>
        request({ method: 'POST', url: `http://127.0.0.1:${port}/p`, body: Buffer.from([1, 2, 3]), headers: { 'content-type': 'application/timestamp-query' } }),
      );
      assert.equal(res.status, 201);
      assert.deepEqual(seen, { method: 'POST', type: 'application/timestamp-query', length: '3', body: '\x01\x02\x03' });
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});

describe('NO_PROXY matching', () => {
  it('matches names, subdomains, ports, wildcards, IPv4 CIDR and IPv6', () => {
    const env = (v: string) => ({ NO_PROXY: v }) as NodeJS.ProcessEnv;
    assert.equal(noProxy('example.com', '443', env('example.com')), true);
    assert.equal(noProxy('api.example.com', '443', env('example.com')), true);
    assert.equal(noProxy('api.example.com', '443', env('.example.com')), true);
    assert.equal(noProxy('api.example.com', '443', env('*.example.com')), true);
    assert.equal(noProxy('badexample.com', '443', env('example.com')), false);
    assert.equal(noProxy('example.com', '443', env('example.com:8443')), false);
    assert.equal(noProxy('example.com', '8443', env('example.com:8443')), true);
    assert.equal(noProxy('anything', '80', env('*')), true);
    assert.equal(noProxy('10.1.2.3', '80', env('10.0.0.0/8')), true);
    assert.equal(noProxy('11.1.2.3', '80', env('10.0.0.0/8')), false);
    assert.equal(noProxy('127.0.0.1', '80', env('foo, 127.0.0.0/8')), true);
    assert.equal(noProxy('[::1]', '443', env('::1')), true);
    assert.equal(noProxy('[::1]', '443', env('[::1]:443')), true);
    assert.equal(noProxy('[::1]', '443', env('[::1]:80')), false);
    assert.equal(noProxy('example.com', '443', env('')), false);
    assert.equal(noProxy('EXAMPLE.com', '443', { no_proxy: 'example.COM' } as NodeJS.ProcessEnv), true);
  });

  it('picks HTTPS_PROXY for https, HTTP_PROXY for http, unless NO_PROXY', () => {
    const env = { HTTPS_PROXY: 'proxy:3128', HTTP_PROXY: 'http://p2:80', NO_PROXY: 'internal' } as NodeJS.ProcessEnv;
    assert.equal(proxyFor(new URL('https://example.com/'), env)?.href, 'http://proxy:3128/');
    assert.equal(proxyFor(new URL('http://example.com/'), env)?.href, 'http://p2/');
    assert.equal(proxyFor(new URL('https://internal/'), env), undefined);
    assert.equal(proxyFor(new URL('https://example.com/'), {} as NodeJS.ProcessEnv), undefined);
    assert.throws(() => proxyFor(new URL('https://example.com/'), { HTTPS_PROXY: 'http://[bad' } as NodeJS.ProcessEnv), /is not a URL/);
  });
});

/** A loopback forward proxy: CONNECT tunnels and absolute-form HTTP requests; records what it saw. */
async function proxyServer(opts: { refuse?: boolean } = {}) {
  const seen: { method: string; target: string; auth: string | undefined }[] = [];
  const sockets = new Set<net.Socket>();
  const p = http.createServer((req, res) => {
    seen.push({ method: req.method!, target: req.url!, auth: req.headers['proxy-authorization'] });
    const u = new URL(req.url!);
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode!, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  p.on('connect', (req, client, head) => {
    seen.push({ method: 'CONNECT', target: req.url!, auth: req.headers['proxy-authorization'] });
    if (opts.refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  p.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => p.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(p.address() as net.AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        p.close(() => r());
      }),
  };
}

describe('proxies', () => {
  it('sends plain HTTP through HTTP_PROXY (absolute-form, with proxy credentials)', async () => {
    const s = await server((req, res) => res.writeHead(200).end(`host=${req.headers.host}`));
    const p = await proxyServer();
    try {
      const proxyUrl = p.url.replace('http://', 'http://user:p%40ss@');
      const res = await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: proxyUrl }, () => request({ url: `${s.url}/a?b=1` }));
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), `host=${new URL(s.url).host}`);
      assert.equal(p.seen.length, 1);
      assert.equal(p.seen[0]!.target, `${s.url}/a?b=1`);
      assert.equal(p.seen[0]!.auth, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
      // NO_PROXY bypasses it.
      await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: p.url, NO_PROXY: '127.0.0.0/8' }, () => request({ url: s.url }));
      assert.equal(p.seen.length, 1);
      assert.equal(s.hits(), 2);
    } finally {
      await p.close();
      await s.close();
    }
  });

  it('reports a proxy that refuses the tunnel, naming it, without retrying', async () => {
    const p = await proxyServer({ refuse: true });
    try {
      await assert.rejects(
        withEnv({ ...NO_PROXY_ENV, HTTPS_PROXY: p.url }, () => request({ url: 'https://example.invalid/', service: 'Fulcio', backoffMs: 5 })),
        (e: unknown) => e instanceof NetworkError && /Fulcio request .* failed: proxy 127\.0\.0\.1:\d+ refused the tunnel \(HTTP 403\)/.test(e.message),
      );
      assert.equal(p.seen.length, 1);
      assert.equal(p.seen[0]!.target, 'example.invalid:443');
    } finally {
      await p.close();
    }
  });

  describe('HTTPS through a CONNECT proxy (child process trusting a test CA)', () => {
    let dir: string;
    let tls: { key: string; cert: string } | undefined;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'http-test-'));
      try {
        execFileSync(
          'openssl',
          ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
            '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
          { stdio: 'ignore' },
        );
        tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
      } catch {
        tls = undefined;
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function httpsServer() {
      let n = 0;
      const s = https.createServer(tls!, (req, res) => {
        n++;
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, host: req.headers.host }));
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return { port: (s.address() as net.AddressInfo).port, hits: () => n, close: () => new Promise<void>((r) => s.close(() => r())) };
    }

    /** Runs request() in a child with NODE_EXTRA_CA_CERTS and the given proxy environment. */
    function child(url: string, env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
      const script = join(dir, 'child.mts');
      writeFileSync(
        script,
        `import { request } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'lib', 'http.ts'))};
const res = await request({ url: process.argv[2], service: 'Test', attempts: 1 });
process.stdout.write(res.body.toString());`,
      );
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_proxy$/i.test(k)));
      return new Promise((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', script, url], {
          env: { ...clean, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (err += d));
        c.on('close', (code) => resolve({ code, out, err }));
      });
    }

    it('tunnels HTTPS through HTTPS_PROXY, and NO_PROXY bypasses it', async (t) => {
      if (!tls) return t.skip('openssl is not available');
      const s = await httpsServer();
      const p = await proxyServer();
      try {
        const url = `https://localhost:${s.port}/hello?x=1`;
        const viaProxy = await child(url, { HTTPS_PROXY: p.url.replace('http://', 'http://u:pw@') });
        assert.equal(viaProxy.code, 0, viaProxy.err);
        assert.deepEqual(JSON.parse(viaProxy.out), { path: '/hello?x=1', host: `localhost:${s.port}` });
        assert.equal(p.seen.length, 1);
        assert.deepEqual(p.seen[0], { method: 'CONNECT', target: `localhost:${s.port}`, auth: `Basic ${Buffer.from('u:pw').toString('base64')}` });

        const direct = await child(url, { https_proxy: p.url, NO_PROXY: 'localhost' });
        assert.equal(direct.code, 0, direct.err);
        assert.equal(p.seen.length, 1, 'NO_PROXY: the proxy saw nothing more');
        assert.equal(s.hits(), 2);
      } finally {
        await p.close();
        await s.close();
      }
    });

    it('treats an untrusted certificate as permanent (no retries)', async (t) => {
      if (!tls) return t.skip('openssl is not available');
      const s = await httpsServer();
      try {
        await assert.rejects(
          withEnv(NO_PROXY_ENV, () => request({ url: `https://localhost:${s.port}/`, service: 'Rekor', attempts: 4, backoffMs: 300 })),
          (e: unknown) => e instanceof NetworkError && e.code === 'REQUEST_FAILED' && /Rekor request to https:\/\/localhost:\d+\/ failed: .*certificate/i.test(e.message),
        );
      } finally {
        await s.close();
      }
    });
  });
});
