/**
 * The interactive login driven by a real headless Chromium (Debian's `chromium`, through
 * playwright-core): the browser opens the authorization URL, the login page is filled in and
 * submitted, and the browser follows the redirect to the loopback listener. Runs against the
 * stand-in provider's login page and against the local Sigstore instance (started in-process;
 * its real login page). Skipped, with the reason, when /usr/bin/chromium is not installed
 * (`bash scripts/install-browser.sh` installs it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';
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

describe('Chromium: the local instance login page', { skip }, () => {
  // The real local Sigstore instance, started in-process; its OIDC issuer is `<url>/oauth2`.
  let instance: SigstoreInstance | undefined;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sigstore-oidc-browser-'));
    instance = await startInstance({ dataDir, port: 0, identity: 'frank@example.com' });
  });
  after(async () => {
    await instance?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs in with the identity typed on the instance login page', async () => {
    if (!instance) throw new Error('the instance did not start');
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

  it('the paste-the-code flow through the instance login page', async () => {
    if (!instance) throw new Error('the instance did not start');
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
