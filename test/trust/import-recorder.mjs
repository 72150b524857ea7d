// Loaded with `node --import`: records the URL of every module the process loads into the file
// named by $SIGSTORE_TEST_IMPORT_LOG (one per line), so a test can tell which chunks a CLI run used.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
const log = process.env.SIGSTORE_TEST_IMPORT_LOG;
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (log) appendFileSync(log, r.url + '\\n');
  return r;
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
