/**
 * IdentityToken: each check refuses a tampered token at that check, with the reason, and never
 * puts the token in a message.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { IdentityError } from '../../src/oidc/errors.js';
import { IdentityToken } from '../../src/oidc/token.js';
import { emailClaims, githubClaims, makeJwt, now, rejection } from './helpers.js';

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function refused(raw: string, code: string, pattern: RegExp, options = {}) {
  const e = await rejection(() => new IdentityToken(raw, options));
  assert.ok(e instanceof IdentityError, `expected IdentityError, got ${e}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, pattern);
  if (raw.length > 20) {
    assert.ok(!e.message.includes(raw), 'the message contains the token');
    for (const part of raw.split('.')) if (part.length > 8) assert.ok(!e.message.includes(part), 'the message contains part of the token');
  }
  assert.ok(!e.message.includes('\n'), 'one-line message');
  return e;
}

describe('IdentityToken: valid tokens', () => {
  it('takes the verified email as the identity for an email issuer', () => {
    const raw = makeJwt(emailClaims());
    const t = new IdentityToken(raw);
    assert.equal(t.identity, 'alice@example.com');
    assert.equal(t.identityClaim, 'email');
    assert.equal(t.issuer, 'https://oauth2.sigstore.dev/auth');
    assert.equal(t.federatedIssuer, 'https://github.com/login/oauth');
    assert.deepEqual(t.audience, ['sigstore']);
    assert.equal(t.rawToken, raw);
    assert.ok(t.inValidityPeriod());
    assert.ok(Object.isFrozen(t.claims));
  });

  it('takes `sub` for GitHub Actions and unknown issuers', () => {
    const gh = new IdentityToken(makeJwt(githubClaims()));
    assert.equal(gh.identity, 'repo:octo/repo:ref:refs/heads/main');
    assert.equal(gh.identityClaim, 'sub');
    assert.equal(gh.federatedIssuer, 'https://token.actions.githubusercontent.com');
    const other = new IdentityToken(makeJwt(emailClaims({ iss: 'https://gitlab.com', sub: 'project_path:g/p:ref_type:branch:ref:main' })));
    assert.equal(other.identity, 'project_path:g/p:ref_type:branch:ref:main');
  });

  it('accepts `email_verified: "true"` (string), audience lists, fractional times and surrounding whitespace', () => {
    const raw = makeJwt(emailClaims({ email_verified: 'true', aud: ['other', 'sigstore'], iat: now() - 1.5 }));
    const t = new IdentityToken(`  ${raw}\n`);
    assert.equal(t.rawToken, raw);
    assert.deepEqual(t.audience, ['other', 'sigstore']);
  });

  it('checks another audience when asked, and more email issuers when given', () => {
    const raw = makeJwt(emailClaims({ iss: 'http://127.0.0.1:5556', aud: 'my-client' }));
    const t = new IdentityToken(raw, { audience: 'my-client', identityClaims: { 'http://127.0.0.1:5556': 'email' } });
    assert.equal(t.identity, 'alice@example.com');
    assert.equal(new IdentityToken(raw, { audience: 'my-client' }).identity, 'CgVhbGljZRIGZ2l0aHVi');
  });

  it('never shows the token in toString, JSON or inspect', () => {
    const raw = makeJwt(emailClaims());
    const t = new IdentityToken(raw);
    for (const shown of [String(t), `${t}`, JSON.stringify(t), inspect(t), inspect({ t }, { depth: 5 })]) {
      assert.ok(!shown.includes(raw.split('.')[2]!), shown);
      assert.ok(!shown.includes(raw.split('.')[1]!), shown);
    }
    assert.match(String(t), /alice@example\.com/);
  });
});

describe('IdentityToken: malformed tokens are refused', () => {
  const good = makeJwt(emailClaims());
  const [h, p, s] = good.split('.') as [string, string, string];

  it('not a JWT', async () => {
    await refused('', 'IDENTITY_TOKEN_MALFORMED', /is empty/);
    await refused('not-a-jwt', 'IDENTITY_TOKEN_MALFORMED', /not a JWT \(expected 3 dot-separated parts, found 1\)/);
    await refused(`${h}.${p}`, 'IDENTITY_TOKEN_MALFORMED', /found 2/);
    await refused(`${h}.${p}.${s}.x`, 'IDENTITY_TOKEN_MALFORMED', /found 4/);
    await refused(`${h}.a.b.c.d`, 'IDENTITY_TOKEN_MALFORMED', /encrypted \(a JWE\)/);
    await refused('x'.repeat(70000), 'IDENTITY_TOKEN_MALFORMED', /too long/);
  });

  it('bad base64url', async () => {
    await refused(`${h}.${p}+.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not base64url/);
    await refused(`${h}.${p}=.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not base64url/);
    await refused(`${h}.${p} .${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not base64url/);
    await refused(`${h}.${p}.${s}/`, 'IDENTITY_TOKEN_MALFORMED', /signature is not base64url/);
    await refused(`${h}.${p}.`, 'IDENTITY_TOKEN_MALFORMED', /has no signature/);
    await refused(`.${p}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /empty header/);
    // Non-canonical: the last character carries bits that decoding would silently drop.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let hdr = '';
    for (let k = 0; k < 3 && hdr.length % 4 !== 2; k++) hdr = b64u({ alg: 'ES256', pad: 'a'.repeat(k) });
    assert.equal(hdr.length % 4, 2);
    const last = ALPHABET.indexOf(hdr.at(-1)!);
    assert.equal(last % 16, 0);
    await refused(`${hdr.slice(0, -1)}${ALPHABET[last + 1]}.${p}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /header is not canonical base64url/);
    await refused(`${h}.${p}x.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not (base64url|canonical|JSON)/);
  });

  it('bad JSON', async () => {
    await refused(`${h}.${b64u('{"iss":')}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not JSON/);
    await refused(`${h}.${b64u('[1,2]')}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not a JSON object/);
    await refused(`${h}.${b64u('null')}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not a JSON object/);
    await refused(`${h}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /payload is not UTF-8/);
    await refused(`${b64u('"x"')}.${p}.${s}`, 'IDENTITY_TOKEN_MALFORMED', /header is not a JSON object/);
  });

  it('unsigned or without an algorithm', async () => {
    await refused(makeJwt(emailClaims(), { alg: 'none' }), 'IDENTITY_TOKEN_MALFORMED', /unsigned \(alg "none"\)/);
    await refused(makeJwt(emailClaims(), { alg: 'NONE' }), 'IDENTITY_TOKEN_MALFORMED', /unsigned/);
    await refused(makeJwt(emailClaims(), { alg: undefined }), 'IDENTITY_TOKEN_MALFORMED', /no "alg"/);
  });

  it('missing or mistyped required claims', async () => {
    for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat']) {
      await refused(makeJwt(emailClaims({ [claim]: undefined })), 'IDENTITY_TOKEN_CLAIM_MISSING', new RegExp(`"${claim}"`));
    }
    await refused(makeJwt(emailClaims({ aud: [] })), 'IDENTITY_TOKEN_CLAIM_MISSING', /"aud"/);
    await refused(makeJwt(emailClaims({ aud: ['sigstore', 7] })), 'IDENTITY_TOKEN_CLAIM_MISSING', /"aud"/);
    await refused(makeJwt(emailClaims({ sub: 42 })), 'IDENTITY_TOKEN_CLAIM_MISSING', /"sub"/);
    await refused(makeJwt(emailClaims({ exp: '2099-01-01' })), 'IDENTITY_TOKEN_MALFORMED', /"exp" claim that is not a valid time/);
    await refused(makeJwt(emailClaims({ nbf: Number.MAX_VALUE })), 'IDENTITY_TOKEN_MALFORMED', /"nbf" claim that is not a valid time/);
    await refused(makeJwt(emailClaims({ federated_claims: 'dex' })), 'IDENTITY_TOKEN_MALFORMED', /federated_claims/);
    await refused(makeJwt(emailClaims({ federated_claims: { connector_id: 1 } })), 'IDENTITY_TOKEN_MALFORMED', /connector_id/);
  });
});

describe('IdentityToken: audience, time and identity checks', () => {
  it('refuses a token for another audience, naming both', async () => {
    await refused(makeJwt(emailClaims({ aud: 'fulcio' })), 'IDENTITY_TOKEN_AUDIENCE', /is for audience "fulcio", not "sigstore"/);
    await refused(makeJwt(emailClaims()), 'IDENTITY_TOKEN_AUDIENCE', /not "other"/, { audience: 'other' });
  });

  it('refuses an expired token, with the time it expired', async () => {
    const exp = now() - 3600;
    const e = await refused(makeJwt(emailClaims({ iat: exp - 600, nbf: exp - 600, exp })), 'IDENTITY_TOKEN_EXPIRED', /expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(60 min ago\)/);
    assert.match(e.message, new RegExp(new Date(exp * 1000).toISOString().slice(0, 19)));
    // Exactly at exp: expired (no leeway), as sigstore-python's validity check.
    const t = now();
    await refused(makeJwt(emailClaims({ iat: t - 100, nbf: t - 100, exp: t })), 'IDENTITY_TOKEN_EXPIRED', /expired/);
  });

  it('checks against the given time', async () => {
    const raw = makeJwt(emailClaims());
    await refused(raw, 'IDENTITY_TOKEN_EXPIRED', /expired/, { now: new Date(Date.now() + 3600_000) });
    await refused(raw, 'IDENTITY_TOKEN_NOT_YET_VALID', /not valid before/, { now: new Date(Date.now() - 3600_000) });
  });

  it('refuses tokens not yet valid or issued in the future, beyond 5 s of skew', async () => {
    const t = now();
    await refused(makeJwt(emailClaims({ nbf: t + 60 })), 'IDENTITY_TOKEN_NOT_YET_VALID', /not valid before .*check the clock/);
    await refused(makeJwt(emailClaims({ iat: t + 60, nbf: undefined })), 'IDENTITY_TOKEN_NOT_YET_VALID', /issued in the future/);
    assert.ok(new IdentityToken(makeJwt(emailClaims({ iat: t + 2, nbf: t + 2 }))));
  });

  it('refuses inconsistent times', async () => {
    const t = now();
    await refused(makeJwt(emailClaims({ iat: t + 100, exp: t + 50, nbf: undefined })), 'IDENTITY_TOKEN_MALFORMED', /expires .* before it was issued/);
    await refused(makeJwt(emailClaims({ iat: t - 10, nbf: t + 400, exp: t + 300 })), 'IDENTITY_TOKEN_MALFORMED', /before it becomes valid/);
  });

  it('refuses an email issuer token without an email, or with an unverified one', async () => {
    await refused(makeJwt(emailClaims({ email: undefined })), 'IDENTITY_TOKEN_CLAIM_MISSING', /no "email" claim, which issuer https:\/\/oauth2\.sigstore\.dev\/auth must provide/);
    await refused(makeJwt(emailClaims({ email: '' })), 'IDENTITY_TOKEN_CLAIM_MISSING', /no "email" claim/);
    await refused(makeJwt(emailClaims({ email_verified: false })), 'IDENTITY_EMAIL_UNVERIFIED', /not verified \(email_verified is false\)/);
    await refused(makeJwt(emailClaims({ email_verified: 'false' })), 'IDENTITY_EMAIL_UNVERIFIED', /not verified/);
    await refused(makeJwt(emailClaims({ email_verified: undefined })), 'IDENTITY_EMAIL_UNVERIFIED', /no "email_verified" claim/);
    await refused(makeJwt(emailClaims({ iss: 'https://accounts.google.com', email_verified: 1 })), 'IDENTITY_EMAIL_UNVERIFIED', /not verified/);
  });

  it('names the source of the token in messages', async () => {
    await refused(makeJwt(emailClaims({ aud: 'x' })), 'IDENTITY_TOKEN_AUDIENCE', /^the identity token from GitHub Actions is for audience/, { source: 'from GitHub Actions' });
  });
});
