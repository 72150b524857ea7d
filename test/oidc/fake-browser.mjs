#!/usr/bin/env node
// A stand-in for the user's browser, for the CLI tests ($BROWSER="node fake-browser.mjs %s"):
// follows redirects and submits a login form as a browser would, then exits 0.
const [url, email = 'ivan@example.com'] = process.argv.slice(2);
let next = new URL(url);
let init = {};
for (let hops = 0; hops < 10; hops++) {
  const resp = await fetch(next, { ...init, redirect: 'manual' });
  init = {};
  if (resp.status >= 300 && resp.status < 400) {
    next = new URL(resp.headers.get('location'), next);
    continue;
  }
  const text = await resp.text();
  const session = /name="session" value="([^"]+)"/.exec(text);
  if (!session) break;
  next = new URL('/login', next);
  init = {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ session: session[1], email, action: 'approve' }).toString(),
  };
}
