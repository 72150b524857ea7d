/**
 * A token given where the command line expects a command word is never repeated in the error:
 * `sigstore attestation --identity-token TOKEN sign ...` and the like are usage errors that do
 * not print the token.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const TOKEN = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'me', aud: 'sigstore' })).toString('base64url')}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;

it('a token in the place of a command word is not shown', () => {
  for (const args of [
    ['attestation', '--identity-token', TOKEN, 'sign', 'x.whl'],
    ['--identity-token', TOKEN, 'sign', 'x'],
    ['plumbing', '--identity-token', TOKEN, 'trust-root'],
    ['instance', '--identity-token', TOKEN, 'serve'],
    ['verify', TOKEN],
    ['verify', 'identity', '--offline', '--cert-identity', 'a', '--cert-oidc-issuer', 'b', '--bundle', 'x', '--', TOKEN, TOKEN],
  ]) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(!r.stderr.includes(TOKEN) && !r.stdout.includes(TOKEN), `${args[0]}: the token was printed: ${r.stderr}`);
  }
});
