/**
 * The interactive login end to end against a loopback stand-in OpenID provider (discovery,
 * authorization with a login page, token endpoint checking PKCE), with a "browser" of plain HTTP
 * requests following redirects: the loopback redirect flow, the paste-the-code (OOB) flow, and
 * each failure (denied, state mismatch, nonce mismatch, PKCE refused, timeout, ...).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { getIdentityToken, IdentityError, type InteractiveOptions, interactiveIdentityToken } from '../../src/oidc/index.js';
import { rejection } from './helpers.js';
import { httpBrowser, type StandIn, startStandIn } from './stand-in-oauth.js';

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { out, text: () => text };
}

/** Options for a login with a "browser" that visits the URL in the background. */
function withBrowser(
  issuer: string,
  visit: (url: string) => Promise<unknown>,
  extra: Partial<InteractiveOptions> = {},
): { options: InteractiveOptions; visits: Promise<unknown>[]; output: () => string } {
  const visits: Promise<unknown>[] = [];
  const { out, text } = capture();
  const options: InteractiveOptions = {
    issuer,
    output: out,
    identityClaims: { [issuer]: 'email' },
    timeoutMs: 10_000,
    openBrowser: (url) => {
      const v = visit(url);
      v.catch(() => {});
      visits.push(v);
      return true;
    },
    ...extra,
  };
  return { options, visits, output: text };
}

describe('interactive login: loopback redirect', () => {
  let idp: StandIn;
  before(async () => {
    idp = await startStandIn({ loginPage: true });
  });
  after(() => idp.close());

  it('logs in through the login page and returns the checked ID token', async () => {
    let visited: Awaited<ReturnType<typeof httpBrowser>> | undefined;
    const { options, visits, output } = withBrowser(idp.issuer, async (url) => {
      visited = await httpBrowser(url, { email: 'carol@example.com' });
    });
    const token = await interactiveIdentityToken(options);
    await Promise.all(visits);
    assert.equal(token.identity, 'carol@example.com');
    assert.equal(token.issuer, idp.issuer);
    assert.deepEqual(token.audience, ['sigstore']);
    assert.equal(visited?.status, 200);
    assert.match(visited!.text, /Sigstore authentication successful/);
    // What went over the wire: PKCE S256, state, nonce, a loopback redirect on 127.0.0.1.
    const q = idp.authorizeRequests.at(-1)!;
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(q.get('state') && q.get('nonce'));
    assert.equal(q.get('scope'), 'openid email');
    assert.match(q.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/);
    assert.deepEqual(idp.tokenRequests.at(-1), { redirectUri: q.get('redirect_uri'), pkce: 'ok', clientAuth: 'none' });
    // The URL is printed to stderr too; the token never is.
    assert.match(output(), /Waiting for browser interaction/);
    assert.ok(output().includes(`${idp.issuer}/auth?`));
    assert.ok(!output().includes(token.rawToken.split('.')[1]!));
  });

  it('accepts the issuer with a trailing slash, and serves / as a redirect to the login', async () => {
    let root: Response | undefined;
    const { options } = withBrowser(`${idp.issuer}/`, async (url) => {
      const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
      root = await fetch(new URL('/', redirect), { redirect: 'manual' });
      await httpBrowser(url);
    });
    const token = await interactiveIdentityToken({ ...options, identityClaims: { [idp.issuer]: 'email' } });
    assert.equal(token.identity, 'bob@example.com');
    assert.equal(root?.status, 302);
    assert.match(root!.headers.get('location')!, new RegExp(`^${idp.issuer}/auth\\?client_id=sigstore&`));
  });

  it('uses a fresh state, nonce and verifier each time', async () => {
    const before = idp.authorizeRequests.length;
    for (let i = 0; i < 2; i++) {
      const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url));
      await interactiveIdentityToken(options);
    }
    const [a, b] = idp.authorizeRequests.slice(before);
    assert.notEqual(a!.get('state'), b!.get('state'));
    assert.notEqual(a!.get('nonce'), b!.get('nonce'));
    assert.notEqual(a!.get('code_challenge'), b!.get('code_challenge'));
  });

  it('refuses a callback whose state does not match (and the browser sees the failure)', async () => {
    let visited: Awaited<ReturnType<typeof httpBrowser>> | undefined;
    const { options } = withBrowser(idp.issuer, async (url) => {
      visited = await httpBrowser(url, {
        tamper: (loc) => {
          if (loc.pathname === '/auth/callback') loc.searchParams.set('state', 'forged-state');
          return loc;
        },
      });
    });
    const tokens = idp.tokenRequests.length;
    const err = await rejection(() => interactiveIdentityToken(options));
    assert.ok(err instanceof IdentityError);
    assert.equal(err.code, 'OAUTH_STATE_MISMATCH');
    assert.match(err.message, /state mismatch/);
    assert.equal(idp.tokenRequests.length, tokens, 'no code exchange after a state mismatch');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(visited?.status, 400);
    assert.match(visited!.text, /authentication failed/);
  });

  it('refuses a callback without state', async () => {
    const { options } = withBrowser(idp.issuer, (url) =>
      httpBrowser(url, {
        tamper: (loc) => {
          loc.searchParams.delete('state');
          return loc;
        },
      }),
    );
    const err = await rejection(() => interactiveIdentityToken(options));
    assert.equal(err.code, 'OAUTH_STATE_MISMATCH');
    assert.match(err.message, /no state/);
  });

  it('reports a cancelled login (error=access_denied)', async () => {
    const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url, { action: 'deny' }));
    const err = await rejection(() => interactiveIdentityToken(options));
    assert.equal(err.code, 'OAUTH_ACCESS_DENIED');
    assert.equal(err.message, 'the login was refused or cancelled (access_denied: The user cancelled the login)');
  });

  it('times out when nobody logs in, and frees the port', async () => {
    let url = '';
    const { options } = withBrowser(
      idp.issuer,
      async (u) => {
        url = u;
      },
      { timeoutMs: 300 },
    );
    const err = await rejection(() => interactiveIdentityToken(options));
    assert.equal(err.code, 'OAUTH_TIMEOUT');
    assert.match(err.message, /gave up waiting for the browser login after 300 ms/);
    const redirect = new URL(url).searchParams.get('redirect_uri')!;
    await assert.rejects(fetch(redirect), /fetch failed/);
  });

  it('can be cancelled with an AbortSignal', async () => {
    const ac = new AbortController();
    let url = '';
    const { options } = withBrowser(
      idp.issuer,
      async (u) => {
        url = u;
        ac.abort();
      },
      { signal: ac.signal },
    );
    const err = await rejection(() => interactiveIdentityToken(options));
    assert.equal(err.code, 'OAUTH_CANCELLED');
    await assert.rejects(fetch(new URL(url).searchParams.get('redirect_uri')!), /fetch failed/, 'the listener is closed');
  });
});

describe('interactive login: tampered responses', () => {
  it('refuses an ID token with another nonce', async () => {
    const idp = await startStandIn({ idTokenClaims: (c) => ({ ...c, nonce: 'replayed' }) });
    try {
      const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url));
      const err = await rejection(() => interactiveIdentityToken(options));
      assert.ok(err instanceof IdentityError);
      assert.match(err.message, /the token request failed: unexpected ID Token "nonce" claim value/);
    } finally {
      await idp.close();
    }
  });

  it('refuses an ID token from another issuer or for another client', async () => {
    for (const [claims, pattern] of [
      [{ iss: 'https://evil.example' }, /unexpected JWT "iss"/],
      [{ aud: 'someone-else' }, /unexpected JWT "aud"/],
    ] as const) {
      const idp = await startStandIn({ idTokenClaims: (c) => ({ ...c, ...claims }) });
      try {
        const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url));
        const err = await rejection(() => interactiveIdentityToken(options));
        assert.match(err.message, pattern);
      } finally {
        await idp.close();
      }
    }
  });

  it('refuses an ID token with an unverified email, with the reason', async () => {
    const idp = await startStandIn({ idTokenClaims: (c) => ({ ...c, email_verified: false }) });
    try {
      const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url));
      const err = await rejection(() => interactiveIdentityToken(options));
      assert.equal(err.code, 'IDENTITY_EMAIL_UNVERIFIED');
    } finally {
      await idp.close();
    }
  });

  it('reports token endpoint errors (invalid_grant) in one line', async () => {
    const idp = await startStandIn({ tokenError: 'invalid_grant' });
    try {
      const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url));
      const err = await rejection(() => interactiveIdentityToken(options));
      assert.equal(err.code, 'OAUTH_TOKEN_ERROR');
      assert.equal(err.message, 'the token request failed: invalid_grant (refused: invalid_grant) (HTTP 400)');
      assert.equal(idp.tokenRequests.at(-1)?.pkce, 'ok');
    } finally {
      await idp.close();
    }
  });

  it('sends a client secret with HTTP Basic when given', async () => {
    const idp = await startStandIn({ clientId: 'custom', clientSecret: 's3cret' });
    try {
      const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url), { clientId: 'custom', clientSecret: 's3cret', audience: 'custom' });
      const token = await interactiveIdentityToken(options);
      assert.deepEqual(token.audience, ['custom']);
      assert.equal(idp.tokenRequests.at(-1)?.clientAuth, 'basic');
      const wrong = withBrowser(idp.issuer, (url) => httpBrowser(url), { clientId: 'custom', clientSecret: 'nope', audience: 'custom' });
      const err = await rejection(() => interactiveIdentityToken(wrong.options));
      assert.match(err.message, /invalid_client/);
    } finally {
      await idp.close();
    }
  });

  it('refuses an issuer without PKCE S256', async () => {
    const idp = await startStandIn({ pkceMethods: ['plain'] });
    try {
      const { options } = withBrowser(idp.issuer, (url) => httpBrowser(url));
      const err = await rejection(() => interactiveIdentityToken(options));
      assert.equal(err.code, 'OIDC_DISCOVERY_FAILED');
      assert.match(err.message, /does not support PKCE with S256/);
    } finally {
      await idp.close();
    }
  });

  it('reports discovery failures: unreachable, not found, plain http to another machine', async () => {
    const idp = await startStandIn();
    const issuer = idp.issuer;
    await idp.close();
    const e1 = await rejection(() => interactiveIdentityToken({ issuer, openBrowser: () => true, output: new PassThrough() }));
    assert.equal(e1.code, 'OIDC_UNREACHABLE');
    assert.match(e1.message, /OIDC discovery at .* failed \(ECONNREFUSED\)/);
    const other = await startStandIn();
    try {
      const e2 = await rejection(() => interactiveIdentityToken({ issuer: `${other.issuer}/nope`, output: new PassThrough() }));
      assert.equal(e2.code, 'OIDC_DISCOVERY_FAILED');
    } finally {
      await other.close();
    }
    const e3 = await rejection(() => interactiveIdentityToken({ issuer: 'http://example.com/auth', output: new PassThrough() }));
    assert.equal(e3.code, 'OIDC_ISSUER_INVALID');
  });
});

describe('interactive login: paste the code (OOB)', () => {
  let idp: StandIn;
  before(async () => {
    idp = await startStandIn({ loginPage: true });
  });
  after(() => idp.close());

  /** Reads the printed URL, logs in "elsewhere", and types the shown code. */
  function oob(extra: Partial<InteractiveOptions> = {}) {
    const { out, text } = capture();
    const input = new PassThrough();
    let typed = false;
    out.on('data', async () => {
      const m = /Go to the following link in a browser:\n\n\t(\S+)\n/.exec(text());
      if (!m || typed || !text().includes('Enter verification code: ')) return;
      typed = true;
      const visit = await httpBrowser(m[1]!, { email: 'dave@example.com' });
      input.write(`${visit.code ?? ''}\n`);
    });
    return { options: { issuer: idp.issuer, input, output: out, identityClaims: { [idp.issuer]: 'email' as const }, timeoutMs: 10_000, ...extra }, text, input };
  }

  it('--oauth-force-oob: redirect_uri urn:ietf:wg:oauth:2.0:oob and the pasted code', async () => {
    let opened = false;
    const { options, text } = oob({
      forceOob: true,
      openBrowser: () => {
        opened = true;
        return true;
      },
    });
    const token = await interactiveIdentityToken(options);
    assert.equal(token.identity, 'dave@example.com');
    assert.equal(opened, false, 'no browser with --oauth-force-oob');
    assert.equal(idp.authorizeRequests.at(-1)!.get('redirect_uri'), 'urn:ietf:wg:oauth:2.0:oob');
    assert.deepEqual(idp.tokenRequests.at(-1), { redirectUri: 'urn:ietf:wg:oauth:2.0:oob', pkce: 'ok', clientAuth: 'none' });
    assert.ok(!text().includes('Waiting for browser interaction'));
  });

  it('falls back to pasting the code when no browser can be opened', async () => {
    const { options, text } = oob({ openBrowser: () => false });
    const token = await interactiveIdentityToken(options);
    assert.equal(token.identity, 'dave@example.com');
    assert.match(text(), /Waiting for browser interaction[\s\S]*Go to the following link/);
    assert.equal(text().match(/\t\S+:\/\/\S+/g)?.length, 1, 'one link, the one that works (not the closed loopback listener)');
    assert.match(text(), /redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2\.0%3Aoob/, 'the paste-the-code link');
    assert.ok(!text().includes('If no browser opens'), text());
  });

  it('falls back when $BROWSER cannot be run', async () => {
    const { options } = oob({ env: { BROWSER: '/nonexistent/browser', PATH: '/usr/bin:/bin' } });
    const token = await interactiveIdentityToken(options);
    assert.equal(token.identity, 'dave@example.com');
  });

  it('refuses an empty or garbled code, and a wrong one at the token endpoint', async () => {
    for (const [line, code, pattern] of [
      ['\n', 'OAUTH_NO_CODE', /no verification code/],
      ['a b\n', 'OAUTH_NO_CODE', /invalid characters/],
      ['wrong-code\n', 'OAUTH_TOKEN_ERROR', /invalid_grant \(unknown or used code\)/],
    ] as const) {
      const input = new PassThrough();
      const { out } = capture();
      const p = interactiveIdentityToken({ issuer: idp.issuer, forceOob: true, input, output: out });
      setTimeout(() => input.write(line), 50);
      const err = await rejection(() => p);
      assert.equal(err.code, code, err.message);
      assert.match(err.message, pattern);
    }
    const closed = new PassThrough();
    closed.end();
    const err = await rejection(() => interactiveIdentityToken({ issuer: idp.issuer, forceOob: true, input: closed, output: new PassThrough() }));
    assert.equal(err.code, 'OAUTH_NO_CODE');
  });
});

describe('getIdentityToken: the interactive login comes last', () => {
  it('runs the login when no token is given or detected, with the client ID as audience', async () => {
    const idp = await startStandIn({ clientId: 'sigstore' });
    try {
      const visits: Promise<unknown>[] = [];
      const token = await getIdentityToken({
        env: {},
        issuer: () => idp.issuer,
        disableAmbientProviders: true,
        identityClaims: { [idp.issuer]: 'email' },
        login: {
          output: new PassThrough(),
          openBrowser: (url) => {
            visits.push(httpBrowser(url));
            return true;
          },
        },
      });
      await Promise.all(visits);
      assert.equal(token.identity, 'alice@example.com');
      assert.equal(token.source, `from ${idp.issuer}`);
    } finally {
      await idp.close();
    }
  });
});
