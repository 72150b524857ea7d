/**
 * The interactive login's side of the user: opening the login page in their browser (the
 * `BROWSER` variable, else the platform's opener) and reading a pasted code.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Reads one line; `undefined` at end of input.
 *
 * @example
 * ```ts
 * const code = await readLine(process.stdin); // undefined at end of input
 * ```
 */
export function readLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, terminal: false });
    let got = false;
    rl.once('line', (line) => {
      got = true;
      rl.close();
      // A terminal or pipe left open must not keep the process alive once the code is read.
      input.pause();
      (input as { unref?: () => void }).unref?.();
      resolve(line);
    });
    rl.once('close', () => {
      if (!got) resolve(undefined);
    });
  });
}

/**
 * Opens `url` in the user's browser: the command in `$BROWSER` (with `%s` replaced by the URL, or
 * the URL appended), else `xdg-open` (Linux), `open` (macOS) or the URL handler (Windows).
 * Resolves to `false` when the command cannot be run or fails at once.
 *
 * @example
 * ```ts
 * if (!(await openInBrowser('https://example.com/login'))) console.error('open the link yourself');
 * ```
 */
export async function openInBrowser(url: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<boolean> {
  let cmd: string;
  let args: string[];
  const browser = env.BROWSER?.split(process.platform === 'win32' ? ';' : ':').find((b) => b.trim())?.trim();
  if (browser) {
    const words = browser.split(/\s+/);
    cmd = words[0]!;
    const rest = words.slice(1);
    args = rest.some((w) => w.includes('%s')) ? rest.map((w) => w.replaceAll('%s', url)) : [...rest, url];
  } else if (process.platform === 'darwin') {
    cmd = 'open';
    args = [url];
  } else if (process.platform === 'win32') {
    cmd = 'rundll32';
    args = ['url.dll,FileProtocolHandler', url];
  } else {
    cmd = 'xdg-open';
    args = [url];
  }
  return await new Promise<boolean>((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv, windowsHide: true });
    } catch {
      done(false);
      return;
    }
    child.once('error', () => done(false));
    child.once('exit', (code) => done(code === 0));
    // A browser started in the foreground keeps running: that is success too.
    const t = setTimeout(() => {
      child.unref();
      done(true);
    }, 2000);
    t.unref();
  });
}
