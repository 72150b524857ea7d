/**
 * The GitHub Action's `inputs`: whitespace-separated paths and glob patterns, expanded as
 * Python's glob.glob does for gh-action-sigstore-python: `*`, `?` and `[...]` within one path
 * component, `**` for any number of directories; names starting with a dot only match a pattern
 * that starts with a dot. Matches come back sorted, without duplicates.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

const MAGIC = /[*?[]/;

/** A glob component as an anchored regular expression. */
function componentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su');
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Expands one pattern relative to `cwd`; paths come back as written (relative stays relative). */
export function expandGlob(pattern: string, cwd: string): string[] {
  if (!MAGIC.test(pattern)) return existsSync(isAbsolute(pattern) ? pattern : join(cwd, pattern)) ? [pattern] : [];
  const absolute = isAbsolute(pattern);
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let found: string[] = [absolute ? '/' : cwd];
  if (absolute) parts.shift();
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of found) {
      if (part === '**') {
        // Zero or more directories (hidden ones only by an explicit dot pattern).
        const stack = [base];
        while (stack.length > 0) {
          const d = stack.pop()!;
          next.push(d);
          for (const e of entries(d)) if (!e.startsWith('.') && isDir(join(d, e))) stack.push(join(d, e));
        }
      } else if (!MAGIC.test(part)) {
        const p = join(base, part);
        if (last ? existsSync(p) : isDir(p)) next.push(p);
      } else {
        const re = componentRegExp(part);
        for (const e of entries(base)) {
          if (e.startsWith('.') && !part.startsWith('.')) continue;
          if (re.test(e) && (last || isDir(join(base, e)))) next.push(join(base, e));
        }
      }
    }
    found = next;
  }
  const out = found.map((p) => (absolute ? p : relative(cwd, p) || '.'));
  return [...new Set(out)].sort();
}
