/**
 * A static scan for error codes: the codes the verification sources can throw, and the codes the
 * tests assert. Used by test/verify/error-codes.test.ts (every code has a test) and by
 * scripts/mutate.mts (which checks are worth mutating).
 *
 * A code is an UPPER_SNAKE string literal in one of these positions:
 * - the code argument of an error constructor: `new XError('CODE', ...)`, or after the step of
 *   `new VerificationError('step', 'CODE', ...)`;
 * - the code argument of a local helper that throws with its `code` parameter, found by its
 *   signature (`function fail(code: string, ...)`, `const fail = (code: string, ...) =>`, a
 *   method `fail(code: string, ...)`), possibly after leading arguments (`note(2, 'CODE', ...)`);
 * - a value stored for a later throw: `code: 'CODE'` (attempt records) or `code = 'CODE'`.
 * Strings in other positions (`expect(Tag.BOOLEAN, 'BOOLEAN')`, hash names such as 'SHA2_256')
 * are not codes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** The sources whose codes must each have a test (issue 15). */
export const CODE_SOURCES = ['src/verify', 'src/bundle', 'src/lib/der.ts', 'src/lib/x509.ts', 'src/lib/cms.ts'];

const CODE = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}';

export interface ThrownCode {
  code: string;
  file: string;
  line: number;
}

/** Every .ts file under `paths` (files or directories, relative to the repository root). */
export function tsFiles(paths: string[], root = ROOT): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const abs = join(root, p);
    if (statSync(abs).isDirectory()) {
      for (const n of readdirSync(abs).sort()) walk(join(p, n));
    } else if (/\.(m?ts)$/.test(p) && !p.endsWith('.d.ts')) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

/** Source text with comments blanked (same length and line numbers), strings kept. */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && n === '*') {
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) {
        out += src[i] === '\n' ? '\n' : ' ';
        i++;
      }
      out += '  ';
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const q = c;
      out += c;
      i++;
      while (i < src.length && src[i] !== q) {
        if (src[i] === '\\') {
          out += src[i]! + (src[i + 1] ?? '');
          i += 2;
          continue;
        }
        out += src[i];
        i++;
      }
      out += q;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Names of functions in `src` that take a `code` parameter (helpers that throw with it). */
export function codeHelpers(src: string): Set<string> {
  const names = new Set<string>();
  const patterns = [
    /function\s+(\w+)\s*(?:<[^>]*>)?\(([^)]*)\)/g, // function fail(code: string, ...)
    /(?:const|let)\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s*)?\(([^)]*)\)\s*(?::[^=]+)?=>/g, // const note = (r, c: string) =>
    /^\s*(?:private\s+|static\s+|async\s+)*(\w+)\s*\(([^)]*)\)\s*:\s*(?:never|void)\s*\{/gm, // method fail(code: string): never {
  ];
  for (const re of patterns) {
    for (const m of src.matchAll(re)) {
      const params = m[2]!.split(',').map((p) => p.trim().split(/[?:=\s]/)[0]);
      if (params.some((p) => p === 'code' || p === 'c')) names.add(m[1]!);
    }
  }
  names.delete('constructor');
  return names;
}

/** The codes a source text can throw (see the module comment for the patterns). */
export function thrownCodes(src: string, file = ''): ThrownCode[] {
  const text = stripComments(src);
  const out: ThrownCode[] = [];
  const add = (code: string, index: number): void => {
    out.push({ code, file, line: text.slice(0, index).split('\n').length });
  };
  const res = [
    new RegExp(String.raw`new\s+\w*Error\(\s*(?:'[a-z]+'\s*,\s*)?'(${CODE})'`, 'g'),
    new RegExp(String.raw`\bcode\s*[:=]\s*'(${CODE})'`, 'g'),
  ];
  const helpers = [...codeHelpers(text)];
  if (helpers.length > 0) {
    res.push(new RegExp(String.raw`\b(?:${helpers.join('|')})\(\s*(?:[\w.]+\s*,\s*)?'(${CODE})'`, 'g'));
  }
  for (const re of res) for (const m of text.matchAll(re)) add(m[1]!, m.index! + m[0].length - m[1]!.length - 1);
  return out;
}

/** Every code thrown by the files under `paths`, with where. */
export function collectThrownCodes(paths = CODE_SOURCES, root = ROOT): ThrownCode[] {
  return tsFiles(paths, root).flatMap((f) => thrownCodes(readFileSync(join(root, f), 'utf8'), f));
}

/**
 * The codes the tests assert: a quoted UPPER_SNAKE literal outside comments in a test file
 * (`code: 'X'`, `rejectsAt('tlog', f, 'X')`, `e.code === 'X'`, a table of `[input, 'X']`).
 */
export function collectAssertedCodes(testDir = join(ROOT, 'test'), exclude: string[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const files = tsFiles([relative(ROOT, testDir)]).filter((f) => !f.includes('/fixtures/') && !exclude.some((x) => f.endsWith(x)));
  for (const f of files) {
    const text = stripComments(readFileSync(join(ROOT, f), 'utf8'));
    for (const m of text.matchAll(new RegExp(String.raw`['"\`](${CODE})['"\`]`, 'g'))) {
      const list = out.get(m[1]!) ?? [];
      if (!list.includes(f)) list.push(f);
      out.set(m[1]!, list);
    }
  }
  return out;
}
