/**
 * Argument parsing shared by every command: node's own `util.parseArgs` (no dependency, no
 * start-up cost) in strict mode, with usage errors turned into {@link UsageError} (exit 2).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { TrustFlags } from '../trust/instances.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

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

/** Parses `argv` against `options` (plus the global ones); unknown flags are usage errors. */
export function parse(argv: string[], options: Options, { allowPositionals = true } = {}): Parsed {
  try {
    const r = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!.replace(/^Unknown option '(.*?)'.*$/, "unrecognized option '$1'");
    throw new UsageError('USAGE', msg);
  }
}

/** The global options that take a value. */
export const GLOBAL_VALUED: ReadonlySet<string> = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => `--${name}`),
);

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

export function usage(message: string): never {
  throw new UsageError('USAGE', message);
}

/** The trust flags of a command line: --staging, --instance, --trust-config, --trusted-root, --trust-cache, --offline. */
export function trustFlags(p: Parsed, offline: boolean = flag(p, 'offline')): TrustFlags {
  return {
    trustedRoot: str(p, 'trusted-root'),
    trustConfig: str(p, 'trust-config'),
    staging: flag(p, 'staging'),
    instance: str(p, 'instance'),
    trustCache: str(p, 'trust-cache'),
    offline,
  };
}
