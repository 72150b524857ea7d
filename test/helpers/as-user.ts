/**
 * Running the CLI as another user (tests running as root use uid 65534, so that chmod a-w means
 * read-only). That user may not be able to enter the checkout (a clone under `mktemp -d` is mode
 * 700), so it runs a world-readable copy of what an installed package holds: bin/, dist/, trust/,
 * schemas/, package.json and the runtime packages of node_modules ("dependencies" and what they
 * depend on), in a directory under os.tmpdir() removed by `cleanup()`. Inputs the CLI reads must
 * be world-readable too: `share()` copies a file into the copy's `files/` directory.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface OtherUser {
  uid: number;
  gid: number;
  /** The copy of the package. */
  root: string;
  /** The copy's bin/sigstore. */
  cli: string;
  /** A directory the user can enter (the copy's root), to run from. */
  cwd: string;
  /** Copies a file into the copy (world-readable) and returns its new path. */
  share(file: string): string;
  cleanup(): void;
}

/** The runtime packages: "dependencies" of package.json, with theirs, as directories to copy. */
function runtimePackages(): Set<string> {
  const out = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    // Node's resolution: the nearest node_modules up from the requiring package.
    let dir: string | undefined;
    for (let d = fromDir; ; d = join(d, '..')) {
      const cand = join(d, 'node_modules', name);
      if (existsSync(join(cand, 'package.json'))) {
        dir = cand;
        break;
      }
      if (d === ROOT || d === '/') break;
    }
    if (!dir) {
      if (optional) return;
      throw new Error(`runtime dependency ${name} is not installed (run npm ci)`);
    }
    if (out.has(dir)) return;
    out.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) visit(dep, dir, true);
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, ROOT, false);
  return out;
}

function makeReadable(p: string): void {
  const st = statSync(p);
  if (st.isDirectory()) {
    chmodSync(p, 0o755);
    for (const f of readdirSync(p)) makeReadable(join(p, f));
  } else chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
}

/**
 * When running as root: uid/gid 65534 and a world-readable copy of the package to run as it.
 * Otherwise undefined: the caller runs the CLI as itself (its own permissions already apply).
 */
export function otherUser(): OtherUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const root = mkdtempSync(join(tmpdir(), 'sigstore-ts-asuser-'));
  try {
    for (const p of ['bin', 'dist', 'trust', 'schemas', 'package.json']) {
      if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(root, p), { recursive: true, dereference: true });
    }
    for (const dir of [...runtimePackages()].sort()) {
      // A nested package (node_modules/a/node_modules/b) comes with its parent's copy.
      const dest = join(root, dir.slice(ROOT.length + 1));
      if (!existsSync(dest)) cpSync(dir, dest, { recursive: true, dereference: true });
    }
    mkdirSync(join(root, 'files'));
    makeReadable(root);
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  let n = 0;
  return {
    uid: 65534,
    gid: 65534,
    root,
    cli: join(root, 'bin', 'sigstore'),
    cwd: root,
    share(file: string): string {
      const dest = join(root, 'files', String(n++));
      mkdirSync(dest, { mode: 0o755 });
      chmodSync(dest, 0o755);
      const out = join(dest, basename(file));
      cpSync(file, out);
      chmodSync(out, 0o644);
      return out;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
