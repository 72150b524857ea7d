/**
 * The instance's OIDC provider: discovery and JWKS, the interactive authorization-code + PKCE
 * login through its HTML form (driven over HTTP as a browser would, and through the project's own
 * OAuth client), the out-of-band variant, and the ID tokens' claims and signatures.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
import { interactiveIdentityToken } from '../../src/oidc/index.js';
import { http, tempDir } from './helpers.js';

interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
}

/** Reads the login page's form: its action, method and inputs (as a browser would submit them). */
function readForm(html: string): Form {
  const form = /<form\s+method="([^"]+)"\s+action="([^"]+)"/.exec(html);
  assert.ok(form, 'the login page has a form');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) fields[name] = value.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
  }
  return { method: form[1]!, action: form[2]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))), fields };
}

/** A browser that logs in as `identity`: loads the page, submits the form, follows the redirect. */
async function browse(url: string, identity?: string): Promise<{ location: string }> {
  const page = await http('GET', url);
  assert.equal(page.status, 200, page.text());
  assert.match(String(page.headers['content-type']), /text\/html/);
  const form = readForm(page.text());
  assert.equal(form.method, 'post');
  if (identity) form.fields.identity = identity;
  const res = await http('POST', form.action, new URLSearchParams(form.fields).toString(), { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(res.status, 302, res.text());
  return { location: String(res.headers.location) };
}

describe('OIDC provider', () => {
  const tmp = tempDir();
  let inst: SigstoreInstance;
  before(async () => {
    inst = await startInstance({ dataDir: tmp.dir, port: 0, identity: 'dave@example.com' });
  });
  after(async () => {
    await inst?.stop();
    tmp.cleanup();
  });

  it('publishes a discovery document and a JWKS that verifies its tokens', async () => {
    const disc = (await http('GET', `${inst.issuer}/.well-known/openid-configuration`)).json<Record<string, unknown>>();
    assert.equal(disc.issuer, inst.issuer);
    assert.deepEqual(disc.code_challenge_methods_supported, ['S256']);
    const token = await inst.token();
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(disc.jwks_uri as string)), { issuer: inst.issuer, audience: 'sigstore' });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.email, 'dave@example.com');
    assert.equal(payload.email_verified, true);
    assert.ok(payload.exp! - payload.iat! <= 600, 'short-lived');
  });

  it('runs the authorization-code + PKCE flow through its HTML login form', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const state = randomBytes(8).toString('hex');
    const nonce = randomBytes(8).toString('hex');
    const redirect = 'http://127.0.0.1:9/auth/callback';
    const auth = new URL(`${inst.issuer}/auth`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: 'sigstore',
      redirect_uri: redirect,
      scope: 'openid email',
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }))
      auth.searchParams.set(k, v);
    const { location } = await browse(auth.href, 'erin@example.com');
    const back = new URL(location);
    assert.equal(`${back.origin}${back.pathname}`, redirect);
    assert.equal(back.searchParams.get('state'), state);
    const code = back.searchParams.get('code')!;

    const exchange = (v: string, c = code) =>
      http(
        'POST',
        `${inst.issuer}/token`,
        new URLSearchParams({ grant_type: 'authorization_code', client_id: 'sigstore', code: c, redirect_uri: redirect, code_verifier: v }).toString(),
        { 'Content-Type': 'application/x-www-form-urlencoded' },
      );
    const wrong = await exchange(randomBytes(32).toString('base64url'));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json<{ error: string }>().error, 'invalid_grant', 'a wrong code_verifier burns the code');
    // Start again: the code is single-use.
    const again = await browse(auth.href, 'erin@example.com');
    const code2 = new URL(again.location).searchParams.get('code')!;
    const ok = await exchange(verifier, code2);
    assert.equal(ok.status, 200, ok.text());
    const body = ok.json<{ id_token: string; token_type: string }>();
    const { payload } = await jwtVerify(body.id_token, createRemoteJWKSet(new URL(`${inst.issuer}/keys`)), { issuer: inst.issuer, audience: 'sigstore' });
    assert.equal(payload.email, 'erin@example.com');
    assert.equal(payload.nonce, nonce);
    const reuse = await exchange(verifier, code2);
    assert.equal(reuse.status, 400, 'a code works once');
  });

  it("works with the project's own interactive OAuth client (loopback redirect and paste-the-code)", async () => {
    const loopback = await interactiveIdentityToken({
      issuer: inst.issuer,
      identityClaims: { [inst.issuer]: 'email' },
      output: new PassThrough(),
      openBrowser: async (url) => {
        const { location } = await browse(url, 'frank@example.com');
        const cb = await fetch(location);
        await cb.arrayBuffer();
        return true;
      },
    });
    assert.equal(loopback.identity, 'frank@example.com');

    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/oauth2\/auth\?\S+)/.exec(text);
      if (m && text.includes('Enter verification code')) {
        text = '';
        void (async () => {
          const page = await http('GET', m[1]!);
          const form = readForm(page.text());
          const res = await http('POST', form.action, new URLSearchParams(form.fields).toString(), { 'Content-Type': 'application/x-www-form-urlencoded' });
          assert.equal(res.status, 200, 'the out-of-band flow shows the code');
          input.write(`${/<pre id="code">([^<]+)<\/pre>/.exec(res.text())![1]}\n`);
        })();
      }
    });
    const oob = await interactiveIdentityToken({ issuer: inst.issuer, identityClaims: { [inst.issuer]: 'email' }, forceOob: true, input, output });
    assert.equal(oob.identity, 'dave@example.com', 'the configured identity by default');
  });

  it('issues GitHub-style claims for a workflow identity', async () => {
    const token = await inst.token({ identity: 'https://github.com/o/r/.github/workflows/ci.yml@refs/tags/v1.0.0' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${inst.issuer}/keys`)), { issuer: inst.issuer, audience: 'sigstore' });
    assert.equal(payload.sub, 'repo:o/r:ref:refs/tags/v1.0.0');
    assert.equal(payload.job_workflow_ref, 'o/r/.github/workflows/ci.yml@refs/tags/v1.0.0');
    assert.equal(payload.repository, 'o/r');
    assert.equal(payload.ref_type, 'tag');
    assert.equal(payload.email, undefined);
  });
});
