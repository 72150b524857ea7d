/**
 * sigstore-python's global environment variables, as extra global flags: `SIGSTORE_STAGING`
 * (`--staging`) and `SIGSTORE_LOGLEVEL` (`DEBUG` is `-v`). A flag on the command line wins: with
 * `--staging`, `--instance`, `--trust-config`, `--trusted-root` or `--signing-config` given,
 * `SIGSTORE_STAGING` is not applied. An invalid value is a usage error, never ignored.
 */
import { UsageError } from '../errors.js';
import { isVerboseFlag } from './args.js';
import { envFlag } from './get-identity-token.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The log levels Python's logging accepts by name (sigstore-python passes the variable to `setLevel`). */
const LEVELS = new Set(['CRITICAL', 'FATAL', 'ERROR', 'WARN', 'WARNING', 'INFO', 'DEBUG', 'NOTSET']);

const INSTANCE_FLAGS = ['--staging', '--instance', '--trust-config', '--trusted-root', '--signing-config'];

/** The global flags the environment adds to `argv` (none when it asks for nothing). */
export function envGlobals(argv: readonly string[], env: Env = process.env): string[] {
  const out: string[] = [];
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  const given = (f: string) => words.some((a) => a === f || a.startsWith(`${f}=`));
  if (envFlag(env, 'SIGSTORE_STAGING') && !INSTANCE_FLAGS.some(given)) out.push('--staging');
  const level = env.SIGSTORE_LOGLEVEL;
  if (level !== undefined && level !== '') {
    if (!LEVELS.has(level.toUpperCase())) {
      throw new UsageError('USAGE', `SIGSTORE_LOGLEVEL: ${JSON.stringify(level)} is not a log level (use DEBUG, INFO, WARNING, ERROR or CRITICAL)`);
    }
    if (level.toUpperCase() === 'DEBUG' && !words.some((a) => a === '--verbose' || isVerboseFlag(a))) out.push('-v');
  }
  return out;
}
