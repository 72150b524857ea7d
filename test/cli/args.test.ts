/**
 * Command groups (`attestation`, `plumbing`, `instance`) find their subcommand past options and
 * option values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GLOBAL_VALUED, splitSubcommand } from '../../src/cli/args.js';
import { runCli } from '../helpers/cli.js';

test('splitSubcommand skips options and the values of valued options, and stops at --', () => {
  assert.deepEqual([...GLOBAL_VALUED].sort(), ['--instance', '--trust-cache', '--trust-config']);
  assert.deepEqual(splitSubcommand(['verify', '--identity', 'x', 'a.whl']), { sub: 'verify', rest: ['--identity', 'x', 'a.whl'] });
  assert.deepEqual(splitSubcommand(['--trust-config', 'tc.json', '-v', 'verify', 'a.whl']), { sub: 'verify', rest: ['--trust-config', 'tc.json', '-v', 'a.whl'] });
  assert.deepEqual(splitSubcommand(['--trust-config=tc.json', 'verify']), { sub: 'verify', rest: ['--trust-config=tc.json'] });
  assert.deepEqual(splitSubcommand(['--port', '8080', 'serve'], new Set(['--port'])), { sub: 'serve', rest: ['--port', '8080'] });
  assert.deepEqual(splitSubcommand(['-v', '--', 'verify']), { sub: undefined, rest: ['-v', '--', 'verify'] });
  assert.deepEqual(splitSubcommand([]), { sub: undefined, rest: [] });
});

test('sigstore attestation --trust-config FILE verify: the file is not taken for the subcommand', () => {
  const r = runCli(['attestation', '--trust-config', 'no-such-config.json', 'verify', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: sigstore attestation verify/);
});
