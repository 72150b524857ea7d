// Shared helpers for scripts/bench.mjs: alternating timed runs and summary statistics.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** GNU time, when installed, gives each run's peak RSS (and CPU time, in 10 ms steps). */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** perf stat, when it works here, gives each run's CPU time (task-clock) precisely. */
const PERF = ['/usr/bin/perf', '/usr/local/bin/perf'].find((p) => existsSync(p) && spawnSync(p, ['stat', '-x,', '-e', 'task-clock', 'true']).status === 0);
const timeOut = join(tmpdir(), `bench-time-${process.pid}.txt`);
const perfOut = join(tmpdir(), `bench-perf-${process.pid}.txt`);
process.on('exit', () => {
  rmSync(timeOut, { force: true });
  rmSync(perfOut, { force: true });
});

/** How CPU time is measured, for the report. */
export const CPU_SOURCE = PERF ? 'perf stat task-clock' : GNU_TIME ? 'GNU time (10 ms resolution)' : 'none';

/** Median, min and max of a list of numbers. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/**
 * The per-round differences `a[i] - b[i]` of two commands timed in the same alternate() call,
 * summarized. Each round runs the commands back to back, so the machine's drift between rounds
 * (its speed here wanders by tens of percent over seconds) cancels out of each difference, which
 * it does not from a difference of two medians: two nearly identical programs (`node empty.js`
 * and `node -e 0`) measured 11.5 ms apart in medians and 0.5 ms apart paired, from the same 40
 * rounds.
 */
export function pairedDiff(a, b) {
  return stats(a.map((x, i) => x - b[i]));
}

/** The per-round ratios `a[i] / b[i]` (see {@link pairedDiff}), summarized. */
export function pairedRatio(a, b) {
  return stats(a.map((x, i) => x / b[i]));
}

/**
 * Runs a command once: its wall time in ms, CPU time (user + system, ms) and peak RSS (MB) when
 * GNU time is there. Throws when it exits with another status than `expectStatus`.
 */
export function timeCmd(cmd, expectStatus = 0, env = process.env) {
  let argv = PERF ? [PERF, 'stat', '-x,', '-e', 'task-clock', '-o', perfOut, '--', ...cmd] : cmd;
  if (GNU_TIME) argv = [GNU_TIME, '-f', '%U %S %M', '-o', timeOut, ...argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let cpu;
  let rssMB;
  if (GNU_TIME) {
    const [u, s, m] = readFileSync(timeOut, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = (u + s) * 1000;
    rssMB = m / 1024;
  }
  if (PERF) {
    const line = readFileSync(perfOut, 'utf8').split('\n').find((l) => l.includes('task-clock'));
    cpu = Number(line.split(',')[0]);
  }
  if (expectStatus !== undefined && r.status !== expectStatus) {
    throw new Error(`${cmd.join(' ')} exited ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${r.stderr?.toString().slice(0, 2000)}`);
  }
  return { ms, cpu, rssMB };
}

/**
 * Runs each named command `runs` times, alternating (a b c a b c ...), after `warmup` rounds,
 * and returns the wall times per name.
 */
export function alternate(cmds, runs, warmup = 1) {
  const names = Object.keys(cmds);
  const out = Object.fromEntries(names.map((n) => [n, { ms: [], cpu: [], rssMB: [] }]));
  for (let i = 0; i < warmup + runs; i++) {
    // Rotate the start so no command always runs first in a round.
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length];
      const c = cmds[n];
      const r = timeCmd(c.cmd ?? c, c.status ?? 0, c.env);
      if (i >= warmup) for (const k of ['ms', 'cpu', 'rssMB']) out[n][k].push(r[k]);
    }
  }
  return out;
}
