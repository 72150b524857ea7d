/**
 * The package as a user gets it: `npm pack`, installed into fresh consumer projects. `import` and
 * `require` both work on Node >= 20.19; TypeScript --strict compiles each against the matching
 * declarations under every moduleResolution (node16, nodenext, bundler); third-party code is
 * visible to npm (ls, sbom) as real dependencies, none bundled into dist/.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { EXAMPLE_CONTEXT, entryExports, exampleModule, examples, exportedNames } from '../helpers/examples.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** The @types/node the project itself builds with (a TypeScript consumer of a Node library has it). */
const TYPES_NODE = (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });

const USE_TS = `
import { parseBundle, Verifier, Identity, SigstoreError, type VerificationResult } from 'sigstore-ts';
const policy = new Identity({ identity: 'me@example.com', issuer: 'https://accounts.google.com' });
const f = (r: VerificationResult): string => r.signer.kind;
try { parseBundle('{}'); } catch (e) { if (e instanceof SigstoreError) console.log(e.code, typeof Verifier, typeof policy, typeof f); }
`;

describe('consumer projects from the npm pack tarball', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-ts-consumers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let tarball = '';
  before(() => {
    // Packed from a copy of the checkout: `npm pack` runs the prepack build, which swaps in a new
    // dist/, and other test files run the checkout's bin/sigstore meanwhile.
    const checkout = join(dir, 'checkout');
    mkdirSync(checkout);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const f of [...pkg.files.filter((f) => f !== 'dist'), 'package.json', 'src', 'scripts', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(ROOT, f), join(checkout, f), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    const out = npm(['pack', '--silent', '--pack-destination', dir], checkout).trim().split('\n').pop()!;
    tarball = join(dir, out);
  });

  /** A fresh project with the tarball installed (dependencies from the npm cache when it has them). */
  const project = (name: string, pkg: Record<string, unknown>, files: Record<string, string>) => {
    const p = join(dir, name);
    mkdirSync(p);
    writeFileSync(join(p, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...pkg }));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(p, f), text);
    npm(['install', '--prefer-offline', tarball, ...(files['tsconfig.json'] ? [`@types/node@${TYPES_NODE}`] : [])], p);
    return p;
  };
  const node = (cwd: string, file: string) => {
    const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Warning/);
    return r.stdout;
  };

  it('ESM: import works', () => {
    const p = project('esm', { type: 'module' }, { 'a.js': "import { parseBundle, Verifier } from 'sigstore-ts';\ntry { parseBundle('{}'); } catch (e) { console.log(e.code, typeof Verifier); }\n" });
    assert.match(node(p, 'a.js'), /^BUNDLE_\w+ function$/m);
  });

  it('CommonJS: require works, and classes are the same as through import', () => {
    const p = project('cjs', {}, {
      'a.js': "const s = require('sigstore-ts');\ntry { s.parseBundle('{}'); } catch (e) { console.log(e.code, e instanceof s.SigstoreError, typeof s.Verifier); }\nimport('sigstore-ts').then((m) => console.log(m.Verifier === s.Verifier));\n",
    });
    const out = node(p, 'a.js');
    assert.match(out, /^BUNDLE_\w+ true function$/m);
    assert.match(out, /^true$/m);
  });

  for (const [mode, compilerOptions, pkg] of [
    ['node16, ESM', { module: 'node16', moduleResolution: 'node16' }, { type: 'module' }],
    ['node16, CommonJS', { module: 'node16', moduleResolution: 'node16' }, {}],
    ['nodenext, ESM', { module: 'nodenext', moduleResolution: 'nodenext' }, { type: 'module' }],
    ['nodenext, CommonJS', { module: 'nodenext', moduleResolution: 'nodenext' }, {}],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, { type: 'module' }],
  ] as const) {
    it(`tsc --strict, ${mode}: compiles and runs`, () => {
      const p = project(`ts-${mode.replace(/\W+/g, '-')}`, pkg, {
        'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', outDir: 'out', skipLibCheck: false, types: ['node'], ...compilerOptions }, files: ['a.ts'] }),
        'a.ts': USE_TS,
      });
      const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: p, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(node(p, join('out', 'a.js')), /^BUNDLE_\w+ function object function$/m);
    });
  }

  it('every @example of every entry point type-checks against the installed package (tsc --strict)', () => {
    const files: Record<string, string> = { 'context.d.ts': EXAMPLE_CONTEXT };
    const entries = entryExports(ROOT);
    const all = examples(entries);
    const names = exportedNames(entries);
    all.forEach((e, i) => {
      files[`ex${String(i).padStart(3, '0')}.ts`] = exampleModule(e, names);
    });
    files['tsconfig.json'] = JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, types: ['node'], skipLibCheck: true },
      include: ['*.ts'],
    });
    const p = project('examples', { type: 'module' }, files);
    const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: p, encoding: 'utf8' });
    // Name the example behind each error (the file's first line says which export it documents).
    const errors = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => /^ex\d+\.ts\(/.test(l))
      .map((l) => `${readFileSync(join(p, l.slice(0, l.indexOf('('))), 'utf8').split('\n')[0]!.slice(3)}: ${l}`);
    assert.ok(all.length > 100, 'the examples were found');
    assert.deepEqual(errors, []);
    assert.equal(r.status, 0, r.stdout);
  });

  it('npm sees every third-party package: npm ls and npm sbom list them, and dist/ bundles none', () => {
    const p = join(dir, 'esm');
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const sbom = JSON.parse(npm(['sbom', '--sbom-format', 'cyclonedx'], p)) as { components: { name: string; group?: string }[] };
    const names = new Set(sbom.components.map((c) => (c.group ? `${c.group}/${c.name}` : c.name)));
    for (const dep of Object.keys(own.dependencies)) assert.ok(names.has(dep), `npm sbom lists ${dep}`);
    const dist = join(p, 'node_modules', 'sigstore-ts', 'dist');
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    for (const f of walk(dist).filter((f) => /\.(c?js)$/.test(f))) assert.doesNotMatch(readFileSync(f, 'utf8'), /node_modules\//, f);
  });
});
