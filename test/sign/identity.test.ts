/**
 * The signer checks what Fulcio answers, exactly: a certificate must name exactly the token's
 * identity (not one that merely ends or starts with it, or another claim) and issuer, and carry
 * the signer's own key. A loopback proxy swaps the identity token Fulcio sees for one of another
 * identity, so the instance issues a real, trusted certificate for that identity: the signer
 * must refuse it before any log entry, and the CLI must write nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { SigstoreError } from '../../src/errors.js';
import { redirectOutput } from '../../src/lib/stdio.js';
import { expectedIdentities, identityFromToken } from '../../src/sign/fulcio.js';
import { Signer } from '../../src/sign/signer.js';
import { startTestInstance, type TestInstance, viaProxy } from './helpers.js';
import { type FaultProxy, startFaultProxy } from './proxy.js';

const EVIL = ['https://evil.example/sigstore', 'https://evil.example/signer@example.com', 'signer@example.com!evil', 'evil-signer@example.com'];

let t: TestInstance;
let p: FaultProxy;

before(async () => {
  t = await startTestInstance();
  p = await startFaultProxy(t.inst.url);
});
after(async () => {
  await p?.close();
  await t?.stop();
});

/** Fulcio sees a token for `identity` instead of the signer's. */
function swapTokenFor(identity: string): void {
  p.rules = [
    {
      path: /^\/api\/v2\/signingCert$/,
      fault: {
        kind: 'rewrite-request',
        fn: async (body) => {
          const req = JSON.parse(body.toString()) as { credentials: { oidcIdentityToken: string } };
          req.credentials.oidcIdentityToken = await t.inst.token({ identity });
          return JSON.stringify(req);
        },
      },
    },
  ];
}

describe('the Fulcio certificate names exactly the token identity', () => {
  for (const evil of EVIL) {
    it(`refuses a certificate for ${evil} (the token is for ${'signer@example.com'}); no log entry`, async () => {
      swapTokenFor(evil);
      p.log.length = 0;
      const s = new Signer({ trustConfig: viaProxy(t, p.url).config, tokenProvider: () => t.inst.token() });
      await assert.rejects(
        s.sign(Buffer.from('data')),
        (e: SigstoreError) => e.code === 'FULCIO_WRONG_IDENTITY' && e.message.includes(`the certificate is for ${evil}, which is not the identity in the token`),
      );
      assert.deepEqual(p.log, ['POST /api/v2/signingCert'], 'only the certificate was requested');
    });
  }

  it('the CLI writes nothing for such a certificate', async () => {
    const dir = join(t.dir, 'identity');
    mkdirSync(dir);
    const f = join(dir, 'a.txt');
    writeFileSync(f, 'a');
    swapTokenFor(EVIL[0]!);
    let err = '';
    const restore = redirectOutput((fd, text) => {
      if (fd === 2) err += text;
    });
    let code: number;
    try {
      code = await main(['--trust-config', viaProxy(t, p.url, () => {}, 'id-cli.json').path, 'sign', '--identity-token', await t.inst.token(), f]);
    } finally {
      restore();
    }
    assert.equal(code, 1, err);
    assert.match(err, /issued an unusable certificate: the certificate is for https:\/\/evil\.example\/sigstore/);
    assert.equal(existsSync(`${f}.sigstore.json`), false);
  });

  it('accepts the certificate when Fulcio sees the signer token', async () => {
    p.rules = [];
    const s = new Signer({ trustConfig: viaProxy(t, p.url).config, tokenProvider: () => t.inst.token() });
    assert.ok(await s.sign(Buffer.from('data')));
  });
});

describe('expected identities', () => {
  const token = (claims: Record<string, unknown>, issuer = 'https://issuer.example') => ({ rawToken: '', issuer, claims: { iss: issuer, aud: 'sigstore', ...claims } });
  it('are exactly what Fulcio certifies, never a suffix, prefix or the audience', () => {
    const email = token({ sub: '123', email: 'signer@example.com' });
    assert.deepEqual(expectedIdentities(email), ['signer@example.com']);
    assert.match(identityFromToken('123', 'https://issuer.example', email)!, /not the identity in the token/);
    for (const evil of EVIL) assert.match(identityFromToken(evil, 'https://issuer.example', email)!, /not the identity in the token/);
    assert.match(identityFromToken('https://evil.example/123', 'https://issuer.example', email)!, /not the identity/);
    assert.match(identityFromToken('signer@example.com', undefined, email)!, /names no OIDC issuer/);
    const gh = token({ sub: 'repo:o/r:ref:refs/heads/main', job_workflow_ref: 'o/r/.github/workflows/x.yml@refs/heads/main' });
    assert.ok(expectedIdentities(gh).includes('https://github.com/o/r/.github/workflows/x.yml@refs/heads/main'));
    assert.match(identityFromToken('https://evil.example/o/r/.github/workflows/x.yml@refs/heads/main', 'https://issuer.example', gh)!, /not the identity/);
    const gl = token({ sub: 'project_path:g/p:ref_type:branch:ref:main', ci_config_ref_uri: 'gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main' });
    assert.equal(identityFromToken('https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main', 'https://issuer.example', gl), undefined);
  });
});
