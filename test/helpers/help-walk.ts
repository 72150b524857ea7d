/**
 * Walking the CLI's help texts: every command and subcommand, found from the helps themselves
 * (so a new command is walked too). Used by the --help tests (help-flags, help-env).
 */
import { runCli } from './cli.js';
import { runMain } from './in-process.js';

/** Runs the CLI in process (main() with captured output); `instance`, or variables, as a process. */
export async function runHelpCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  if (args[0] === 'instance' || Object.keys(env).length > 0) {
    // `instance` writes through its own streams, and variables are best given to a process.
    const r = runCli(args, { env });
    return { code: r.code ?? -1, out: r.stdout, err: r.stderr };
  }
  return runMain(args);
}

/** The subcommands a help text lists under "commands:" (or verify's mode list). */
export function subcommands(help: string): string[] {
  const out: string[] = [];
  let inList = false;
  for (const line of help.split('\n')) {
    if (/^commands:$/.test(line)) inList = true;
    else if (inList && line.trim() === '') inList = false;
    else if (inList) {
      const m = /^ {2}([a-z][a-z0-9-]*) {2,}/.exec(line);
      if (m) out.push(m[1]!);
    }
    const mode = /^usage: sigstore verify \{([a-z,]+)\}/.exec(line);
    if (mode) out.push(...mode[1]!.split(','));
  }
  return out;
}
