/**
 * The interactive login driven by a real headless Chromium (Debian's `chromium`, through
 * playwright-core): the browser opens the authorization URL, the login page is filled in and
 * submitted, and the browser follows the redirect to the loopback listener. Runs against the
 * stand-in provider's login page and against the local instance's OIDC provider (its real login
 * page). Skipped, with the reason, when /usr/bin/chromium is not installed
 * (`bash scripts/install-browser.sh` installs it).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type InteractiveOptions, interactiveIdentityToken } from '../../src/oidc/index.js';
import { rejection } from './helpers.js';
import { type StandIn, startStandIn } from './stand-in-oauth.js';

const CHROMIUM = process.env.SIGSTORE_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (run: bash scripts/install-browser.sh)`;

let browser: Browser | undefined;
before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    headless: true,
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
after(async () => {
  await browser?.close();
});

/** Login options whose "browser" is a new Chromium page running `drive`. */
function chromiumLogin(issuer: string, drive: (page: import('playwright-core').Page) => Promise<void>, extra: Partial<InteractiveOptions> = {}) {
  const visits: Promise<void>[] = [];
  const pages: string[] = [];
  const options: InteractiveOptions = {
    issuer,
    output: new PassThrough(),
    timeoutMs: 30_000,
    identityClaims: { [issuer]: 'email' },
    openBrowser: (url) => {
      const v = (async () => {
        const page = await browser!.newPage();
        try {
          await page.goto(url);
          await drive(page);
          pages.push((await page.textContent('body')) ?? '');
        } finally {
          await page.close();
        }
      })();
      v.catch(() => {});
      visits.push(v);
      return true;
    },
    ...extra,
  };
  return { options, visits, pages };
}

describe('Chromium: stand-in provider login page', { skip }, () => {
  let idp: StandIn;
  before(async () => {
    idp = await startStandIn({ loginPage: true });
  });
  after(() => idp.close());

  it('fills in the login page and lands on the loopback listener', async () => {
    const { options, visits, pages } = chromiumLogin(idp.issuer, async (page) => {
      await page.fill('#email', 'erin@example.com');
      await Promise.all([page.waitForURL(/\/auth\/callback\?/), page.click('#approve')]);
      await page.waitForSelector('h1');
    });
    const token = await interactiveIdentityToken(options);
    await Promise.all(visits);
    assert.equal(token.identity, 'erin@example.com');
    assert.match(pages[0]!, /Sigstore authentication successful/);
    assert.equal(idp.tokenRequests.at(-1)?.pkce, 'ok');
  });

  it('a cancelled login fails with access_denied, and the browser says so', async () => {
    const { options, visits, pages } = chromiumLogin(idp.issuer, async (page) => {
      await Promise.all([page.waitForURL(/\/auth\/callback\?/), page.click('#deny')]);
      await page.waitForSelector('h1');
    });
    const err = await rejection(() => interactiveIdentityToken(options));
    await Promise.allSettled(visits);
    assert.equal(err.code, 'OAUTH_ACCESS_DENIED');
    assert.match(pages[0]!, /Sigstore authentication failed/);
  });
});

/**
 * The local instance's OIDC provider (src/instance/oidc.ts), mounted on a loopback server the way
 * the instance serves it. Loaded dynamically: skipped while that module is not there.
 */
async function startInstanceOidc(): Promise<{ issuer: string; close: () => Promise<void> } | string> {
  const path = '../../src/instance/oidc.js';
  // biome-ignore lint/suspicious/noExplicitAny: the instance module is another engineer's, typed loosely here on purpose
  let mod: any;
  try {
    mod = await import(path);
  } catch (e) {
    return `the local instance's OIDC provider is not available (${(e as Error).message.split('\n')[0]})`;
  }
  if (typeof mod.OidcProvider !== 'function') return 'src/instance/oidc.ts has no OidcProvider';
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let provider: any;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const u = new URL(req.url!, provider.issuer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      try {
        if (req.method === 'GET' && u.pathname === '/.well-known/openid-configuration') return send(200, 'application/json', JSON.stringify(provider.discovery()));
        if (req.method === 'GET' && u.pathname === '/keys') return send(200, 'application/json', JSON.stringify(await provider.jwks()));
        if (req.method === 'GET' && u.pathname === '/auth') return send(200, 'text/html', provider.loginPage(u.searchParams));
        if (req.method === 'POST' && u.pathname === '/auth') {
          const r = provider.submitLogin(form);
          if (r.redirect) {
            res.writeHead(302, { location: r.redirect });
            return res.end();
          }
          return send(200, 'text/html', r.html);
        }
        if (req.method === 'POST' && u.pathname === '/token') return send(200, 'application/json', JSON.stringify(await provider.token(form)));
        send(404, 'text/plain', 'not found');
      } catch (e) {
        const msg = (e as Error).message;
        const m = /^([a-z_]+): (.*)$/.exec(msg);
        send((e as { status?: number }).status ?? 500, 'application/json', JSON.stringify(m ? { error: m[1], error_description: m[2] } : { error: 'invalid_request', error_description: msg }));
      }
    });
    function send(status: number, type: string, body: string) {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    provider = new mod.OidcProvider(key, issuer, 'frank@example.com');
  } catch (e) {
    server.close();
    return `the local instance's OidcProvider could not be constructed (${(e as Error).message})`;
  }
  return {
    issuer,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('Chromium: the local instance login page', { skip }, () => {
  let instance: { issuer: string; close: () => Promise<void> } | undefined;
  let unavailable: string | undefined;
  before(async () => {
    const r = await startInstanceOidc();
    if (typeof r === 'string') unavailable = r;
    else instance = r;
  });
  after(() => instance?.close());

  it('logs in with the identity typed on the instance login page', async (t) => {
    if (!instance) return t.skip(unavailable);
    const { options, visits, pages } = chromiumLogin(instance.issuer, async (page) => {
      await page.fill('#identity', 'grace@example.com');
      await Promise.all([page.waitForURL(/\/auth\/callback\?/), page.click('#submit')]);
      await page.waitForSelector('h1');
    });
    const token = await interactiveIdentityToken(options);
    await Promise.all(visits);
    assert.equal(token.identity, 'grace@example.com');
    assert.equal(token.issuer, instance.issuer);
    assert.deepEqual(token.audience, ['sigstore']);
    assert.match(pages[0]!, /Sigstore authentication successful/);
  });

  it('the paste-the-code flow through the instance login page', async (t) => {
    if (!instance) return t.skip(unavailable);
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    let started = false;
    const done: Promise<void>[] = [];
    output.on('data', (c: Buffer) => {
      printed += c.toString();
      const m = /Go to the following link in a browser:\n\n\t(\S+)\n/.exec(printed);
      if (!m || started) return;
      started = true;
      done.push(
        (async () => {
          const page = await browser!.newPage();
          try {
            await page.goto(m[1]!);
            await page.fill('#identity', 'heidi@example.com');
            await Promise.all([page.waitForSelector('#code'), page.click('#submit')]);
            input.write(`${(await page.textContent('#code'))!.trim()}\n`);
          } finally {
            await page.close();
          }
        })(),
      );
    });
    const token = await interactiveIdentityToken({ issuer: instance.issuer, forceOob: true, input, output, identityClaims: { [instance.issuer]: 'email' }, timeoutMs: 30_000 });
    await Promise.all(done);
    assert.equal(token.identity, 'heidi@example.com');
  });
});
