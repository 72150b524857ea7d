/**
 * The argument parser: the same results and refusals as node's util.parseArgs in strict mode
 * (checked side by side), with argparse-style messages. Command groups (`attestation`,
 * `plumbing`, `instance`) find their subcommand past options and option values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from 'node:util';
import { GLOBAL_OPTIONS, GLOBAL_VALUED, type Options, parse, splitSubcommand } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';
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

const OPTS: Options = {
  bundle: { type: 'string' },
  'output-file': { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q' },
  'cert-identity': { type: 'string', multiple: true },
  json: { type: 'boolean' },
};

test('parse gives what util.parseArgs (strict) gives, and refuses what it refuses', () => {
  const cases: string[][] = [
    [],
    ['a.txt'],
    ['--bundle', 'b.json', 'a.txt'],
    ['--bundle=b.json', 'a.txt'],
    ['--bundle=', 'a.txt'],
    ['--bundle', 'x', '--bundle', 'y'],
    ['--bundle=--json'],
    ['-o', 'out', '-q', 'f'],
    ['-oout', 'f'],
    ['-o', '-', 'f'],
    ['-qv', 'f'],
    ['-vv', '-v', '--verbose'],
    ['-qo', 'out'],
    ['--cert-identity', 'a', '--cert-identity=b', 'f'],
    ['--json', '--quiet', '--help'],
    ['--', '--json', '-q'],
    ['a', '--', 'b'],
    ['-'],
    ['--staging', '--instance', 'http://x', '--trust-config=tc.json', '--trust-cache', 'd'],
    // refused
    ['--bundle'],
    ['--bundle', '--json'],
    ['--bundle', '-q'],
    ['-o'],
    ['-o', '-q'],
    ['--json=yes'],
    ['--frobnicate'],
    ['--frobnicate=1'],
    ['-z'],
    ['-qz'],
    ['--constructor'],
    ['--__proto__', 'x'],
  ];
  for (const argv of cases) {
    let want: unknown;
    try {
      const r = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...OPTS }, allowPositionals: true, strict: true });
      want = { values: { ...r.values }, positionals: r.positionals };
    } catch {
      want = 'refused';
    }
    let got: unknown;
    try {
      const r = parse(argv, OPTS);
      got = { values: { ...r.values }, positionals: r.positionals };
    } catch (e) {
      assert.ok(e instanceof UsageError && e.code === 'USAGE', String(e));
      got = 'refused';
    }
    assert.deepEqual(got, want, JSON.stringify(argv));
  }
});

test('parse says what is wrong, in one line', () => {
  const refused = (argv: string[], re: RegExp, allowPositionals = true) =>
    assert.throws(
      () => parse(argv, OPTS, { allowPositionals }),
      (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(argv),
    );
  refused(['--frobnicate'], /^unrecognized option '--frobnicate'$/);
  refused(['-qz'], /^unrecognized option '-z'$/);
  refused(['--bundle'], /^argument --bundle: expected one argument$/);
  refused(['--bundle', '--json'], /^argument --bundle: expected one argument \(to give a value starting with '-', use --bundle=--json\)$/);
  refused(['-o'], /^argument -o: expected one argument$/);
  refused(['--json=yes'], /^argument --json: ignored explicit argument 'yes'$/);
  refused(['a', 'b'], /^unrecognized arguments: a b$/, false);
  assert.deepEqual(parse(['--', '-x'], OPTS).positionals, ['-x']);
});
