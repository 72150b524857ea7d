/**
 * Distribution file names (PEP 427 wheels, PEP 625 sdists, legacy .zip sdists) and PEP 440
 * versions: the reference tool's valid and invalid name tables, normalisation, and hashing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import {
  Distribution,
  normalizeProjectName,
  normalizeVersion,
  parseDistributionFilename,
  sameDistributionFilename,
} from '../../src/pypi/distribution.js';
import { fixture, readFixture, tempDir } from './helpers.js';

/** [input, canonical name] (the reference tool's table, plus build tags and legacy forms). */
const VALID: [string, string][] = [
  ['foo-1.0-py3-none-any.whl', 'foo-1.0-py3-none-any.whl'],
  ['Foo-1.0-py3-none-any.whl', 'foo-1.0-py3-none-any.whl'],
  ['FOO-1.0-py3-none-any.whl', 'foo-1.0-py3-none-any.whl'],
  ['FoO-1.0-py3-none-any.whl', 'foo-1.0-py3-none-any.whl'],
  ['foo.bar-1.0-py3-none-any.whl', 'foo_bar-1.0-py3-none-any.whl'],
  ['foo_bar-1.0-py3-none-any.whl', 'foo_bar-1.0-py3-none-any.whl'],
  ['foo-1.0beta1-py3-none-any.whl', 'foo-1.0b1-py3-none-any.whl'],
  ['foo-1.0beta.1-py3-none-any.whl', 'foo-1.0b1-py3-none-any.whl'],
  ['foo-01.0beta.1-py3-none-any.whl', 'foo-1.0b1-py3-none-any.whl'],
  ['foo-1.0-1whatever-py3-none-any.whl', 'foo-1.0-1whatever-py3-none-any.whl'],
  ['foo-1.0-01whatever-py3-none-any.whl', 'foo-1.0-1whatever-py3-none-any.whl'],
  ['foo-1.0-py3.py2-none-any.whl', 'foo-1.0-py2.py3-none-any.whl'],
  ['foo-1.0-py3.py2-none.abi3.cp37-any.whl', 'foo-1.0-py2.py3-abi3.cp37.none-any.whl'],
  ['foo-1.0-py3.py2-none.abi3.cp37-linux_x86_64.any.whl', 'foo-1.0-py2.py3-abi3.cp37.none-any.linux_x86_64.whl'],
  ['foo-1.0-py3.py2.py3-none-any.whl', 'foo-1.0-py2.py3-none-any.whl'],
  ['foo-1.0-py3-none.none.none-any.whl', 'foo-1.0-py3-none-any.whl'],
  ['foo-1.0-PY3-None-Any.whl', 'foo-1.0-py3-none-any.whl'],
  [
    'spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    'spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
  ],
  ['foo-1.0.tar.gz', 'foo-1.0.tar.gz'],
  ['foo-1.0.zip', 'foo-1.0.zip'],
  ['Foo-1.0.tar.gz', 'foo-1.0.tar.gz'],
  ['FOO-1.0.tar.gz', 'foo-1.0.tar.gz'],
  ['FoO-1.0.tar.gz', 'foo-1.0.tar.gz'],
  ['Foo-1.0.zip', 'foo-1.0.zip'],
  ['FOO-1.0.zip', 'foo-1.0.zip'],
  ['FoO-1.0.zip', 'foo-1.0.zip'],
  ['foo-bar-1.0.tar.gz', 'foo_bar-1.0.tar.gz'],
  ['foo-bar-baz-1.0.tar.gz', 'foo_bar_baz-1.0.tar.gz'],
  ['foo--bar-1.0.tar.gz', 'foo_bar-1.0.tar.gz'],
  ['foo.bar-1.0.tar.gz', 'foo_bar-1.0.tar.gz'],
  ['foo..bar-1.0.tar.gz', 'foo_bar-1.0.tar.gz'],
  ['foo.bar.baz-1.0.tar.gz', 'foo_bar_baz-1.0.tar.gz'],
  ['foo-bar-1.0.zip', 'foo_bar-1.0.zip'],
  ['foo-bar-baz-1.0.zip', 'foo_bar_baz-1.0.zip'],
  ['foo--bar-1.0.zip', 'foo_bar-1.0.zip'],
  ['foo.bar-1.0.zip', 'foo_bar-1.0.zip'],
  ['foo..bar-1.0.zip', 'foo_bar-1.0.zip'],
  ['foo.bar.baz-1.0.zip', 'foo_bar_baz-1.0.zip'],
  ['foo-1.0beta1.tar.gz', 'foo-1.0b1.tar.gz'],
  ['foo-01.0beta1.tar.gz', 'foo-1.0b1.tar.gz'],
  ['foo-1.0beta1.zip', 'foo-1.0b1.zip'],
  ['foo-01.0beta1.zip', 'foo-1.0b1.zip'],
  ['foo-v1.0.tar.gz', 'foo-1.0.tar.gz'],
  ['foo-1!2.0.post3.dev4+Local.007.tar.gz', 'foo-1!2.0.post3.dev4+local.7.tar.gz'],
  ['pypi_attestations-0.0.19.tar.gz', 'pypi_attestations-0.0.19.tar.gz'],
  ['rfc8785-0.1.2-py3-none-any.whl', 'rfc8785-0.1.2-py3-none-any.whl'],
];

/** [input, what the error must mention]. */
const INVALID: [string, RegExp][] = [
  ['foo', /unknown distribution format/],
  ['complete.nonsense', /unknown distribution format/],
  ['foo-1.0.TAR.GZ', /unknown distribution format/],
  ['foo-1.0.ZIP', /unknown distribution format/],
  ['foo-1.0-py3-none-any.WHL', /unknown distribution format/],
  ['foo-bar-1.0-py3-none-any.whl', /invalid version "bar"/],
  ['foo__bar-1.0-py3-none-any.whl', /invalid project name/],
  ['foo-charmander-py3-none-any.whl', /invalid version "charmander"/],
  ['foo-1charmander-py3-none-any.whl', /invalid version/],
  ['foo-charmander.tar.gz', /invalid version/],
  ['foo-1charmander.tar.gz', /invalid version/],
  ['foo-charmander.zip', /invalid version/],
  ['foo-1charmander.zip', /invalid version/],
  ['foo-1.2.3.junk.zip', /invalid version/],
  ['foo-1.2.3.junk.tar.gz', /invalid version/],
  ['foo-1.2.3.zip.tar.gz', /invalid version/],
  ['foo-1.2.3.tar.gz.zip', /invalid version/],
  ['invalid-name.tar.gz', /invalid version "name"/],
  ['invalid-name.whl', /5 or 6 dash-separated parts/],
  ['foo-bar-invalid-wheel.whl', /5 or 6 dash-separated parts/],
  ['foo-1.0-x-py3-none-any.whl', /invalid build tag/],
  ['foo-1.0-py3--any.whl', /5 or 6|invalid/],
  ['foo-1.0-py3..py2-none-any.whl', /invalid python tag ""/],
  ['-1.0.tar.gz', /invalid project name ""/],
  ['_foo-1.0.tar.gz', /invalid project name/],
  ['foo.-1.0.tar.gz', /invalid project name/],
  ['föö-1.0.tar.gz', /invalid project name/],
  ['foo-1.0 .tar.gz', /invalid version/],
  ['foo-1.0.tar.bz2', /unknown distribution format/],
  ['dir/foo-1.0.tar.gz', /no directory part/],
  ['foo-1.0.tar.gz.publish.attestation', /unknown distribution format/],
];

describe('distribution file names', () => {
  for (const [input, normalized] of VALID) {
    it(`accepts ${input} as ${normalized}`, () => {
      const f = parseDistributionFilename(input);
      assert.equal(f.normalized, normalized);
      assert.equal(f.filename, input);
      // The canonical form is itself valid and canonical.
      assert.equal(parseDistributionFilename(normalized).normalized, normalized);
      assert.ok(sameDistributionFilename(input, normalized));
    });
  }

  for (const [input, reason] of INVALID) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseDistributionFilename(input),
        (e: unknown) => {
          assert.ok(e instanceof UsageError, 'a UsageError');
          assert.equal(e.code, 'DIST_NAME_INVALID');
          assert.match(e.message, /is not a valid Python distribution file name/);
          assert.match(e.message, reason);
          assert.ok(!e.message.includes('\n'), 'one line');
          return true;
        },
      );
    });
  }

  it('reads the parts of a wheel name', () => {
    const f = parseDistributionFilename('Foo.Bar-01.0rc1-2b-cp311.cp310-abi3-manylinux_2_28_x86_64.whl');
    assert.deepEqual(
      { kind: f.kind, project: f.project, version: f.version, build: f.build, tags: f.tags, extension: f.extension },
      {
        kind: 'wheel',
        project: 'foo-bar',
        version: '1.0rc1',
        build: '2b',
        tags: { interpreters: ['cp310', 'cp311'], abis: ['abi3'], platforms: ['manylinux_2_28_x86_64'] },
        extension: '.whl',
      },
    );
  });

  it('reads the parts of an sdist name', () => {
    const f = parseDistributionFilename('Zope.Interface-5.0.post1.tar.gz');
    assert.deepEqual([f.kind, f.project, f.version, f.build, f.tags, f.extension], ['sdist', 'zope-interface', '5.0.post1', undefined, undefined, '.tar.gz']);
  });

  it('tells different distributions apart', () => {
    assert.ok(!sameDistributionFilename('foo-1.0.tar.gz', 'foo-1.0.zip'));
    assert.ok(!sameDistributionFilename('foo-1.0.tar.gz', 'foo-1.1.tar.gz'));
    assert.ok(!sameDistributionFilename('foo-1.0-py3-none-any.whl', 'foo-1.0-1-py3-none-any.whl'));
    assert.ok(!sameDistributionFilename('foo-1.0-py3-none-any.whl', 'foo-1.0-py2.py3-none-any.whl'));
    assert.ok(!sameDistributionFilename('foo_bar-1.0.tar.gz', 'foobar-1.0.tar.gz'));
    assert.ok(!sameDistributionFilename('rfc8785-0.1.2-py3-none-any.whl', 'wrong_name-0.1.2-py3-none-any.whl'));
  });
});

describe('PEP 440 and PEP 503 normalisation', () => {
  const cases: [string, string | undefined][] = [
    ['1.0', '1.0'],
    ['1.0.0', '1.0.0'],
    ['v1.0', '1.0'],
    ['0!1.0', '1.0'],
    ['01!01.02', '1!1.2'],
    ['1.0a', '1.0a0'],
    ['1.0.alpha.2', '1.0a2'],
    ['1.0-preview-3', '1.0rc3'],
    ['1.0c1', '1.0rc1'],
    ['1.0RC1', '1.0rc1'],
    ['1.0-1', '1.0.post1'],
    ['1.0.rev', '1.0.post0'],
    ['1.0r5', '1.0.post5'],
    ['1.0_post_2', '1.0.post2'],
    ['1.0dev', '1.0.dev0'],
    ['1.0-dev-7', '1.0.dev7'],
    ['1.0a1.post2.dev3', '1.0a1.post2.dev3'],
    ['1.0+ubuntu-1', '1.0+ubuntu.1'],
    ['1.0+Ubuntu_01.2', '1.0+ubuntu.1.2'],
    ['99999999999999999999.0', '99999999999999999999.0'],
    ['', undefined],
    ['1.', undefined],
    ['.1', undefined],
    ['1.0+', undefined],
    ['1.0+a..b', undefined],
    ['1.0-', undefined],
    ['1.0 ', undefined],
    ['1.0beta1beta2', undefined],
    ['charmander', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${expected ?? 'invalid'}`, () => {
      assert.equal(normalizeVersion(input), expected);
    });
  }

  it('normalises project names', () => {
    assert.equal(normalizeProjectName('Foo__Bar.baz'), 'foo-bar-baz');
    assert.equal(normalizeProjectName('A-._-B'), 'a-b');
    assert.equal(normalizeProjectName('pypi_attestations'), 'pypi-attestations');
  });
});

describe('Distribution', () => {
  it('is the file name and SHA-256 of a file', async () => {
    const d = await Distribution.fromFile(fixture('rfc8785-0.1.2-py3-none-any.whl'));
    assert.equal(d.name, 'rfc8785-0.1.2-py3-none-any.whl');
    assert.equal(d.digest, 'c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201');
    assert.equal(d.digest, createHash('sha256').update(readFixture('rfc8785-0.1.2-py3-none-any.whl')).digest('hex'));
    assert.equal(d.filename.kind, 'wheel');
    const same = Distribution.fromBytes('rfc8785-0.1.2-py3-none-any.whl', readFixture('rfc8785-0.1.2-py3-none-any.whl'));
    assert.equal(same.digest, d.digest);
  });

  it('refuses a file whose name is not a distribution name, before reading it', async () => {
    const dir = tempDir();
    const p = join(dir, 'package.tar.gz');
    copyFileSync(fixture('pypi_attestations-0.0.19.tar.gz'), p);
    await assert.rejects(Distribution.fromFile(p), { code: 'DIST_NAME_INVALID' });
    await assert.rejects(Distribution.fromFile(join(dir, 'README.md')), { code: 'DIST_NAME_INVALID' });
  });

  it('says plainly when the file cannot be read', async () => {
    const dir = tempDir();
    await assert.rejects(Distribution.fromFile(join(dir, 'foo-1.0.tar.gz')), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.code, 'INPUT_UNREADABLE');
      assert.match(e.message, /no such file/);
      return true;
    });
  });

  it('refuses a malformed digest', () => {
    assert.throws(() => new Distribution('foo-1.0.tar.gz', 'ABCD'), { code: 'DIST_DIGEST_INVALID' });
    assert.throws(() => new Distribution('foo-1.0.tar.gz', 'A'.repeat(64)), { code: 'DIST_DIGEST_INVALID' });
    assert.doesNotThrow(() => new Distribution('foo-1.0.tar.gz', 'a'.repeat(64)));
  });
});
