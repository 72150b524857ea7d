// Summarizes a V8 CPU profile (node --cpu-prof): self time by function and by file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Top entries of the first .cpuprofile in `dir`: total ms, by function, by file. */
export function summarize(dir, top = 15) {
  const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  p.samples.forEach((s, i) => {
    selfUs.set(s, (selfUs.get(s) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const byFn = new Map();
  const byFile = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id).callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/') : `(${cf.functionName || 'native'})`;
    const fn = `${cf.functionName || '(anonymous)'} ${cf.url ? `${file}:${cf.lineNumber + 1}` : ''}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    total += us;
  }
  const sorted = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ name: k, ms: us / 1000 }));
  return { totalMs: total / 1000, byFunction: sorted(byFn), byFile: sorted(byFile) };
}
