// The test command's reporter: a dot per passing test (a letter per failure), then every failure
// in full (name, file, error), then the totals as node's TAP reporter prints them ('# tests N',
// '# pass N', ...) and one plain line 'N passed, N failed, N skipped'. A suite's own result is
// not counted, only its tests'. Diagnostics (the runner's counts) are replaced by our own.
const WIDTH = 80;

export default async function* reporter(source) {
  const failures = [];
  let pass = 0;
  let fail = 0;
  let skip = 0;
  let todo = 0;
  let column = 0;
  let durationMs;
  const mark = (c) => {
    column++;
    return column % WIDTH === 0 ? `${c}\n` : c;
  };
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:pass' || type === 'test:fail') {
      if (data.details?.type === 'suite') {
        // A suite that failed by itself (a hook, a timeout) has no failing test to show it.
        if (type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
          fail++;
          failures.push(data);
          yield mark('F');
        }
        continue;
      }
      if (data.skip !== undefined) {
        skip++;
        yield mark('s');
      } else if (data.todo !== undefined) {
        todo++;
        yield mark('t');
      } else if (type === 'test:pass') {
        pass++;
        yield mark('.');
      } else {
        fail++;
        failures.push(data);
        yield mark('F');
      }
    } else if (type === 'test:diagnostic' && /^duration_ms /.test(data.message) && data.nesting === 0) {
      durationMs = Number(data.message.split(' ')[1]);
    } else if (type === 'test:stderr' || type === 'test:stdout') {
      // Output of a test file outside any test: shown only when something failed (below).
    }
  }
  let out = column % WIDTH === 0 ? '\n' : '\n\n';
  for (const [i, f] of failures.entries()) {
    const err = f.details?.error;
    const cause = err?.cause ?? err;
    const message = String(cause?.message ?? cause ?? 'failed').split('\n').slice(0, 20).join('\n    ');
    const at = String(cause?.stack ?? '')
      .split('\n')
      .filter((l) => /^\s+at /.test(l) && !l.includes('node:'))
      .slice(0, 3)
      .map((l) => `    ${l.trim()}`)
      .join('\n');
    out += `FAIL ${i + 1}: ${f.name}\n  in ${f.file ?? '?'}${f.line ? `:${f.line}` : ''}\n    ${message}\n${at ? `${at}\n` : ''}\n`;
  }
  out += `# tests ${pass + fail + skip + todo}\n# pass ${pass}\n# fail ${fail}\n# skipped ${skip}\n# todo ${todo}\n`;
  if (durationMs !== undefined) out += `# duration_ms ${durationMs}\n`;
  out += `${pass} passed, ${fail} failed, ${skip} skipped\n`;
  yield out;
}
