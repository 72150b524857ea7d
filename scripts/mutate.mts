#!/usr/bin/env node
/**
 * Mutation campaign over the verification checks (`npm run mutate`): each check in src/verify/**,
 * src/bundle/**, src/lib/der.ts, x509.ts and cms.ts is disabled in turn, and the tests that cover
 * that file must notice. A check is an `if (COND) ...` statement whose consequent refuses: it
 * throws, calls a refusal helper (`fail(...)`, `bundleFail(...)`, `note(rank, 'CODE', ...)`) or
 * returns a failed attempt (`{ code: 'CODE', ... }`); in src/verify also a guard that returns
 * `undefined`, `false` or a reason string (Merkle proof shape, SCT and CMS signature checks).
 *
 * Mutants per check:
 *   drop     the condition replaced by `false` (the check removed)
 *   negate   each comparison in the condition negated in turn (=== and !==, < and >=, > and <=)
 *
 * Each mutant is written into a private copy of the tree (one per worker, in the temp directory;
 * the worktree is never written) and the mapped test files run on it with node's test runner. A
 * mutant is killed when a test fails (the run stops at the first failure) or the run times out;
 * it survives when every test passes. The copy's file is restored after each mutant, and the
 * copies are removed at the end (also on Ctrl-C).
 *
 * Usage: node --import tsx scripts/mutate.mts [--file PATHPART]... [--limit N] [--workers N]
 *          [--kind drop|negate] [--tests FILE,...] [--list] [--report FILE] [--timeout S]
 *          [--survivors-of REPORT]   (only the mutants that survived in an earlier --report)
 * Exits 1 when a mutant survives, 2 on a usage error or when the unmutated tests fail.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { codeHelpers } from '../test/helpers/error-codes.js';

const ROOT = join(import.meta.dirname, '..');
const TARGETS = ['src/verify', 'src/bundle', 'src/lib/der.ts', 'src/lib/x509.ts', 'src/lib/cms.ts'];

// ---------------------------------------------------------------- finding the checks

/** `src` with comments, string, template and regex literal contents replaced by spaces. */
export function mask(src: string): string {
  const out = src.split('');
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  let prev = ''; // last significant character, to tell a regex literal from a division
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      const end = src.indexOf('\n', i);
      const e = end < 0 ? src.length : end;
      blank(i, e);
      i = e;
    } else if (c === '/' && n === '*') {
      const e = src.indexOf('*/', i + 2) + 2;
      blank(i, e);
      i = e;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
      prev = c;
    } else if (c === '/' && (prev === '' || '(,=:!&|?{};[+'.includes(prev) || /\breturn\s*$/.test(src.slice(Math.max(0, i - 8), i)))) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && (inClass || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      prev = '/';
    } else {
      if (!/\s/.test(c)) prev = c;
      i++;
    }
  }
  return out.join('');
}

/** Index of the bracket closing the one at `open` (in masked text). */
function closing(m: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < m.length; i++) {
    const c = m[i]!;
    if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** End (exclusive) of the statement starting at `from`: its `;` at depth 0, or its block. */
function statementEnd(m: string, from: number): number {
  if (m[from] === '{') return closing(m, from) + 1;
  let depth = 0;
  for (let i = from; i < m.length; i++) {
    const c = m[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) return i;
      depth--;
    } else if (c === ';' && depth === 0) return i + 1;
  }
  return m.length;
}

export interface Mutant {
  file: string;
  line: number;
  kind: 'drop' | 'negate';
  /** What changed, for the report. */
  description: string;
  /** The mutated source. */
  source: string;
}

const NEGATE: Record<string, string> = { '===': '!==', '!==': '===', '==': '!=', '!=': '==', '<': '>=', '>=': '<', '>': '<=', '<=': '>' };

/** The checks of one source file, and their mutants. */
export function mutantsOf(file: string, src: string): Mutant[] {
  const m = mask(src);
  const helpers = [...codeHelpers(m), 'fail', 'bundleFail', 'trustFail'];
  const refuses = new RegExp(`\\bthrow\\b|\\b(?:${helpers.join('|')})\\(|\\bcode:\\s*'`);
  const guard = /^\s*(?:\{\s*)?return\s+(?:undefined|false|'|`|"|\[\s*\]\s*;)/;
  const inVerify = file.startsWith('src/verify/');
  const out: Mutant[] = [];
  for (const hit of m.matchAll(/\bif\s*\(/g)) {
    const open = hit.index! + hit[0].length - 1;
    const close = closing(m, open);
    if (close < 0) continue;
    let k = close + 1;
    while (/\s/.test(m[k] ?? '')) k++;
    const end = statementEnd(m, k);
    const consequent = m.slice(k, end);
    // Only direct checks: no nested control flow in the consequent.
    if (/\b(?:if|for|while|switch)\b/.test(consequent) || consequent.length > 600) continue;
    // Statements after a masked `else` would belong to the else branch, not this check.
    const isCheck = refuses.test(consequent) || (inVerify && guard.test(src.slice(k, end)));
    if (!isCheck) continue;
    const line = src.slice(0, hit.index).split('\n').length;
    const cond = src.slice(open + 1, close);
    const at = (s: string) => `${s.replace(/\s+/g, ' ').slice(0, 90)}`;
    out.push({ file, line, kind: 'drop', description: `if (${at(cond)}) -> if (false)`, source: `${src.slice(0, open + 1)}false${src.slice(close)}` });
    const mc = m.slice(open + 1, close);
    for (const op of mc.matchAll(/===|!==|==|!=|<=|>=|=>|<<|>>|<|>/g)) {
      const o = op[0];
      if (!NEGATE[o]) continue;
      // `a<b>(` generics and `=>` are not comparisons; a `<` or `>` next to another is a shift.
      const p = open + 1 + op.index!;
      if ((o === '<' || o === '>') && (m[p + 1] === '=' || m[p - 1] === '=' || /^<\w+>\(/.test(m.slice(p)))) continue;
      const mutatedCond = `${cond.slice(0, op.index!)}${NEGATE[o]}${cond.slice(op.index! + o.length)}`;
      out.push({
        file,
        line,
        kind: 'negate',
        description: `${o} -> ${NEGATE[o]} in if (${at(mutatedCond)})`,
        source: `${src.slice(0, open + 1)}${mutatedCond}${src.slice(close)}`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- which tests cover a file

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(ROOT, dir)).sort()) {
    const p = join(dir, n);
    if (n === 'fixtures' || n === '.tmp') continue;
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const VERIFY_TESTS = ['test/verify/codes-signature.test.ts', 'test/verify/codes-tlog.test.ts', 'test/verify/tamper.test.ts'];
const MAP: [RegExp, string[]][] = [
  [/^src\/verify\/tlog\//, ['test/verify/codes-tlog.test.ts', 'test/verify/set.test.ts', 'test/verify/notes.test.ts', 'test/verify/tamper.test.ts']],
  [/^src\/verify\/name-constraints\.ts$/, ['test/verify/chain-constraints.test.ts', 'test/verify/codes-chain.test.ts']],
  [/^src\/verify\/extensions\.ts$/, ['test/verify/policy.test.ts', 'test/verify/policy-extensions.test.ts', 'test/verify/codes-chain.test.ts']],
  [/^src\/verify\/body\.ts$/, ['test/verify/codes-body.test.ts', 'test/verify/tamper.test.ts']],
  [/^src\/verify\/chain\.ts$/, ['test/verify/codes-chain.test.ts', 'test/verify/chain-constraints.test.ts', 'test/verify/tamper.test.ts']],
  [/^src\/verify\/sct\.ts$/, ['test/verify/sct.test.ts', 'test/verify/codes-chain.test.ts']],
  [/^src\/verify\/timestamp\.ts$/, ['test/verify/timestamp.test.ts', 'test/verify/timestamp-edges.test.ts', 'test/verify/codes-tlog.test.ts']],
  [/^src\/verify\/verifier\.ts$/, [...VERIFY_TESTS, 'test/verify/dsse-unsafe.test.ts']],
  [/^src\/verify\//, VERIFY_TESTS],
  [/^src\/bundle\/parse\.ts$/, ['test/bundle/parse.test.ts', ...VERIFY_TESTS]],
  [/^src\/bundle\//, ['test/verify/codes-signature.test.ts']],
  [/^src\/lib\/(der|x509|cms)\.ts$/, ['test/verify/timestamp.test.ts', 'test/verify/sct.test.ts', 'test/verify/codes-chain.test.ts', 'test/bundle/parse.test.ts']],
];

/**
 * The test files for a source file: its mapped set, every test named after it, and every test
 * under test/verify, test/bundle or test/lib that imports it directly.
 */
export function testsFor(file: string, all: string[]): string[] {
  const mapped = MAP.find(([re]) => re.test(file))?.[1] ?? VERIFY_TESTS;
  const stem = basename(file, '.ts');
  const named = all.filter((t) => t.endsWith('.test.ts') && new RegExp(`(^|[/-])${stem}([.-]|\\.test)`).test(t.slice(5)));
  const module = `/${file.replace(/^src\//, 'src/').replace(/\.ts$/, '.js')}'`;
  const importing = all.filter((t) => /^test\/(verify|bundle|lib)\/.*\.test\.ts$/.test(t) && !t.endsWith('conformance.test.ts') && readFileSync(join(ROOT, t), 'utf8').includes(module));
  return [...new Set([...mapped, ...named, ...importing])].filter((t) => existsSync(join(ROOT, t)));
}

// ---------------------------------------------------------------- running

/** A private copy of the tree for one worker. */
function makeCopy(base: string, i: number): string {
  const dir = join(base, `w${i}`);
  for (const p of ['src', 'test', 'trust', 'examples', 'bin', 'scripts', 'schemas', 'package.json', 'tsconfig.json']) {
    if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // Tests that run the built library or CLI (VerifierPool workers, bin/sigstore) need dist/: built
  // once from the unmutated copy, so those tests never kill a mutant (they cannot see it); the
  // tests that import src/ do.
  const b = spawnSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: dir, stdio: 'ignore' });
  if (b.status !== 0) throw new Error(`cannot build the copy in ${dir}`);
  return dir;
}

const running = new Set<ChildProcess>();

/** Runs `tests` in `cwd`; resolves to 'pass', 'fail' (first failing test, then stopped) or 'timeout'. */
function runTests(cwd: string, tests: string[], timeoutMs: number): Promise<{ result: 'pass' | 'fail' | 'timeout'; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...tests], {
      cwd,
      detached: true,
      env: { ...process.env, SIGSTORE_SKIP_BROWSER_INSTALL: '1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let out = '';
    let settled = false;
    const stop = (result: 'pass' | 'fail' | 'timeout', detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      }
      running.delete(child);
      resolve({ result, detail });
    };
    const timer = setTimeout(() => stop('timeout', `no result in ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // A failing test, not a `# TODO` one (a known defect pinned for another change).
      const fail = [...out.matchAll(/^\s*not ok \d+ - (.*)$/gm)].find((m) => !/# (TODO|SKIP)\b/.test(m[1]!));
      if (fail) stop('fail', fail[1]!.slice(0, 120));
      if (out.length > 1 << 20) out = out.slice(-4096);
    });
    child.stderr.resume();
    child.on('exit', (code) => stop(code === 0 ? 'pass' : 'fail', code === 0 ? '' : `exit ${code}`));
  });
}

interface Outcome {
  mutant: Omit<Mutant, 'source'>;
  status: 'killed' | 'survived' | 'timeout';
  by: string;
  ms: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string', multiple: true },
      limit: { type: 'string' },
      workers: { type: 'string', default: '2' },
      kind: { type: 'string' },
      tests: { type: 'string' },
      list: { type: 'boolean', default: false },
      report: { type: 'string' },
      timeout: { type: 'string', default: '240' },
      'survivors-of': { type: 'string' },
    },
  });
  const files = TARGETS.flatMap((t) => (statSync(join(ROOT, t)).isDirectory() ? walk(t) : [t]))
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => !values.file || values.file.some((p) => f.includes(p)));
  if (files.length === 0) {
    console.error('no source file matches --file');
    return 2;
  }
  const allTests = walk('test');
  let mutants = files.flatMap((f) => mutantsOf(f, readFileSync(join(ROOT, f), 'utf8')));
  if (values.kind) mutants = mutants.filter((m) => m.kind === values.kind);
  if (values['survivors-of']) {
    const previous = JSON.parse(readFileSync(values['survivors-of'], 'utf8')) as { outcomes: Outcome[] };
    const key = (m: Omit<Mutant, 'source'>) => `${m.file}|${m.kind}|${m.description}`;
    const survived = new Set(previous.outcomes.filter((o) => o.status === 'survived').map((o) => key(o.mutant)));
    mutants = mutants.filter((m) => survived.has(key(m)));
  }
  if (values.limit) mutants = mutants.slice(0, Number(values.limit));
  const testsOf = (f: string): string[] => (values.tests ? values.tests.split(',') : testsFor(f, allTests));
  if (values.list) {
    for (const m of mutants) console.log(`${m.file}:${m.line} ${m.kind} ${m.description}\n    tests: ${testsOf(m.file).join(' ')}`);
    console.log(`${mutants.length} mutants in ${files.length} files`);
    return 0;
  }

  const started = Date.now();
  const base = mkdtempSync(join(tmpdir(), 'sigstore-mutate-'));
  const cleanup = (): void => {
    for (const c of running) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {}
    }
    rmSync(base, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const nWorkers = Math.max(1, Math.min(Number(values.workers), mutants.length || 1));
    const copies = Array.from({ length: nWorkers }, (_, i) => makeCopy(base, i));
    const timeoutMs = Number(values.timeout) * 1000;

    // Baseline: every test set passes on the unmutated copy, else no mutant result means anything.
    const sets = [...new Set(mutants.map((m) => testsOf(m.file).join(',')))];
    console.log(`${mutants.length} mutants in ${files.length} files, ${nWorkers} workers; baseline of ${sets.length} test sets`);
    let nextSet = 0;
    const failures: string[] = [];
    await Promise.all(
      copies.map(async (dir) => {
        while (nextSet < sets.length && failures.length === 0) {
          const set = sets[nextSet++]!;
          const r = await runTests(dir, set.split(','), timeoutMs);
          if (r.result !== 'pass') failures.push(`the unmutated tests fail (${set}): ${r.detail}`);
        }
      }),
    );
    if (failures.length > 0) {
      console.error(failures[0]);
      return 2;
    }

    const outcomes: Outcome[] = [];
    let next = 0;
    const work = async (dir: string): Promise<void> => {
      while (next < mutants.length) {
        const m = mutants[next++]!;
        const path = join(dir, m.file);
        const original = readFileSync(path, 'utf8');
        const t0 = Date.now();
        writeFileSync(path, m.source);
        let r: Awaited<ReturnType<typeof runTests>>;
        try {
          r = await runTests(dir, testsOf(m.file), timeoutMs);
        } finally {
          writeFileSync(path, original);
        }
        const { source: _s, ...info } = m;
        const o: Outcome = { mutant: info, status: r.result === 'fail' ? 'killed' : r.result === 'timeout' ? 'timeout' : 'survived', by: r.detail, ms: Date.now() - t0 };
        outcomes.push(o);
        const tag = o.status === 'survived' ? 'SURVIVED' : o.status === 'timeout' ? 'killed (timeout)' : 'killed';
        console.log(`[${outcomes.length}/${mutants.length}] ${tag.padEnd(16)} ${m.file}:${m.line} ${m.kind}: ${m.description}${o.status === 'killed' ? `  <- ${o.by}` : ''}`);
      }
    };
    await Promise.all(copies.map(work));

    const survived = outcomes.filter((o) => o.status === 'survived');
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`\nmutants ${outcomes.length}, killed ${outcomes.length - survived.length} (${outcomes.filter((o) => o.status === 'timeout').length} by timeout), survived ${survived.length}, ${seconds} s`);
    for (const o of survived) console.log(`  SURVIVED ${o.mutant.file}:${o.mutant.line} ${o.mutant.kind}: ${o.mutant.description}`);
    if (values.report) writeFileSync(values.report, `${JSON.stringify({ seconds, workers: nWorkers, outcomes }, null, 1)}\n`);
    return survived.length > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
