/**
 * The signing commands (sigstore-python compatible): `sign` and `attest` output rules (default
 * FILE.sigstore.json, --bundle, --signature, --certificate, --output-directory,
 * --no-default-files, --overwrite), standard input, --rekor-version, --key-type, SIGSTORE_*
 * variables, --instance (TUF), `verify` with a detached certificate and signature, and the
 * conformance entrypoint's sign-bundle. Against the local instance, in-process where possible.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseBundle } from '../../src/bundle/parse.js';
import { main } from '../../src/cli/main.js';
import { redirectOutput } from '../../src/lib/stdio.js';
import { Certificate } from '../../src/lib/x509.js';
import { onlyRekor, startTestInstance, type TestInstance, viaProxy, withSigningConfig } from './helpers.js';
import { type FaultProxy, startFaultProxy } from './proxy.js';

const ROOT = join(import.meta.dirname, '..', '..');
let t: TestInstance;
let p: FaultProxy;
let dir: string;
let trustConfig: string;
let n = 0;

before(async () => {
  t = await startTestInstance();
  p = await startFaultProxy(t.inst.url);
  dir = join(t.dir, 'cli');
  mkdirSync(dir);
  trustConfig = viaProxy(t, p.url, () => {}, 'cli.json').path;
});
after(async () => {
  await p?.close();
  await t?.stop();
});

/** A fresh file with unique content. */
function input(name = `in-${++n}.txt`, content = `content ${n} ${Math.random()}\n`): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

/** Runs the CLI in-process with stdout/stderr captured and environment variables set. */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const restore = redirectOutput((fd, text) => {
    if (fd === 1) out += text;
    else err += text;
  });
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    restore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function sign(args: string[], env: Record<string, string | undefined> = {}, config = trustConfig) {
  return cli(['--trust-config', config, 'sign', '--identity-token', await t.inst.token(), ...args], env);
}

async function verify(file: string, extra: string[] = []) {
  return cli(['--trust-config', trustConfig, 'verify', 'identity', '--cert-identity', t.inst.identity, '--cert-oidc-issuer', t.inst.issuer, ...extra, file]);
}

/** Runs a built entry point (bin/...) as a child process. */
function spawnBin(bin: string, args: string[], stdin?: Buffer, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [join(ROOT, 'bin', bin), ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
    c.stdin.end(stdin);
  });
}

const built = existsSync(join(ROOT, 'dist', 'cli.js'));

describe('sigstore sign', () => {
  it('writes FILE.sigstore.json by default, which verify accepts', async () => {
    const f = input();
    const r = await sign([f]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`Signed ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: log index \\d+; wrote ${f}\\.sigstore\\.json`));
    const b = parseBundle(readFileSync(`${f}.sigstore.json`));
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const v = await verify(f);
    assert.equal(v.code, 0, v.err);
    assert.match(v.err, /^OK: /);
  });

  it('signs several files with one certificate into --output-directory', async () => {
    const files = [input(), input(), input()];
    const outDir = join(dir, `out-${n}`);
    mkdirSync(outDir);
    const r = await sign(['--output-directory', outDir, ...files]);
    assert.equal(r.code, 0, r.err);
    const names = readdirSync(outDir).sort();
    assert.deepEqual(names, files.map((f) => `${f.split('/').pop()}.sigstore.json`).sort());
    const certs = new Set(names.map((name) => (JSON.parse(readFileSync(join(outDir, name), 'utf8')).verificationMaterial.certificate.rawBytes as string)));
    assert.equal(certs.size, 1);
    for (const f of files) assert.equal((await verify(f, ['--bundle', join(outDir, `${f.split('/').pop()}.sigstore.json`)])).code, 0);
    assert.equal(p.log.filter((l) => l === 'POST /api/v2/signingCert').length > 0, true);
  });

  it('writes --bundle, --signature and --certificate for a single input', async () => {
    const f = input();
    const [b, s, c] = ['custom.bundle.json', 'a.sig', 'a.crt'].map((x) => join(dir, `${n}-${x}`));
    const r = await sign(['--bundle', b!, '--signature', s!, '--certificate', c!, '--rekor-version', '1', f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(existsSync(`${f}.sigstore.json`), false);
    const cert = Certificate.fromPEM(readFileSync(c!, 'utf8'));
    const bundle = parseBundle(readFileSync(b!));
    assert.ok(bundle.material.kind === 'certificate' && bundle.material.certificate.raw.equals(cert.raw));
    const sig = Buffer.from(readFileSync(s!, 'utf8').trim(), 'base64');
    assert.ok(nodeVerify('sha256', readFileSync(f), createPublicKey({ key: cert.spki, format: 'der', type: 'spki' }), sig));
    assert.equal(bundle.tlogEntries[0]!.version, '0.0.1');

    // Detached verification of the certificate and signature (Rekor v1 lookup).
    const v = await verify(f, ['--certificate', c!, '--signature', s!]);
    assert.equal(v.code, 0, v.err);
    const other = input();
    const bad = await verify(other, ['--certificate', c!, '--signature', s!]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /FAIL: .* \[signature\]: the signature does not verify over the artifact/);
    // Signed into Rekor v2 only: the v1 log has no entry for it.
    const g = input();
    const [s2, c2] = [join(dir, `${n}-v2.sig`), join(dir, `${n}-v2.crt`)];
    assert.equal((await sign(['--no-default-files', '--signature', s2, '--certificate', c2, '--rekor-version', '2', g])).code, 0);
    const missing = await verify(g, ['--certificate', c2, '--signature', s2]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /FAIL: .* \[tlog\]: no entry for this certificate and signature in the transparency log \(http:\/\/127\.0\.0\.1:\d+\)/);
    const offline = await verify(f, ['--certificate', c!, '--signature', s!, '--offline']);
    assert.equal(offline.code, 2);
    assert.match(offline.err, /cannot be used with --offline/);
    // One of the two: the other defaults to FILE.sig or FILE.crt, as sigstore-python does.
    const half = await verify(f, ['--certificate', c!]);
    assert.equal(half.code, 2);
    assert.match(half.err, /missing verification materials for .*: .*\.sig$/m);
  });

  it('--no-default-files writes only what is asked for; without outputs the signature goes to stdout (sigstore-python)', async () => {
    const f = input();
    const [s, c] = [join(dir, `${n}.sig`), join(dir, `${n}.crt`)];
    const r = await sign(['--no-default-files', '--signature', s, '--certificate', c, f]);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(s) && existsSync(c));
    assert.equal(existsSync(`${f}.sigstore.json`), false);
    assert.match(r.out, new RegExp(`^Signature written to ${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(r.out, /^Certificate written to .*\.crt$/m);
    assert.doesNotMatch(r.out, /Sigstore bundle written/);
    const g = input();
    const none = await sign(['--no-default-files', g]);
    assert.equal(none.code, 0, none.err);
    assert.equal(existsSync(`${g}.sigstore.json`), false);
    assert.match(none.out, /^Transparency log entry created at index: \d+\n[A-Za-z0-9+/]+=*\n$/);
    const q = await sign(['-q', '--no-default-files', input()]);
    assert.match(q.out, /^[A-Za-z0-9+/]+=*\n$/, 'the signature is data: printed even with -q');
    assert.equal(q.err, '');
  });

  it("prints sigstore-python's lines; the certificate with -v; nothing with -q", async () => {
    const f = input();
    const r = await sign([f]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Transparency log entry created at index: \d+$/m);
    assert.ok(r.out.includes(`Sigstore bundle written to ${f}.sigstore.json\n`));
    assert.doesNotMatch(r.out, /BEGIN CERTIFICATE/);
    const v = await sign(['-v', input()]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /^Using ephemeral certificate:\n-----BEGIN CERTIFICATE-----\n/m);
    const q = await sign(['-q', input()]);
    assert.equal(q.code, 0, q.err);
    assert.equal(q.out, '');
    assert.equal(q.err, '');
  });

  it('--output-directory is created when missing, before any request', async () => {
    const f = input();
    const outDir = join(dir, `made-${n}`, 'deeper');
    const r = await sign(['--output-directory', outDir, f]);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(outDir, `${f.split('/').pop()}.sigstore.json`)));
    p.log.length = 0;
    const file = input();
    const r2 = await sign(['--output-directory', file, input()]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /Output directory exists and is not a directory: /);
    const r3 = await sign(['--output-directory', join(file, 'sub'), input()]);
    assert.equal(r3.code, 2, r3.err);
    assert.match(r3.err, /cannot create the output directory .*ENOTDIR; nothing was signed/);
    assert.deepEqual(p.log, [], 'no request was made');
  });

  it('refuses usage errors before any request (exit 2)', async () => {
    const a = input();
    const b = input();
    writeFileSync(`${b}.sigstore.json`, 'existing');
    p.log.length = 0;
    const cases: [string[], RegExp][] = [
      [['--bundle', join(dir, 'x.json'), a, b], /can only be used with a single input/],
      [[a, b], /Refusing to overwrite outputs without --overwrite: .*\.sigstore\.json/],
      [[a, a], /given more than once/],
      [[join(dir, 'missing.txt')], /does not exist/],
      [[dir], /is a directory/],
      [['--rekor-version', '3', a], /--rekor-version must be 1 or 2/],
      [['--key-type', 'rsa', a], /--key-type must be p256, p384 or ed25519/],
      [['--signature', join(dir, 'only.sig'), a], /--signature and --certificate must be used together/],
      [['--certificate', join(dir, 'only.crt'), a], /--signature and --certificate must be used together/],
      [['--no-default-files', '--bundle', join(dir, 'nd.json'), a], /--no-default-files may not be combined with --bundle/],
      [['--json', '--no-default-files', a], /--json with --no-default-files needs --signature and --certificate/],
      [['-'], /standard input .* needs its outputs named/],
      [['--bundle', a, a], /is also an input/],
      [[], /at least one FILE is required/],
    ];
    for (const [args, re] of cases) {
      const r = await sign(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, re);
    }
    assert.deepEqual(p.log, [], 'no request was made');
    assert.equal(readFileSync(`${b}.sigstore.json`, 'utf8'), 'existing');
    assert.equal(existsSync(`${a}.sigstore.json`), false);
  });

  it('overwrites with --overwrite (or SIGSTORE_OVERWRITE), atomically', async () => {
    const f = input();
    writeFileSync(`${f}.sigstore.json`, 'old');
    assert.equal((await sign(['--overwrite', f])).code, 0);
    assert.equal(parseBundle(readFileSync(`${f}.sigstore.json`)).version, '0.3');
    assert.equal((await sign([f], { SIGSTORE_OVERWRITE: 'true' })).code, 0);
    assert.deepEqual(readdirSync(dir).filter((x) => x.endsWith('.tmp')), []);
  });

  it('takes --rekor-version, --key-type and SIGSTORE_* settings', async () => {
    const f = input();
    const r = await sign(['--rekor-version', '1', '--key-type', 'p384', f]);
    assert.equal(r.code, 0, r.err);
    const b = parseBundle(readFileSync(`${f}.sigstore.json`));
    assert.equal(b.tlogEntries[0]!.version, '0.0.1');
    assert.ok(b.content.kind === 'messageSignature' && b.content.digest?.algorithm === 'sha384');
    const g = input();
    const token = await t.inst.token();
    const e = await cli(['--trust-config', trustConfig, 'sign', g], {
      SIGSTORE_IDENTITY_TOKEN: token,
      SIGSTORE_REKOR_VERSION: '2',
      SIGSTORE_KEY_TYPE: 'p256',
      SIGSTORE_BUNDLE: join(dir, `${n}-env.json`),
    });
    assert.equal(e.code, 0, e.err);
    assert.equal(parseBundle(readFileSync(join(dir, `${n}-env.json`))).tlogEntries[0]!.version, '0.0.2');
    const ed = await sign(['--key-type', 'ed25519', input()]);
    assert.equal(ed.code, 2);
    assert.match(ed.err, /Ed25519 keys cannot sign artifacts/);
  });

  it('reads standard input with -', { skip: !built && 'dist/ is not built' }, async () => {
    const data = Buffer.from(`from stdin ${Math.random()}\n`);
    const out = join(dir, `${++n}-stdin.json`);
    const r = await spawnBin('sigstore', ['--trust-config', trustConfig, 'sign', '--identity-token', await t.inst.token(), '--bundle', out, '-'], data);
    assert.equal(r.code, 0, r.err);
    const f = input(`${n}-stdin.txt`, data.toString());
    assert.equal((await verify(f, ['--bundle', out])).code, 0);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    assert.equal((await verify(digest, ['--bundle', out])).code, 0);
  });

  it('signs against a TUF-pinned instance with --instance', async () => {
    const { trustInstance } = await import('../../src/trust/load.js');
    const cache = join(dir, 'tuf-cache');
    await trustInstance(JSON.stringify(t.inst.tufRoot), t.inst.tufUrl, { cacheDir: cache });
    const f = input();
    const r = await cli(['--instance', t.inst.tufUrl, '--trust-cache', cache, 'sign', '--identity-token', await t.inst.token(), f]);
    assert.equal(r.code, 0, r.err);
    const v = await cli(['--instance', t.inst.tufUrl, '--trust-cache', cache, 'verify', 'identity', '--cert-identity', t.inst.identity, '--cert-oidc-issuer', t.inst.issuer, f]);
    assert.equal(v.code, 0, v.err);
  });
});

describe('sigstore attest', () => {
  const predicate = {
    buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: { ref: 'main' } },
    runDetails: { builder: { id: 'https://example.com/builder' } },
  };

  it('attests files with a validated SLSA predicate; verify accepts the DSSE bundles', async () => {
    const pred = join(dir, `${++n}-pred.json`);
    writeFileSync(pred, JSON.stringify(predicate));
    const files = [input(), input()];
    const r = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', await t.inst.token(), '--predicate', pred, '--predicate-type', 'https://slsa.dev/provenance/v1', ...files]);
    assert.equal(r.code, 0, r.err);
    for (const f of files) {
      const b = parseBundle(readFileSync(`${f}.sigstore.json`));
      assert.equal(b.content.kind, 'dsseEnvelope');
      const st = JSON.parse((b.content as { envelope: { payload: Buffer } }).envelope.payload.toString());
      assert.deepEqual(st.subject, [{ name: f.split('/').pop(), digest: { sha256: createHash('sha256').update(readFileSync(f)).digest('hex') } }]);
      assert.equal((await verify(f)).code, 0);
    }
  });

  it('refuses an invalid predicate before any request, naming the field', async () => {
    const pred = join(dir, `${++n}-bad.json`);
    writeFileSync(pred, JSON.stringify({ ...predicate, runDetails: { builder: {} } }));
    p.log.length = 0;
    const f = input();
    const r = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', await t.inst.token(), '--predicate', pred, '--predicate-type', 'https://slsa.dev/provenance/v1', f]);
    assert.equal(r.code, 2);
    assert.match(r.err, /runDetails\.builder\.id is required/);
    assert.deepEqual(p.log, []);
    assert.equal(existsSync(`${f}.sigstore.json`), false);
    const missing = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', 'x', f]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--predicate and --predicate-type/);
  });

  it('signs a complete statement as given with --statement', async () => {
    const f = input();
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'x', digest: { sha256: createHash('sha256').update(readFileSync(f)).digest('hex') } }],
      predicateType: 'https://example.com/custom/v1',
      predicate: { any: 'thing' },
    };
    const sf = join(dir, `${++n}-statement.json`);
    const text = `${JSON.stringify(statement, null, 2)}\n`;
    writeFileSync(sf, text);
    const r = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', await t.inst.token(), '--statement', sf]);
    assert.equal(r.code, 0, r.err);
    const b = parseBundle(readFileSync(`${sf}.sigstore.json`));
    assert.equal((b.content as { envelope: { payload: Buffer } }).envelope.payload.toString(), text);
    assert.equal((await verify(f, ['--bundle', `${sf}.sigstore.json`])).code, 0);
    // With the subject file: its default output; another file is refused.
    const r2 = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', await t.inst.token(), '--statement', sf, f]);
    assert.equal(r2.code, 0, r2.err);
    assert.ok(existsSync(`${f}.sigstore.json`));
    const r3 = await cli(['--trust-config', trustConfig, 'attest', '--identity-token', await t.inst.token(), '--statement', sf, input()]);
    assert.equal(r3.code, 2);
    assert.match(r3.err, /is not a subject of the statement/);
  });
});

describe('conformance entrypoint: sign-bundle', { skip: !built && 'dist/ is not built' }, () => {
  it('signs with --trusted-root and --signing-config, and with --in-toto; verify-bundle accepts', async () => {
    const tr = join(dir, 'conf-trusted_root.json');
    const sc = join(dir, 'conf-signing_config.json');
    const cfg = JSON.parse(readFileSync(withSigningConfig(t, onlyRekor(1), 'conf.json').path, 'utf8'));
    writeFileSync(tr, JSON.stringify(cfg.trustedRoot));
    writeFileSync(sc, JSON.stringify(cfg.signingConfig));
    const f = input();
    const out = join(dir, 'conf.sigstore.json');
    const r = await spawnBin('sigstore-conformance', ['sign-bundle', '--identity-token', await t.inst.token(), '--bundle', out, '--trusted-root', tr, '--signing-config', sc, f]);
    assert.equal(r.code, 0, r.err);
    const v = await spawnBin('sigstore-conformance', ['verify-bundle', '--bundle', out, '--certificate-identity', t.inst.identity, '--certificate-oidc-issuer', t.inst.issuer, '--trusted-root', tr, f]);
    assert.equal(v.code, 0, v.err);

    const st = join(dir, 'conf-statement.json');
    writeFileSync(
      st,
      JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'f', digest: { sha256: createHash('sha256').update(readFileSync(f)).digest('hex') } }], predicateType: 'https://example.com/p', predicate: {} }),
    );
    const out2 = join(dir, 'conf-intoto.sigstore.json');
    const r2 = await spawnBin('sigstore-conformance', ['sign-bundle', '--in-toto', '--identity-token', await t.inst.token(), '--bundle', out2, '--trusted-root', tr, '--signing-config', sc, st]);
    assert.equal(r2.code, 0, r2.err);
    assert.equal(parseBundle(readFileSync(out2)).content.kind, 'dsseEnvelope');
    const v2 = await spawnBin('sigstore-conformance', ['verify-bundle', '--bundle', out2, '--certificate-identity', t.inst.identity, '--certificate-oidc-issuer', t.inst.issuer, '--trusted-root', tr, f]);
    assert.equal(v2.code, 0, v2.err);
  });
});
