/**
 * docs/compat.md as a whole: the summary line at its top is recounted from the table (rows,
 * same, differ, missing, over the two peer parts; sigstore-ts's additions are not counted),
 * at least 95% of the rows are the same, every status is one the document defines, keys are
 * unique, and every section is checked row by row by a test/cli/compat-*.test.ts file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const ADDITIONS = 'sigstore-ts additions (not counted above)';
const text = readFileSync(join(ROOT, 'docs', 'compat.md'), 'utf8');
const rows: { section: string; key: string; status: string }[] = [];
{
  let section = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    const m = /^\| `([^`]+)` \|.*\| ([^|]+) \|$/.exec(line);
    if (m) rows.push({ section, key: m[1]!, status: m[2]!.trim() });
  }
}

describe('docs/compat.md', () => {
  it('keys are unique and every status is same, differs: why, missing (planned) or, for additions, addition', () => {
    assert.equal(new Set(rows.map((r) => r.key)).size, rows.length, 'keys are unique');
    for (const r of rows) {
      if (r.section === ADDITIONS) assert.equal(r.status, 'addition', r.key);
      else assert.match(r.status, /^(same|differs: .+|missing \(planned.*\))$/, r.key);
    }
  });

  it('the summary line counts the peer rows, and at least 95% are the same', () => {
    const peer = rows.filter((r) => r.section !== ADDITIONS);
    const same = peer.filter((r) => r.status === 'same').length;
    const differ = peer.filter((r) => r.status.startsWith('differs')).length;
    const missing = peer.filter((r) => r.status.startsWith('missing')).length;
    const pct = ((100 * same) / peer.length).toFixed(1);
    const summary = `**Peer rows: ${peer.length}: ${same} same (${pct}%), ${differ} differ, ${missing} missing.**`;
    assert.ok(text.includes(summary), `docs/compat.md should say: ${summary}`);
    assert.ok(same / peer.length >= 0.95, `${pct}% the same`);
    assert.ok(peer.length >= 180, `${peer.length} peer rows`);
  });

  it('every section is checked row by row by a compat-*.test.ts file', () => {
    const sections = [...new Set(rows.map((r) => r.section))];
    const files = readdirSync(join(ROOT, 'test', 'cli')).filter((f) => /^compat-.+\.test\.ts$/.test(f));
    const sources = files.map((f) => readFileSync(join(ROOT, 'test', 'cli', f), 'utf8')).join('\n');
    for (const s of sections) assert.ok(sources.includes(`checkSection(${JSON.stringify(s).replace(/"/g, "'")}`), `no checkSection('${s}', ...)`);
  });
});
