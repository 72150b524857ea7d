// Preloaded (--import) into every test file's process by scripts/test.mjs: gives the file its own
// temporary directory (TMPDIR, so os.tmpdir() and the programs it starts use it) inside the run's
// directory SIGSTORE_TEST_TMP_ROOT, so that the runner can name the test file that left
// temporary files behind. Mode 1777, like /tmp: a test may run the CLI as another user.
import { chmodSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.env.SIGSTORE_TEST_TMP_ROOT;
const file = process.argv[1];
if (root && file?.endsWith('.test.ts') && !process.env.SIGSTORE_TEST_TMP_FILE) {
  const name = relative(join(process.cwd(), 'test'), file).replaceAll('/', '-').replaceAll('\\', '-');
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  process.env.SIGSTORE_TEST_TMP_FILE = name;
}
