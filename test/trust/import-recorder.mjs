// Loaded with `node --import`: records every module the process loads into the file named by
// $SIGSTORE_TEST_IMPORT_LOG, one line each: its URL, a tab, and 1 when it is a tuf-js (or @tufjs)
// module from node_modules or its code contains one, else 0. The check is made on the code as loaded, so a concurrent rebuild
// of dist/ cannot confuse it.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
const log = process.env.SIGSTORE_TEST_IMPORT_LOG;
const TUF = /node_modules[\\\\/](tuf-js|@tufjs)[\\\\/]/;
export async function load(url, context, next) {
  const r = await next(url, context);
  if (log) {
    const src = r.source === undefined || r.source === null ? '' : typeof r.source === 'string' ? r.source : Buffer.from(r.source).toString('utf8');
    appendFileSync(log, url + '\\t' + (TUF.test(url) || TUF.test(src) ? 1 : 0) + '\\n');
  }
  return r;
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

// CommonJS code (bin/sigstore runs the single-file dist/sigstore.cjs) does not pass through the
// loader hooks above: record it where Node compiles it.
import Module from 'node:module';
import { appendFileSync } from 'node:fs';

const log = process.env.SIGSTORE_TEST_IMPORT_LOG;
const TUF = /node_modules[\\/](tuf-js|@tufjs)[\\/]/;
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  if (log) appendFileSync(log, `file://${filename}\t${TUF.test(filename) || TUF.test(content) ? 1 : 0}\n`);
  return compile.call(this, content, filename);
};

// bin/sigstore compiles dist/sigstore.cjs itself (vm.Script, with the build's V8 code cache):
// record scripts compiled that way too.
import vm from 'node:vm';

const Script = vm.Script;
vm.Script = class RecordedScript extends Script {
  constructor(code, options) {
    if (log) appendFileSync(log, `file://${options?.filename ?? 'vm'}\t${TUF.test(String(code)) ? 1 : 0}\n`);
    super(code, options);
  }
};
