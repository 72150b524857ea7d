#!/usr/bin/env node
// A real browser for the CLI ($BROWSER="node chromium-browser.mjs %s IDENTITY"): headless Debian
// chromium (through playwright-core) opens the authorization URL, types IDENTITY into the login
// page, submits it, and waits for the redirect to the CLI's loopback listener.
import { chromium } from 'playwright-core';

const [url, identity] = process.argv.slice(2);
const browser = await chromium.launch({
  headless: true,
  executablePath: process.env.SIGSTORE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.fill('#identity', identity);
  await Promise.all([page.waitForURL(/\/auth\/callback\?/), page.click('#submit')]);
  await page.waitForSelector('h1');
} finally {
  await browser.close();
}
