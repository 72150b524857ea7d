/**
 * Fault injection: a loopback proxy in front of the local instance answers with 5xx, 429,
 * hangs, truncated bodies, dropped answers, garbage, an invalid SCT, a wrong inclusion proof, a
 * certificate for another identity or key, a replayed timestamp... Transient faults are retried
 * and signing succeeds; everything else fails with a message naming the service, and the CLI
 * creates or alters no output file in any failing case.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { main } from '../../src/cli/main.js';
import { NetworkError, SigstoreError } from '../../src/errors.js';
import { redirectOutput } from '../../src/lib/stdio.js';
import { int, pem, seq, utf8 } from '../../src/lib/der-write.js';
import { buildCsr } from '../../src/sign/fulcio.js';
import { EphemeralKey } from '../../src/sign/keys.js';
import { Signer } from '../../src/sign/signer.js';
import { requestTimestamp } from '../../src/sign/tsa.js';
import { onlyRekor, startTestInstance, type TestInstance, viaProxy } from './helpers.js';
import { type Fault, type FaultProxy, rewriteJson, startFaultProxy } from './proxy.js';

let t: TestInstance;
let p: FaultProxy;
let file: string;
const HTTP = { attempts: 3, backoffMs: 10, timeoutMs: 600 };

before(async () => {
  t = await startTestInstance();
  p = await startFaultProxy(t.inst.url);
  file = join(t.dir, 'artifact.txt');
  writeFileSync(file, 'fault injection\n');
});
after(async () => {
  await p?.close();
  await t?.stop();
});

const FULCIO = /^\/api\/v2\/signingCert$/;
const REKOR_V1 = /^\/api\/v1\/log\/entries$/;
const REKOR_V2 = /^\/api\/v2\/log\/entries$/;
const TSA = /^\/api\/v1\/timestamp$/;

function signerVia(version: 1 | 2, extra: Partial<ConstructorParameters<typeof Signer>[0]> = {}): Signer {
  return new Signer({ trustConfig: viaProxy(t, p.url, onlyRekor(version)).config, tokenProvider: () => t.inst.token(), http: HTTP, ...extra });
}

/** Runs with the proxy's rules set, clearing rules and log after. */
async function withFaults<T>(rules: { method?: string; path: RegExp; fault: Fault; times?: number }[], fn: () => Promise<T>): Promise<T> {
  p.rules = rules;
  p.log.length = 0;
  try {
    return await fn();
  } finally {
    p.rules = [];
  }
}

function count(path: string): number {
  return p.log.filter((l) => l.endsWith(` ${path}`)).length;
}

const json = rewriteJson;

function flipB64(s: string): string {
  const b = Buffer.from(s, 'base64');
  b[0]! ^= 1;
  return b.toString('base64');
}

function flipHex(s: string): string {
  const b = Buffer.from(s, 'hex');
  b[0]! ^= 1;
  return b.toString('hex');
}

describe('transient faults are retried and signing succeeds', () => {
  const cases: [string, 1 | 2, { path: RegExp; fault: Fault; times: number }[], string, number][] = [
    ['Fulcio 500, 503', 1, [{ path: FULCIO, fault: { kind: 'status', status: 500 }, times: 1 }, { path: FULCIO, fault: { kind: 'status', status: 503 }, times: 1 }], '/api/v2/signingCert', 3],
    ['Fulcio truncated body', 1, [{ path: FULCIO, fault: { kind: 'truncate' }, times: 1 }], '/api/v2/signingCert', 2],
    ['Rekor v1 503 then 429', 1, [{ path: REKOR_V1, fault: { kind: 'status', status: 503 }, times: 1 }, { path: REKOR_V1, fault: { kind: 'status', status: 429 }, times: 1 }], '/api/v1/log/entries', 3],
    ['Rekor v1 timeout (no answer)', 1, [{ path: REKOR_V1, fault: { kind: 'hang' }, times: 1 }], '/api/v1/log/entries', 2],
    ['Rekor v1 truncated answer after the entry was made (409, then the existing entry)', 1, [{ path: REKOR_V1, fault: { kind: 'truncate' }, times: 1 }], '/api/v1/log/entries', 2],
    ['Rekor v1 connection dropped after the entry was made', 1, [{ path: REKOR_V1, fault: { kind: 'drop-after' }, times: 1 }], '/api/v1/log/entries', 2],
    ['Rekor v2 502', 2, [{ path: REKOR_V2, fault: { kind: 'status', status: 502 }, times: 1 }], '/api/v2/log/entries', 2],
    ['Rekor v2 truncated answer (resubmission returns the entry)', 2, [{ path: REKOR_V2, fault: { kind: 'truncate' }, times: 1 }], '/api/v2/log/entries', 2],
    ['TSA 500', 2, [{ path: TSA, fault: { kind: 'status', status: 500 }, times: 1 }], '/api/v1/timestamp', 2],
    ['TSA truncated', 1, [{ path: TSA, fault: { kind: 'truncate' }, times: 1 }], '/api/v1/timestamp', 2],
    ['TSA timeout', 2, [{ path: TSA, fault: { kind: 'hang' }, times: 1 }], '/api/v1/timestamp', 2],
  ];
  for (const [name, version, rules, path, attempts] of cases) {
    it(name, async () => {
      await withFaults(rules, async () => {
        const b = await signerVia(version).sign({ path: file });
        assert.equal(parseBundle(b).tlogEntries.length, 1);
        assert.equal(count(path), attempts, p.log.join(', '));
      });
    });
  }

  it('Rekor v1 409 fetches the existing entry', async () => {
    await withFaults([{ path: REKOR_V1, fault: { kind: 'drop-after' }, times: 1 }], async () => {
      await signerVia(1).sign({ path: file });
      assert.ok(p.log.some((l) => /^GET \/api\/v1\/log\/entries\/[0-9a-f]{80}$/.test(l)), p.log.join(', '));
    });
  });
});

/** Asserts signing fails with a SigstoreError matching `re` (and optionally `code`). */
async function fails(s: Signer, re: RegExp, code?: string, what: 'sign' | 'attest' = 'sign'): Promise<void> {
  const run = what === 'sign' ? s.sign({ path: file }) : s.attest({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'a', digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://x.example/p', predicate: {} });
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof SigstoreError, String(e));
    assert.match(e.message, re);
    if (code) assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('permanent faults fail with a clear message naming the service', () => {
  it('Fulcio: 400, persistent 500, malformed JSON, no chain, a detached SCT', async () => {
    const url = p.url;
    await withFaults([{ path: FULCIO, fault: { kind: 'status', status: 400, body: '{"message":"bad token"}' } }], () =>
      fails(signerVia(1), new RegExp(`Fulcio at ${url} refused the certificate request: HTTP 400 \\(bad token\\)`), 'SERVICE_ERROR'),
    );
    assert.equal(count('/api/v2/signingCert'), 1, 'not retried');
    await withFaults([{ path: FULCIO, fault: { kind: 'status', status: 500 } }], () =>
      fails(signerVia(1), /Fulcio at .* failed on the certificate request: HTTP 500 after 3 attempts/, 'SERVICE_ERROR'),
    );
    await withFaults([{ path: FULCIO, fault: { kind: 'rewrite', fn: () => '{"signedCert' } }], () => fails(signerVia(1), /Fulcio answered with malformed JSON/, 'RESPONSE_MALFORMED'));
    await withFaults([{ path: FULCIO, fault: { kind: 'rewrite', fn: () => '{}' } }], () =>
      fails(signerVia(1), /Fulcio at .* answered with an unusable certificate response: signedCertificateEmbeddedSct\.chain\.certificates is missing/, 'FULCIO_RESPONSE_INVALID'),
    );
    await withFaults([{ path: FULCIO, fault: { kind: 'rewrite', fn: () => '{"signedCertificateDetachedSct":{"chain":{"certificates":[]}}}' } }], () =>
      fails(signerVia(1), /detached SCT/, 'FULCIO_RESPONSE_INVALID'),
    );
  });

  it('Fulcio: a certificate with an invalid SCT', async () => {
    const ctlog = t.inst.ctlog;
    const orig = ctlog.addPreChain.bind(ctlog);
    ctlog.addPreChain = async (chain: Buffer[]) => {
      const sct = await orig(chain);
      return { ...sct, timestamp: sct.timestamp + 1n }; // the signature no longer covers it
    };
    try {
      await fails(signerVia(1), /Fulcio at .* issued an unusable certificate: its embedded SCT does not verify/, 'FULCIO_SCT_INVALID');
    } finally {
      ctlog.addPreChain = orig;
    }
  });

  it('Fulcio: a certificate for another identity, or for another key', async () => {
    const other = await t.inst.token({ identity: 'someone-else@example.com' });
    const swapToken: Fault = {
      kind: 'rewrite-request',
      fn: (body) => {
        const o = JSON.parse(body.toString());
        o.credentials.oidcIdentityToken = other;
        return JSON.stringify(o);
      },
    };
    await withFaults([{ path: FULCIO, fault: swapToken }], () =>
      fails(signerVia(1), /issued an unusable certificate: the certificate is for someone-else@example\.com, which is not the identity in the token/, 'FULCIO_WRONG_IDENTITY'),
    );
    const swapKey: Fault = {
      kind: 'rewrite-request',
      fn: (body) => {
        const o = JSON.parse(body.toString());
        o.certificateSigningRequest = Buffer.from(pem(buildCsr(new EphemeralKey()), 'CERTIFICATE REQUEST')).toString('base64');
        return JSON.stringify(o);
      },
    };
    await withFaults([{ path: FULCIO, fault: swapKey }], () => fails(signerVia(1), /it is not for the key that was submitted/, 'FULCIO_WRONG_KEY'));
  });

  it('Fulcio: a certificate from a CA the trusted root does not list', async () => {
    const { config } = viaProxy(t, p.url, onlyRekor(1));
    const trustedRoot = { ...config.trustedRoot, certificateAuthorities: [] };
    const s = new Signer({ trustedRoot, signingConfig: config.signingConfig, tokenProvider: () => t.inst.token(), http: HTTP });
    await fails(s, /does not verify against the trusted root .*does not chain to a trusted Fulcio CA/, 'FULCIO_CERTIFICATE_UNTRUSTED');
  });

  for (const version of [1, 2] as const) {
    it(`Rekor v${version}: a wrong inclusion proof, another entry, a 400, garbage`, async () => {
      const path = version === 1 ? REKOR_V1 : REKOR_V2;
      const wrongProof =
        version === 1
          ? json((o) => {
              const e = Object.values(o)[0] as { verification: { inclusionProof: { hashes: string[]; rootHash: string } } };
              const proof = e.verification.inclusionProof;
              if (proof.hashes.length > 0) proof.hashes[0] = flipHex(proof.hashes[0]!);
              else proof.rootHash = flipHex(proof.rootHash);
            })
          : json((o) => {
              const proof = o.inclusionProof as { hashes: string[]; rootHash: string };
              if (proof.hashes.length > 0) proof.hashes[0] = flipB64(proof.hashes[0]!);
              else proof.rootHash = flipB64(proof.rootHash);
            });
      const name = `Rekor v${version} at ${p.url}`;
      await withFaults([{ path, fault: wrongProof }], () =>
        fails(signerVia(version), new RegExp(`does not verify at step tlog \\(the log entry from ${name}\\), so it was not written: .*inclusion proof`), 'SIGNED_BUNDLE_INVALID'),
      );
      if (version === 1) {
        // An answer for another entry (replayed): its body is not this signature's.
        const replay = await (await fetch(`${t.inst.url}/api/v1/log/entries?logIndex=0`)).text();
        await withFaults([{ path, fault: { kind: 'reply', status: 201, body: replay } }], () =>
          fails(signerVia(version), /does not verify at step body \(the log entry from Rekor v1/, 'SIGNED_BUNDLE_INVALID'),
        );
      }
      await withFaults([{ path, fault: { kind: 'status', status: 400, body: '{"message":"entry rejected"}' } }], () =>
        fails(signerVia(version), new RegExp(`${name} refused the log entry: HTTP 400 \\(entry rejected\\)`), 'SERVICE_ERROR'),
      );
      await withFaults([{ path, fault: { kind: 'reply', status: 201, body: '{"unexpected": true}' } }], () =>
        fails(signerVia(version), new RegExp(`${name} answered with an unusable log entry`), 'REKOR_RESPONSE_INVALID'),
      );
      await withFaults([{ path, fault: { kind: 'status', status: 503 } }], () => fails(signerVia(version), /Rekor v\d at .* failed on the log entry: HTTP 503 after 3 attempts/));
    });
  }

  it('TSA: a replayed timestamp (wrong nonce), a refusal, garbage, an untrusted TSA, a 400', async () => {
    const old = await requestTimestamp(t.inst.tsaUrl, Buffer.from('some other signature'), t.trustConfig.trustedRoot);
    const tsa = `the timestamp authority at ${p.url}/api/v1/timestamp`;
    await withFaults([{ path: TSA, fault: { kind: 'reply', body: old, contentType: 'application/timestamp-reply' } }], () =>
      fails(signerVia(2), new RegExp(`${tsa} answered with an unusable timestamp: its nonce is not the one sent`), 'TSA_NONCE_MISMATCH'),
    );
    // TimeStampResp { PKIStatusInfo { rejection(2), "busy" } }
    const rejection = seq(seq(int(2), seq(utf8('busy'))));
    await withFaults([{ path: TSA, fault: { kind: 'reply', body: rejection, contentType: 'application/timestamp-reply' } }], () =>
      fails(signerVia(2), new RegExp(`${tsa} refused the timestamp request: status 2 \\(rejection\\): busy`), 'TSA_REFUSED'),
    );
    await withFaults([{ path: TSA, fault: { kind: 'reply', body: 'not DER', contentType: 'application/timestamp-reply' } }], () =>
      fails(signerVia(2), new RegExp(`${tsa} answered with an unusable timestamp: it is not a valid RFC 3161 response`), 'TSA_RESPONSE_INVALID'),
    );
    await withFaults([{ path: TSA, fault: { kind: 'status', status: 400, body: 'bad request' } }], () => fails(signerVia(2), new RegExp(`${tsa} refused the timestamp request: HTTP 400 \\(bad request\\)`)));
    const { config } = viaProxy(t, p.url, onlyRekor(1));
    const trustedRoot = { ...config.trustedRoot, timestampAuthorities: [] };
    const s = new Signer({ trustedRoot, signingConfig: config.signingConfig, tokenProvider: () => t.inst.token(), http: HTTP });
    await fails(s, /does not verify at step timestamp \(the timestamp from the TSA at .*\/api\/v1\/timestamp\), so it was not written/, 'SIGNED_BUNDLE_INVALID');
  });

  it('attest fails the same way (DSSE through a wrong inclusion proof)', async () => {
    await withFaults(
      [
        {
          path: REKOR_V1,
          fault: json((o) => {
            const proof = (Object.values(o)[0] as { verification: { inclusionProof: { rootHash: string } } }).verification.inclusionProof;
            proof.rootHash = flipHex(proof.rootHash);
          }),
        },
      ],
      () => fails(signerVia(1), /does not verify at step tlog/, 'SIGNED_BUNDLE_INVALID', 'attest'),
    );
  });
});

describe('the CLI writes nothing when signing fails', () => {
  let dir: string;
  let trustConfig: string;
  before(() => {
    dir = join(t.dir, 'cli');
    mkdirSync(dir);
    trustConfig = viaProxy(t, p.url, onlyRekor(1), 'cli-trust.json').path;
  });

  /** Runs `sigstore ARGS` in-process; returns the exit code and what it wrote to stderr. */
  async function cli(args: string[]): Promise<{ code: number; err: string }> {
    const token = await t.inst.token();
    let err = '';
    const restore = redirectOutput((fd, text) => {
      if (fd === 2) err += text;
    });
    try {
      const code = await main(['--trust-config', trustConfig, ...args.slice(0, 1), '--identity-token', token, ...args.slice(1)]);
      return { code, err };
    } finally {
      restore();
    }
  }

  function files(): string[] {
    return readdirSync(dir).sort();
  }

  const failures: [string, { path: RegExp; fault: Fault; times?: number }[], RegExp][] = [
    ['Fulcio keeps failing', [{ path: FULCIO, fault: { kind: 'status', status: 503 } }], /Fulcio at .* failed on the certificate request: HTTP 503 after 4 attempts/],
    [
      'a wrong inclusion proof for the second file only',
      [
        { path: REKOR_V1, fault: { kind: 'pass' }, times: 1 },
        {
          path: REKOR_V1,
          fault: json((o) => {
            const proof = (Object.values(o)[0] as { verification: { inclusionProof: { rootHash: string } } }).verification.inclusionProof;
            proof.rootHash = flipHex(proof.rootHash);
          }),
          times: 1,
        },
      ],
      /does not verify at step tlog \(the log entry from Rekor v1 at/,
    ],
    ['a certificate for another identity', [], /not the identity in the token/],
  ];

  for (const [name, rules, re] of failures) {
    it(name, async () => {
      const a = join(dir, `${name.replace(/\W+/g, '-')}-a.txt`);
      const b = join(dir, `${name.replace(/\W+/g, '-')}-b.txt`);
      writeFileSync(a, 'a\n');
      writeFileSync(b, 'b\n');
      writeFileSync(`${b}.sigstore.json`, 'the old bundle');
      const before = files();
      let faults = rules;
      if (name.includes('another identity')) {
        const other = await t.inst.token({ identity: 'intruder@example.com' });
        faults = [
          {
            path: FULCIO,
            fault: {
              kind: 'rewrite-request',
              fn: (body) => {
                const o = JSON.parse(body.toString());
                o.credentials.oidcIdentityToken = other;
                return JSON.stringify(o);
              },
            },
          },
        ];
      }
      const r = await withFaults(faults, () => cli(['sign', '--overwrite', a, b]));
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, re);
      assert.deepEqual(files(), before, 'no file created');
      assert.equal(readFileSync(`${b}.sigstore.json`, 'utf8'), 'the old bundle', 'no file altered');
    });
  }

  it('refuses to overwrite before any request, and writes nothing', async () => {
    const a = join(dir, 'exists.txt');
    writeFileSync(a, 'a\n');
    writeFileSync(`${a}.sigstore.json`, 'keep me');
    const r = await withFaults([], () => cli(['sign', a]));
    assert.equal(r.code, 2);
    assert.match(r.err, /Refusing to overwrite outputs without --overwrite: .*exists\.txt\.sigstore\.json/);
    assert.deepEqual(p.log, [], 'no request was made');
    assert.equal(readFileSync(`${a}.sigstore.json`, 'utf8'), 'keep me');
  });

  it('after transient faults, writes the verified bundle', async () => {
    const a = join(dir, 'ok.txt');
    writeFileSync(a, 'ok\n');
    const r = await withFaults([{ path: REKOR_V1, fault: { kind: 'status', status: 502 }, times: 1 }], () => cli(['sign', a]));
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(`${a}.sigstore.json`));
    assert.equal(parseBundle(readFileSync(`${a}.sigstore.json`)).tlogEntries.length, 1);
    assert.equal(count('/api/v1/log/entries'), 2);
  });
});

it('a failed certificate request is not cached: the next call asks again', async () => {
  const s = signerVia(1);
  await withFaults([{ path: FULCIO, fault: { kind: 'status', status: 401 }, times: 1 }], async () => {
    await assert.rejects(s.sign({ path: file }), /Fulcio at .* refused the certificate request: HTTP 401/);
    await s.sign({ path: file });
    assert.equal(count('/api/v2/signingCert'), 2);
    await Promise.all([s.sign({ path: file }), s.sign({ path: file })]);
    assert.equal(count('/api/v2/signingCert'), 2, 'the session is reused');
  });
});

it('a NetworkError carries the HTTP status', async () => {
  await withFaults([{ path: FULCIO, fault: { kind: 'status', status: 403 } }], async () => {
    await assert.rejects(signerVia(1).sign({ path: file }), (e: unknown) => e instanceof NetworkError && e.status === 403);
  });
});
