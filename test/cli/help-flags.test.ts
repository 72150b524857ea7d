/**
 * No flag in any --help does nothing or always fails: every flag each command's --help lists is
 * parsed by that command, a flag shown with a value takes one (`--flag=VALUE`) and a switch
 * takes none (`--flag=VALUE` is refused). Commands are walked from the help texts themselves, so
 * a new command or subcommand is walked too. Run in process (main() with captured output).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runHelpCli as run, subcommands } from '../helpers/help-walk.js';


/** The flags a help text lists: `[short, long, takesValue]` from each option line. */
export function helpFlags(help: string): { names: string[]; valued: boolean }[] {
  const flags: { names: string[]; valued: boolean }[] = [];
  for (const line of help.split('\n')) {
    const m = /^ {2,}(-.*?)(?: {2,}|$)/.exec(line);
    if (!m) continue;
    // "-o, --output-file OUT" / "--certificate FILE, --cert FILE" / "--json": the names of one
    // line are aliases, and take a value when any of them is shown with one.
    const line_: { names: string[]; valued: boolean }[] = [];
    for (const part of m[1]!.split(/, (?=-)/)) {
      // A metavar follows after one space; so may a description, after a long option (`--rekor-version {1,2} the ...`).
      const f = /^(--?[A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](\S+))?(?: .*)?$/.exec(part.trim());
      assert.ok(f, `cannot read the option line ${JSON.stringify(line)}`);
      line_.push({ names: [f[1]!], valued: f[2] !== undefined });
    }
    const valued = line_.some((f) => f.valued);
    for (const f of line_) flags.push({ names: f.names, valued });
  }
  return flags;
}


describe('every flag in every --help is parsed by its command', () => {
  it('walks every command and subcommand', async () => {
    const seen: string[] = [];
    const queue: string[][] = [[]];
    let checked = 0;
    while (queue.length > 0) {
      const cmd = queue.shift()!;
      const help = await run([...cmd, '--help']);
      assert.equal(help.code, 0, `sigstore ${cmd.join(' ')} --help: ${help.err}`);
      assert.match(help.out, /usage: sigstore/, cmd.join(' '));
      seen.push(cmd.join(' '));
      for (const sub of subcommands(help.out)) queue.push([...cmd, sub]);
      for (const { names, valued } of helpFlags(help.out)) {
        for (const name of names) {
          if (name === '-h' || name === '--help' || name === '-V' || name === '--version') continue;
          const long = name.startsWith('--');
          const given = valued ? (long ? [`${name}=x`] : [name, 'x']) : [name];
          const r = await run([...cmd, ...given, '--help']);
          assert.equal(r.code, 0, `sigstore ${cmd.join(' ')} ${given.join(' ')} --help: ${r.err}`);
          if (long && !valued) {
            const v = await run([...cmd, `${name}=x`, '--help']);
            assert.equal(v.code, 2, `sigstore ${cmd.join(' ')}: the help shows ${name} without a value, but it takes one`);
          }
          if (long && valued && cmd.length > 0) {
            // A flag shown with a value must not be a switch: the next word is its value, not an input.
            // (Top level: the dispatcher only looks for the command; each command parses the globals.)
            const v = await run([...cmd, name, '--help']);
            assert.equal(v.code, 2, `sigstore ${cmd.join(' ')}: the help shows ${name} with a value, but it takes none`);
          }
          checked++;
        }
      }
    }
    for (const expected of ['sign', 'attest', 'verify identity', 'verify github', 'verify slsa', 'get-identity-token', 'inspect', 'attestation verify', 'attestation inspect', 'plumbing fix-bundle', 'instance serve', 'trust-instance']) {
      assert.ok(seen.includes(expected), `walked ${expected} (walked: ${seen.join(', ')})`);
    }
    assert.ok(checked > 100, `${checked} flags checked`);
  });

  it('reads option lines as the helps write them', () => {
    assert.deepEqual(helpFlags('  -o, --output-file OUT   x\n  --certificate FILE, --cert FILE\n  --json        print\n  --rekor-version {1,2} the\n  text --not-a-flag'), [
      { names: ['-o'], valued: true },
      { names: ['--output-file'], valued: true },
      { names: ['--certificate'], valued: true },
      { names: ['--cert'], valued: true },
      { names: ['--json'], valued: false },
      { names: ['--rekor-version'], valued: true },
    ]);
  });
});
