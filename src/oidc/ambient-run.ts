/**
 * What every ambient provider detector shares: its context (audience, environment, time limit,
 * log) and running a provider's own command (`buildkite-agent`, `circleci`) found on `PATH`.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AmbientOptions, AmbientProvider } from './ambient.js';
import { AmbientCredentialError } from './errors.js';
import { DEFAULT_AUDIENCE } from './token.js';
import { REQUEST_TIMEOUT_MS, snippet } from './util.js';

/**
 * @example
 * ```ts
 * const c: Ctx = ctx({ audience: 'sigstore' });
 * c.log(`asking for a token for ${c.audience}`);
 * ```
 */
export interface Ctx {
  audience: string;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  options: AmbientOptions;
  log: (m: string) => void;
}

/**
 * @example
 * ```ts
 * const c = ctx({ audience: 'sigstore', env: process.env });
 * ```
 */
export function ctx(options: AmbientOptions): Ctx {
  return {
    audience: options.audience ?? DEFAULT_AUDIENCE,
    env: options.env ?? process.env,
    timeoutMs: options.timeoutMs ?? REQUEST_TIMEOUT_MS,
    options,
    log: options.log ?? (() => {}),
  };
}

/**
 * @example
 * ```ts
 * const agent = which('buildkite-agent', process.env); // undefined when not on PATH
 * ```
 */
export function which(name: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = join(dir, name + ext);
      try {
        if (statSync(p).isFile()) {
          accessSync(p, constants.X_OK);
          return p;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * @example
 * ```ts
 * const jwt = await runProvider(ctx({}), 'buildkite', 'Buildkite', 'buildkite-agent', ['oidc', 'request-token', '--audience', 'sigstore']);
 * ```
 */
export async function runProvider(c: Ctx, provider: AmbientProvider, label: string, command: string, args: string[]): Promise<string> {
  const fail = (m: string): never => {
    throw new AmbientCredentialError(provider, 'AMBIENT_CREDENTIAL_ERROR', `${label}: ${m}`);
  };
  const exe = which(command, c.env);
  if (!exe) return fail(`could not find \`${command}\` on PATH`);
  c.log(`${label}: running ${command} ${args.join(' ')}`);
  const { code, stdout, stderr, error } = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }>((resolve) => {
    execFile(
      exe,
      args,
      { env: c.env as NodeJS.ProcessEnv, timeout: c.timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: unknown; killed?: boolean }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr), ...(e ? { error: e } : {}) });
      },
    );
  });
  if (error && (error as { killed?: boolean }).killed) fail(`\`${command}\` did not finish within ${Math.round(c.timeoutMs / 1000)} s`);
  if (code !== 0) {
    const out = snippet(`${stdout} ${stderr}`);
    fail(`\`${command}\` failed${code === null ? '' : ` (exit status ${code})`}${out ? `: ${out}` : ''}`);
  }
  const token = stdout.trim();
  if (token.length === 0) fail(`\`${command}\` printed no token`);
  c.log(`${label}: got an OIDC token`);
  return token;
}
