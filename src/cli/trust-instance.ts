/**
 * `sigstore trust-instance ROOT_JSON --instance URL`: pins the TUF root of a Sigstore instance
 * (obtained out of band) for its TUF repository URL, then fetches the instance's trust material
 * once through TUF to prove the pin works. Afterwards `--instance URL` selects that instance.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { readFailure } from '../lib/input-file.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { trustInstance } from '../trust/load.js';
import { flag, parse, str, usage } from './args.js';

const HELP = `usage: sigstore trust-instance [-h] --instance URL [--trust-cache DIR] ROOT_JSON

pin the TUF root (ROOT_JSON, obtained out of band) of the Sigstore instance whose TUF
repository is at URL, and fetch its trust material once through TUF. Afterwards
\`sigstore --instance URL ...\` signs and verifies with that instance.

positional arguments:
  ROOT_JSON             the instance's TUF root metadata (root.json)

options:
  --instance URL        the instance's TUF repository URL (required)
  --trust-cache DIR     where TUF metadata and targets are kept (default: $SIGSTORE_TRUST_CACHE,
                        else the XDG data and cache directories)
  -h, --help            show this help message and exit
`;

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, {});
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  if (flag(p, 'staging') || str(p, 'trust-config')) usage('trust-instance pins a TUF repository: use --instance URL (not --staging or --trust-config)');
  const url = str(p, 'instance');
  if (!url) usage('the following arguments are required: --instance URL');
  if (p.positionals.length !== 1) usage(p.positionals.length === 0 ? 'the following arguments are required: ROOT_JSON' : 'trust-instance takes one ROOT_JSON');
  const file = p.positionals[0]!;
  let root: Buffer;
  try {
    root = readFileSync(file);
  } catch (e) {
    throw new UsageError('TRUST_FILE_UNREADABLE', `cannot read root ${file}: ${readFailure(e)}`);
  }
  const active = await trustInstance(root, url!, { cacheDir: str(p, 'trust-cache') });
  const o = active.origin;
  writeStderr(
    `trusted ${o.repository}: TUF root v${o.rootVersion} pinned, timestamp v${o.timestampVersion} (expires ${o.expires?.toISOString()}), metadata in ${o.path}\n`,
  );
  return 0;
}
