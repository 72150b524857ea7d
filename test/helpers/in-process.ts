/**
 * Runs the CLI in this process (src/cli/main.ts) with its output captured: faster than a child
 * process, and an instance started by the test keeps serving meanwhile. `env` sets (or, with
 * `undefined`, removes) environment variables for the run only.
 */
import { main } from '../../src/cli/main.js';
import { redirectOutput } from '../../src/lib/stdio.js';

export interface InProcessResult {
  code: number;
  out: string;
  err: string;
}

export async function runMain(args: string[], env: Record<string, string | undefined> = {}): Promise<InProcessResult> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let out = '';
  let err = '';
  const restore = redirectOutput((fd, text) => {
    if (fd === 1) out += text;
    else err += text;
  });
  try {
    return { code: await main(args), out, err };
  } finally {
    restore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
