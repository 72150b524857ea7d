/**
 * What an audit reads, parsed strictly: the TOML subset of PEP 751 lock files, pylock.toml,
 * hashed requirements files, pin files, and the index's PEP 691 project pages. Each refusal is
 * checked by its code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexUrls, parseProjectPage } from '../../src/pypi/index-client.js';
import { parsePylock, parseRequirements } from '../../src/pypi/lockfile.js';
import { parsePins, samePin, serializePins } from '../../src/pypi/pins.js';
import { parseToml } from '../../src/pypi/toml.js';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

describe('TOML (the PEP 751 subset)', () => {
  it('reads tables, arrays of tables, inline tables, multi-line arrays, strings, numbers, dates', () => {
    const t = parseToml(
      [
        '# comment',
        'lock-version = "1.0"',
        "created-by = 'uv' # trailing",
        'size = 1_024',
        'big = 9007199254740993',
        'ratio = 0.5',
        'ok = true',
        'when = 2025-03-17T00:02:54Z',
        'text = """',
        'two \\',
        '   lines"""',
        '"quoted key".a = "\\u00e9\\n"',
        '[[packages]]',
        'name = "a"',
        'wheels = [',
        '  { url = "https://x/a-1-py3-none-any.whl", hashes = { sha256 = "00" } }, # one',
        '  { name = "a-1-py2-none-any.whl", hashes = {} },',
        ']',
        '[packages.tool.x]',
        'y = [1, [2, 3]]',
        '[[packages]]',
        'name = "b"',
      ].join('\n'),
    );
    assert.deepEqual(t, {
      'lock-version': '1.0',
      'created-by': 'uv',
      size: 1024,
      big: 9007199254740993n,
      ratio: 0.5,
      ok: true,
      when: '2025-03-17T00:02:54Z',
      text: 'two lines',
      'quoted key': { a: 'é\n' },
      packages: [
        {
          name: 'a',
          wheels: [
            { url: 'https://x/a-1-py3-none-any.whl', hashes: { sha256: '00' } },
            { name: 'a-1-py2-none-any.whl', hashes: {} },
          ],
          tool: { x: { y: [1, [2, 3]] } },
        },
        { name: 'b' },
      ],
    });
  });

  it('refuses duplicates, redefinitions, bad values and syntax, naming the line', () => {
    const bad: [string, RegExp][] = [
      ['a = 1\na = 2', /line 2: key "a" is defined twice/],
      ['[t]\nx = 1\n[t]', /line 3: table \[t\] is defined twice/],
      ['t = { x = 1 }\n[t]', /table \[t\] is defined twice/],
      ['a = [1]\n[[a]]', /redefines a value/],
      ['a = 1\n[a.b]', /already defined as a value/],
      ['a = "x', /unterminated string/],
      ['a = "\\q"', /invalid escape/],
      ['a = 01', /invalid value/],
      ['a = 1 b = 2', /expected the end of the line/],
      ['a = [1 2]', /expected , or \]/],
      ['= 1', /expected a key/],
      ['a = { b = 1', /expected , or }/],
      ['a = "\u0001"', /control character/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseToml(text, 'x.toml'), { code: 'LOCKFILE_INVALID', message }, text);
  });
});

describe('pylock.toml', () => {
  it('lists every sdist and wheel with its sha256; VCS and directory sources are skipped', () => {
    const lock = parsePylock(
      [
        'lock-version = "1.0"',
        '[[packages]]',
        'name = "Foo.Bar"',
        'version = "1.0"',
        `sdist = { url = "https://files.example/foo_bar-1.0.tar.gz", hashes = { sha256 = "${H1}" } }`,
        `wheels = [{ name = "foo_bar-1.0-py3-none-any.whl", hashes = { sha256 = "${H2.toUpperCase()}", md5 = "x" } }]`,
        '[[packages]]',
        'name = "mine"',
        'vcs = { type = "git", url = "https://x/y.git", commit-id = "abc" }',
      ].join('\n'),
      'pylock.toml',
    );
    assert.deepEqual(lock.entries, [
      { project: 'foo-bar', version: '1.0', filename: 'foo_bar-1.0.tar.gz', sha256: [H1], source: 'pylock.toml: packages[0].sdist' },
      { project: 'foo-bar', version: '1.0', filename: 'foo_bar-1.0-py3-none-any.whl', sha256: [H2], source: 'pylock.toml: packages[0].wheels[0]' },
    ]);
    assert.deepEqual(lock.skipped, [{ name: 'mine', source: 'pylock.toml: packages[1]', reason: 'a vcs source, not a distribution from an index' }]);
  });

  it('refuses what is not a PEP 751 lock or names another project or version', () => {
    const pkg = (file: string, extra = '') => `lock-version = "1.0"\n[[packages]]\nname = "foo"\nversion = "1.0"\n${extra}sdist = { name = "${file}", hashes = { sha256 = "${H1}" } }\n`;
    assert.throws(() => parsePylock('version = 1', 'p.toml'), { code: 'LOCKFILE_INVALID', message: /lock-version must be "1.x"/ });
    assert.throws(() => parsePylock(pkg('bar-1.0.tar.gz'), 'p.toml'), { code: 'LOCKFILE_INVALID', message: /is not a file of foo/ });
    assert.throws(() => parsePylock(pkg('foo-2.0.tar.gz'), 'p.toml'), { code: 'LOCKFILE_INVALID', message: /is not version 1.0 of foo/ });
    assert.throws(() => parsePylock(pkg('foo-1.0.tar.gz').replace(H1, 'xyz'), 'p.toml'), { code: 'LOCKFILE_INVALID', message: /sha256 must be 64 hex digits/ });
    assert.throws(() => parsePylock(pkg('foo-1.0.exe'), 'p.toml'), { code: 'LOCKFILE_INVALID', message: /not a valid Python distribution file name/ });
  });
});

describe('requirements.txt', () => {
  it('reads pinned requirements with --hash options over continuation lines; skips what it cannot check', () => {
    const lock = parseRequirements(
      [
        '# comment',
        '--index-url https://pypi.org/simple',
        `requests[socks]==2.32.3 ; python_version >= "3.8" \\`,
        `    --hash=sha256:${H1} \\`,
        `    --hash sha256:${H2} --hash=md5:00`,
        'flask>=2',
        'six==1.16.0',
        `pkg @ https://x/pkg-1.0.tar.gz --hash=sha256:${H1}`,
      ].join('\n'),
      'requirements.txt',
    );
    assert.deepEqual(lock.entries, [{ project: 'requests', version: '2.32.3', filename: undefined, sha256: [H1, H2], source: 'requirements.txt:3' }]);
    assert.deepEqual(
      lock.skipped.map((s) => [s.name, s.reason]),
      [
        ['flask', 'not pinned to one version with =='],
        ['six', 'no --hash=sha256:... pins (the files cannot be known)'],
        ['pkg', 'a direct URL requirement'],
      ],
    );
  });

  it('refuses includes and malformed hashes', () => {
    assert.throws(() => parseRequirements('-r other.txt', 'r.txt'), { code: 'LOCKFILE_INVALID', message: /includes \(-r\) are not supported/ });
    assert.throws(() => parseRequirements('a==1 --hash=sha256:zz', 'r.txt'), { code: 'LOCKFILE_INVALID', message: /invalid --hash "sha256:zz"/ });
  });
});

describe('pin files', () => {
  it('round-trips, one project a line, sorted', () => {
    const pins = {
      version: 1 as const,
      projects: {
        zeta: { kind: 'Google' as const, email: 'sa@p.iam.gserviceaccount.com' },
        alpha: { kind: 'GitLab' as const, repository: 'g/sub/p', workflow: '.gitlab-ci.yml' },
      },
    };
    const text = serializePins(pins);
    assert.equal(
      text,
      '{\n  "version": 1,\n  "projects": {\n    "alpha": { "kind": "GitLab", "repository": "g/sub/p", "workflow": ".gitlab-ci.yml" },\n    "zeta": { "kind": "Google", "email": "sa@p.iam.gserviceaccount.com" }\n  }\n}\n',
    );
    assert.deepEqual(parsePins(text, 'p.json'), { version: 1, projects: { alpha: pins.projects.alpha, zeta: pins.projects.zeta } });
    assert.equal(serializePins({ version: 1, projects: {} }), '{\n  "version": 1,\n  "projects": {}\n}\n');
  });

  it('compares GitHub repositories case-insensitively, and everything else exactly', () => {
    assert.ok(samePin({ kind: 'GitHub', repository: 'Org/Repo', workflow: 'r.yml' }, { kind: 'GitHub', repository: 'org/repo', workflow: 'r.yml' }));
    assert.ok(!samePin({ kind: 'GitHub', repository: 'org/repo', workflow: 'r.yml' }, { kind: 'GitHub', repository: 'org/repo', workflow: 'R.yml' }));
    assert.ok(!samePin({ kind: 'GitHub', repository: 'org/repo', workflow: 'r.yml' }, { kind: 'GitLab', repository: 'org/repo', workflow: 'r.yml' }));
  });

  it('refuses unknown kinds, extra fields and names that are not normalised', () => {
    const bad: [string, RegExp][] = [
      ['{"version": 2, "projects": {}}', /version must be 1/],
      ['{"version": 1, "projects": {"a": {"kind": "Bitbucket"}}}', /kind must be GitHub, GitLab or Google/],
      ['{"version": 1, "projects": {"a": {"kind": "GitHub", "repository": "o/r", "workflow": "w", "environment": "x"}}}', /exactly kind, repository and workflow/],
      ['{"version": 1, "projects": {"Foo_Bar": {"kind": "Google", "email": "e"}}}', /written normalised \(foo-bar\)/],
      ['not json', /not valid JSON/],
    ];
    for (const [text, message] of bad) assert.throws(() => parsePins(text, 'p.json'), { code: 'PINS_INVALID', message }, text);
  });
});

describe('PEP 691 project pages', () => {
  const page = (o: Record<string, unknown>) => Buffer.from(JSON.stringify({ meta: { 'api-version': '1.1' }, name: 'foo', files: [], ...o }));
  it('resolves URLs against the page, reads hashes and the PEP 740 provenance key, skips non-distributions', () => {
    const p = parseProjectPage(
      page({
        files: [
          { filename: 'foo-1.0.tar.gz', url: '../../files/foo-1.0.tar.gz', hashes: { sha256: H1.toUpperCase() }, provenance: 'https://i/prov' },
          { filename: 'foo-1.0.exe', url: 'x', hashes: {} },
          { filename: 'foo-1.0-py3-none-any.whl', url: 'https://f/w.whl', hashes: {}, provenance: null, yanked: 'bad build' },
        ],
      }),
      'https://idx.example/simple/foo/',
      'foo',
    );
    assert.deepEqual(
      p.files.map((f) => [f.filename, f.url, f.sha256, f.provenance, f.yanked]),
      [
        ['foo-1.0.tar.gz', 'https://idx.example/files/foo-1.0.tar.gz', H1, 'https://i/prov', false],
        ['foo-1.0-py3-none-any.whl', 'https://f/w.whl', undefined, null, true],
      ],
    );
  });

  it('refuses pages of another API version or project, and malformed files', () => {
    const bad: [Buffer, RegExp][] = [
      [page({ meta: { 'api-version': '2.0' } }), /api-version must be 1.x/],
      [page({ name: 'bar' }), /it is the page of "bar"/],
      [page({ files: {} }), /files must be an array/],
      [page({ files: [{ filename: 'foo-1.0.tar.gz', url: 'u', hashes: { sha256: 'xyz' } }] }), /sha256 must be 64 hex digits/],
      [page({ files: [{ filename: 'foo-1.0.tar.gz', url: 'u' }] }), /hashes must be an object/],
      [page({ files: [{ filename: 'foo-1.0.tar.gz', url: 'u', hashes: {}, provenance: 5 }] }), /provenance is missing or not a non-empty string/],
      [Buffer.from('<html>'), /not valid JSON/],
    ];
    for (const [body, message] of bad) assert.throws(() => parseProjectPage(body, 'https://i/simple/foo/', 'foo'), { code: 'PYPI_INDEX_MALFORMED', message });
  });

  it('finds the simple and Integrity APIs from the index URL', () => {
    assert.deepEqual(indexUrls('https://pypi.org'), { simple: 'https://pypi.org/simple/', integrity: 'https://pypi.org/integrity/', display: 'https://pypi.org' });
    assert.deepEqual(indexUrls('http://127.0.0.1:8080/pypi/simple/'), {
      simple: 'http://127.0.0.1:8080/pypi/simple/',
      integrity: 'http://127.0.0.1:8080/pypi/integrity/',
      display: 'http://127.0.0.1:8080/pypi/simple',
    });
    assert.throws(() => indexUrls('ftp://x'), { code: 'USAGE' });
    assert.throws(() => indexUrls('https://x/?q=1'), { code: 'USAGE' });
  });
});
