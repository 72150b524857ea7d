/**
 * Argument parsing shared by every command, strict: unknown flags, missing values and
 * positionals where none are taken are usage errors ({@link UsageError}, exit 2). The same
 * rules as node's `util.parseArgs` in strict mode, written here because loading and compiling
 * that module costs about a millisecond of a one-shot verification (this file is in the
 * single-file CLI's code cache).
 */
import { UsageError } from '../errors.js';
import type { TrustFlags } from '../trust/instances.js';

/** One flag: a boolean switch or an option taking a string value; `multiple` collects every use. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export type Options = Record<string, OptionSpec>;

export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** Global flags, accepted before or after the command name. */
export const GLOBAL_OPTIONS: Options = {
  verbose: { type: 'boolean', short: 'v', multiple: true },
  staging: { type: 'boolean' },
  instance: { type: 'string' },
  'trust-config': { type: 'string' },
  'trust-cache': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Parses `argv` against `options` (plus the global ones). Accepted: `--name VALUE`,
 * `--name=VALUE`, `-n VALUE`, `-nVALUE`, grouped short switches (`-qv`), and `--` before
 * positionals that start with a dash. A value that looks like an option (`--bundle --json`) is
 * refused, as argparse and util.parseArgs refuse it: `--name=-VALUE` gives one on purpose.
 */
export function parse(argv: string[], options: Options, { allowPositionals = true } = {}): Parsed {
  const all: Options = { ...GLOBAL_OPTIONS, ...options };
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(all)) if (o.short) byShort.set(o.short, name);
  const values: Parsed['values'] = {};
  const positionals: string[] = [];
  const set = (name: string, value: string | boolean) => {
    if (!all[name]!.multiple) values[name] = value;
    else if (Array.isArray(values[name])) (values[name] as (string | boolean)[]).push(value);
    else values[name] = [value];
  };
  const optionLike = (v: string | undefined) => v !== undefined && v.length > 1 && v.startsWith('-');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = Object.hasOwn(all, name) ? all[name] : undefined;
      if (!spec) usage(`unrecognized option '--${name}'`);
      if (spec.type === 'boolean') {
        if (eq >= 0) usage(`argument --${name}: ignored explicit argument '${a.slice(eq + 1)}'`);
        set(name, true);
      } else if (eq >= 0) {
        set(name, a.slice(eq + 1));
      } else {
        const v = argv[i + 1];
        if (v === undefined || optionLike(v)) usage(`argument --${name}: expected one argument${v === undefined ? '' : ` (to give a value starting with '-', use --${name}=${v})`}`);
        set(name, v);
        i++;
      }
    } else if (optionLike(a)) {
      for (let k = 1; k < a.length; k++) {
        const name = byShort.get(a[k]!);
        if (name === undefined) usage(`unrecognized option '-${a[k]}'`);
        if (all[name]!.type === 'boolean') {
          set(name, true);
          continue;
        }
        // A short option that takes a value takes the rest of the word, else the next word.
        const rest = a.slice(k + 1);
        const v = rest.length > 0 ? rest : argv[i + 1];
        if (v === undefined || (rest.length === 0 && optionLike(v))) usage(`argument -${a[k]}: expected one argument`);
        set(name, v);
        if (rest.length === 0) i++;
        break;
      }
    } else {
      positionals.push(a);
    }
  }
  if (!allowPositionals && positionals.length > 0) usage(`unrecognized arguments: ${positionals.map(shown).join(' ')}`);
  return { values, positionals };
}

/** The global options that take a value. */
export const GLOBAL_VALUED: ReadonlySet<string> = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => `--${name}`),
);

const DETACHED = new Set(['--certificate', '--cert', '--signature', '--sig']);

/**
 * Whether `a` gives an option of detached verification, as `--name` or `--name=value`
 * (`/^--(certificate|cert|signature|sig)(=|$)/`, without compiling a regular expression at start-up).
 */
export function isDetachedOption(a: string): boolean {
  const eq = a.indexOf('=');
  return DETACHED.has(eq < 0 ? a : a.slice(0, eq));
}

/** Whether `a` is `-v`, `-vv`, ... (`/^-v+$/`, without compiling a regular expression at start-up). */
export function isVerboseFlag(a: string): boolean {
  if (a.length < 2 || a[0] !== '-') return false;
  for (let i = 1; i < a.length; i++) if (a[i] !== 'v') return false;
  return true;
}

/**
 * Where the command is in the whole command line: the first word that is neither an option nor
 * the value of a global option (-1 when there is none). The dispatcher (main.ts) and the
 * single-file CLI's hand-off (bin.ts) find it the same way.
 */
export function commandIndex(argv: string[]): number {
  return argv.findIndex((a, i) => !a.startsWith('-') && !GLOBAL_VALUED.has(argv[i - 1] ?? ''));
}

/**
 * Splits a command group's argv (`plumbing`, `instance`, `attestation`) into its subcommand, the
 * first word that is neither an option nor the value of an option in `valued` (none after
 * `--`), and the other arguments.
 */
export function splitSubcommand(argv: string[], valued: ReadonlySet<string> = GLOBAL_VALUED): { sub: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (valued.has(a)) i++;
    else if (!a.startsWith('-')) return { sub: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { sub: undefined, rest: argv };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  if (Array.isArray(v)) return v.at(-1) as string | undefined;
  return typeof v === 'string' ? v : undefined;
}

export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

export function flag(p: Parsed, name: string): boolean {
  const v = p.values[name];
  return Array.isArray(v) ? v.length > 0 : v === true;
}

/** Refuses combinations of flags that exclude each other. */
export function exclusive(p: Parsed, names: string[]): void {
  const given = names.filter((n) => p.values[n] !== undefined && p.values[n] !== false);
  if (given.length > 1) throw new UsageError('USAGE', `${given.map((n) => `--${n}`).join(' and ')} cannot be used together`);
}

/**
 * A word of the command line as an error message may repeat it: one that looks like a secret
 * (a JWT: three base64url parts) is not repeated, and a long one is cut.
 */
export function shown(word: string): string {
  if (word.length > 20 && /^[\w-]+\.[\w-]+\.[\w-]*$/.test(word)) return '(a value that looks like a token, not shown)';
  return word.length > 80 ? `${word.slice(0, 40)}... (${word.length} characters)` : word;
}

export function usage(message: string): never {
  throw new UsageError('USAGE', message);
}

/**
 * Whether `SIGSTORE_OFFLINE` asks for offline trust material, read as sigstore-python reads a
 * boolean (`1/0, true/false, yes/no, on/off, y/n, t/f`; empty is unset); any other value is a
 * usage error, never ignored.
 */
export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.SIGSTORE_OFFLINE?.trim() ?? '';
  if (v === '' || /^(0|false|no|off|n|f)$/i.test(v)) return false;
  if (/^(1|true|yes|on|y|t)$/i.test(v)) return true;
  return usage(`SIGSTORE_OFFLINE must be a boolean (1/0, true/false, yes/no, on/off), not ${JSON.stringify(v)}`);
}

/**
 * The trust flags of a command line: --staging, --instance, --trust-config, --trusted-root,
 * --trust-cache, and --offline (or `SIGSTORE_OFFLINE=1`) where the command takes it.
 */
export function trustFlags(p: Parsed, offline: boolean = flag(p, 'offline')): TrustFlags {
  return {
    trustedRoot: str(p, 'trusted-root'),
    trustConfig: str(p, 'trust-config'),
    staging: flag(p, 'staging'),
    instance: str(p, 'instance'),
    trustCache: str(p, 'trust-cache'),
    offline: offline || offlineFromEnv(),
  };
}
