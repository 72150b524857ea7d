/**
 * Every command's --help lists its environment variables, as sigstore-python's does: each option
 * that a variable stands for names it in its own description (the option line and the lines
 * under it), and every SIGSTORE_* variable the code reads is named by some --help. Commands are
 * walked from the help texts themselves, as in help-flags.test.ts, so a new command is walked too.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFORMANCE_DIR } from '../helpers/conformance.js';
import { ROOT } from '../helpers/cli.js';
import { runHelpCli as run, subcommands } from '../helpers/help-walk.js';



/** Each option line's names and its description: the line and the more-indented lines under it. */
function optionBlocks(help: string): { names: string[]; text: string }[] {
  const blocks: { names: string[]; text: string }[] = [];
  const lines = help.split('\n');
  for (const [i, line] of lines.entries()) {
    const m = /^( {2,})(-[^ ].*?)(?: {2,}|$)/.exec(line);
    if (!m) continue;
    const names = m[2]!.split(/, (?=-)/).map((p) => /^(--?[A-Za-z0-9][A-Za-z0-9-]*)/.exec(p.trim())![1]!);
    let text = line;
    for (const next of lines.slice(i + 1)) {
      if (!next.startsWith(`${m[1]} `) || /^\s+-/.test(next)) break;
      text += `\n${next}`;
    }
    blocks.push({ names, text });
  }
  return blocks;
}

/**
 * The variable each option stands for, in the commands that read it (`where` matches the
 * command path; undefined: every command that lists the option). sigstore-python's names, and
 * sigstore-ts's own where sigstore-python has none.
 */
const ENV: { option: string; variable: string; where?: RegExp }[] = [
  { option: '--staging', variable: 'SIGSTORE_STAGING' },
  { option: '--trust-cache', variable: 'SIGSTORE_TRUST_CACHE' },
  { option: '--offline', variable: 'SIGSTORE_OFFLINE' },
  { option: '--identity-token', variable: 'SIGSTORE_IDENTITY_TOKEN' },
  { option: '--oidc-client-id', variable: 'SIGSTORE_OIDC_CLIENT_ID' },
  { option: '--oidc-client-secret', variable: 'SIGSTORE_OIDC_CLIENT_SECRET' },
  { option: '--oidc-issuer', variable: 'SIGSTORE_OIDC_ISSUER' },
  { option: '--oidc-disable-ambient-providers', variable: 'SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS' },
  { option: '--oauth-force-oob', variable: 'SIGSTORE_OAUTH_FORCE_OOB' },
  { option: '--rekor-version', variable: 'SIGSTORE_REKOR_VERSION' },
  { option: '--key-type', variable: 'SIGSTORE_KEY_TYPE' },
  { option: '--output-directory', variable: 'SIGSTORE_OUTPUT_DIRECTORY' },
  { option: '--no-default-files', variable: 'SIGSTORE_NO_DEFAULT_FILES' },
  // `attestation convert --overwrite` replaces the one OUT it names: no variable (sigstore-python has no convert).
  { option: '--overwrite', variable: 'SIGSTORE_OVERWRITE', where: /^(sign|attest|attestation sign)$/ },
  // `plumbing fix-bundle --bundle` is its input, not an output or a bundle to verify with.
  { option: '--bundle', variable: 'SIGSTORE_BUNDLE', where: /^(sign|attest|verify identity|verify github)$/ },
  { option: '--signature', variable: 'SIGSTORE_OUTPUT_SIGNATURE', where: /^sign$/ },
  { option: '--certificate', variable: 'SIGSTORE_OUTPUT_CERTIFICATE', where: /^sign$/ },
  { option: '--signature', variable: 'SIGSTORE_SIGNATURE', where: /^verify (identity|github)$/ },
  { option: '--certificate', variable: 'SIGSTORE_CERTIFICATE', where: /^verify (identity|github)$/ },
  { option: '--cert-identity', variable: 'SIGSTORE_CERT_IDENTITY', where: /^verify (identity|github)$/ },
  { option: '--cert-oidc-issuer', variable: 'SIGSTORE_CERT_OIDC_ISSUER', where: /^verify identity$/ },
  { option: '--trigger', variable: 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_TRIGGER', where: /^verify github$/ },
  { option: '--sha', variable: 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_SHA', where: /^verify github$/ },
  { option: '--name', variable: 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_NAME', where: /^verify github$/ },
  { option: '--repository', variable: 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REPOSITORY', where: /^verify github$/ },
  { option: '--ref', variable: 'SIGSTORE_VERIFY_GITHUB_WORKFLOW_REF', where: /^verify github$/ },
  { option: '--index-url', variable: 'SIGSTORE_PYPI_INDEX_URL' },
];

/** Every command's help text, by command path ('' is the top level). */
async function allHelps(): Promise<Map<string, string>> {
  const helps = new Map<string, string>();
  const queue: string[][] = [[]];
  while (queue.length > 0) {
    const cmd = queue.shift()!;
    const r = await run([...cmd, '--help']);
    assert.equal(r.code, 0, `sigstore ${cmd.join(' ')} --help: ${r.err}`);
    helps.set(cmd.join(' '), r.out);
    for (const sub of subcommands(r.out)) queue.push([...cmd, sub]);
  }
  return helps;
}

/** Every source file under `dir` (recursively). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|cjs|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('every --help names its environment variables', () => {
  it('each option a variable stands for names it, in every command that lists the option', async () => {
    const helps = await allHelps();
    assert.ok(helps.size > 20, `${helps.size} commands walked`);
    const used = new Set<(typeof ENV)[number]>();
    for (const [cmd, help] of helps) {
      for (const block of optionBlocks(help)) {
        for (const row of ENV) {
          if (!block.names.includes(row.option) || (row.where && !row.where.test(cmd))) continue;
          used.add(row);
          assert.ok(block.text.includes(row.variable), `sigstore ${cmd} --help: ${row.option} does not name ${row.variable}:\n${block.text}`);
        }
      }
    }
    for (const row of ENV) assert.ok(used.has(row), `no --help lists ${row.option} (${row.variable}): a stale row`);
  });

  it('every SIGSTORE_* variable the code reads is named by some --help', async () => {
    const text = [...(await allHelps()).values()].join('\n');
    const read = new Set<string>();
    for (const f of [...sources(join(ROOT, 'src')), join(ROOT, 'bin', 'sigstore')]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bSIGSTORE_[A-Z0-9_]+\b/g)) read.add(m[0]);
    }
    assert.ok(read.size > 25, [...read].join(' '));
    const missing = [...read].filter((v) => !new RegExp(`\\b${v}\\b`).test(text));
    assert.deepEqual(missing, [], `variables no --help names: ${missing.join(', ')}`);
  });

  it('the variables the helps name are read: an invalid value is a usage error, never ignored', async () => {
    const bundle = join(CONFORMANCE_DIR, 'happy-path-v0.3', 'bundle.sigstore.json');
    const a = join(CONFORMANCE_DIR, 'a.txt');
    const id = ['--cert-identity', 'x@example.com', '--cert-oidc-issuer', 'https://example.com'];
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['verify', 'identity', '--offline', ...id, '--bundle', bundle, a], { SIGSTORE_THREADS: 'many' }, /SIGSTORE_THREADS must be a positive whole number/],
      [['verify', 'identity', ...id, '--bundle', bundle, a], { SIGSTORE_OFFLINE: 'maybe' }, /SIGSTORE_OFFLINE must be a boolean/],
      [['verify', 'slsa', '--provenance', bundle, '--source-uri', 'github.com/o/r', a], { SIGSTORE_OFFLINE: 'maybe' }, /SIGSTORE_OFFLINE must be a boolean/],
      [['attestation', 'audit', '--offline', join(ROOT, 'test', 'fixtures', 'pypi')], { SIGSTORE_THREADS: '0' }, /SIGSTORE_THREADS must be a positive whole number/],
    ];
    for (const [args, env, message] of cases) {
      const r = await run(args, env);
      assert.equal(r.code, 2, `${Object.entries(env)[0]!.join('=')} sigstore ${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
  });
});
