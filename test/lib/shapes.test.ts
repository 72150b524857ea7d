/**
 * The string shapes checked without regular expressions (src/lib/shapes.ts and the checks that
 * use it) agree with the regular expressions they replace, on generated strings near each shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDetachedOption, isVerboseFlag } from '../../src/cli/args.js';
import { digits, hasControlCharacter, hasJsWhitespace, isBase64Of32, isDecimal, isJsWhitespace, isPaddedBase64, isPlainDecimal, isPrintableAscii, isRfc3339, pemBody, withoutWhitespace } from '../../src/lib/shapes.js';
import { parseNote } from '../../src/verify/tlog/checkpoint.js';
import { originName, trustedOrigins } from '../../src/verify/tlog/checkpoint.js';
import type { TransparencyLog } from '../../src/trust/trusted-root.js';

/** Strings near `bases`: up to 4 characters replaced, inserted or deleted, from `alphabet`. */
function* near(bases: string[], alphabet: string, count = 6000, seed = 1): Generator<string> {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  };
  const chars = [...alphabet];
  for (const b of bases) yield b;
  for (let i = 0; i < count; i++) {
    const s = [...bases[rnd(bases.length)]!];
    for (let k = rnd(5); k > 0; k--) {
      const at = rnd(s.length + 1);
      const c = chars[rnd(chars.length)]!;
      const op = rnd(3);
      if (op === 0) s.splice(at, 1, c);
      else if (op === 1) s.splice(at, 0, c);
      else s.splice(at, 1);
    }
    yield s.join('');
  }
}

/** Checks `f` against `re` on every string, and that both answers occur. */
function agrees(f: (s: string) => boolean, re: RegExp, strings: Iterable<string>): void {
  const seen = new Set<boolean>();
  for (const s of strings) {
    const want = re.test(s);
    assert.equal(f(s), want, `${re} on ${JSON.stringify(s)}`);
    seen.add(want);
  }
  assert.equal(seen.size, 2, `${re}: the cases hold matches and non-matches`);
}

const WS = ' \t\n\r\v\f\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

test('digits, decimals and 64-bit sizes', () => {
  agrees((s) => digits(s), /^\d*$/, near(['', '0', '12345', '999'], '0123456789a-+ \u0660'));
  agrees(isDecimal, /^-?\d+$/, near(['0', '-1', '12345', '-', '--1'], '0123456789-+ .\u0661'));
  agrees(isPlainDecimal, /^(0|[1-9]\d{0,19})$/, near(['0', '7', '18446744073709551615', '100000000000000000000', '00'], '0123456789-+ '));
});

test('RFC 3339 date-times', () => {
  const bases = ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.123456789Z', '2024-01-01T00:00:00+01:00', '2024-01-01T00:00:00.5-12:30', '2024-01-01T00:00:00.Z'];
  agrees(isRfc3339, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, near(bases, '0123456789-:.TZ+ zt\n', 20000));
});

test('base64 of 32 bytes, control characters, printable ASCII', () => {
  const h = 'aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=';
  agrees(isBase64Of32, /^[A-Za-z0-9+/]{43}=$/, near([h, `${h}=`, h.slice(1)], 'Az09+/=-_ \n.'));
  agrees(hasControlCharacter, /[\u0000-\u0009\u000b-\u001f]/, near(['rekor.sigstore.dev - 1\n10\nabc=\n', ''], 'a\n\t\r\u0000\u001f\u0020\u007f\u0085'));
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  agrees((s) => isPrintableAscii(latin1(s)), /^[\x20-\x7e]+$/, near(['me@example.com', 'https://x/y', ''], 'a~ \u001f\u007f\u0080\u00ff@'));
});

test('CLI words: -v..., and the options of detached verification', () => {
  agrees(isVerboseFlag, /^-v+$/, near(['-v', '-vvv', '--verbose', '-', 'v'], '-vVx='));
  agrees(isDetachedOption, /^--(certificate|cert|signature|sig)(=|$)/, near(['--certificate', '--cert=a.pem', '--signature=', '--sig', '--certs', '-cert'], '-=acegirstfx'));
});

test('checkpoint origins: the key name of a Rekor v1 origin, and the names a log may use', () => {
  agrees((s) => originName(s) !== s, /^(.+) - \d+$/, near(['rekor.sigstore.dev - 1193050959916656506', 'a - 1 - 2', ' - 1', 'x -  1'], `- 0123456789ab${WS}`));
  for (const s of near(['rekor.sigstore.dev - 1193050959916656506', 'a - 1 - 2', 'x - 1a'], `- 019ab\n\r\u2028`, 3000)) {
    const m = /^(.+) - \d+$/.exec(s);
    assert.equal(originName(s), m ? m[1] : s, JSON.stringify(s));
  }
  // The former implementation, as the reference.
  const reference = (baseUrl: string) => {
    const out = new Set<string>();
    const rest = baseUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
    out.add(rest);
    const host = (rest.split(/[/?#]/, 1)[0] ?? '').replace(/^[^@]*@/, '').toLowerCase();
    out.add(host);
    out.add(host.replace(/:\d*$/, ''));
    out.delete('');
    return [...out];
  };
  const urls = ['https://rekor.sigstore.dev', 'HTTP://User@Log.Example:8080/api/?q#f', 'https://[::1]:3000//', 'git+ssh://a@b@c:1:2/x', '1http://x', 'https:/x', 'h://', ''];
  for (const u of near(urls, ':/?#@[]Aa1+.-_ \u0130\u017f\u212a', 8000)) {
    assert.deepEqual(trustedOrigins({ baseUrl: u } as TransparencyLog), reference(u), JSON.stringify(u));
  }
});

test('whitespace: every UTF-16 code unit classified as /\\s/ classifies it', () => {
  for (let c = 0; c <= 0xffff; c++) assert.equal(isJsWhitespace(c), /\s/.test(String.fromCharCode(c)), `U+${c.toString(16).padStart(4, '0')}`);
  agrees(hasJsWhitespace, /\s/, near(['name', 'a b', ''], `ab+${WS}`));
  for (const s of near(['MIIB\nAB CD\r\n', '', 'abc', ' '], `ab=${WS}`, 4000)) assert.equal(withoutWhitespace(s), s.replace(/\s+/g, ''), JSON.stringify(s));
});

test('PEM bodies and padded base64', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const bases = [pem, `x${pem}${pem}`, '-----BEGIN A-----b-----END B-----', '------BEGIN X-----y-----END-----END Z-----', '-----BEGIN -----a-----END X-----', '-----BEGIN X-----'];
  for (const s of near(bases, '-BEGINDA Zx\n', 20000)) {
    const m = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(s);
    assert.equal(pemBody(s), m ? m[1] : undefined, JSON.stringify(s));
  }
  agrees(isPaddedBase64, /^[A-Za-z0-9+/]+={0,2}$/, near(['abcd', 'ab==', 'abc=', 'a===', '==', ''], 'aZ09+/=- '));
});

test('checkpoint signature lines: the same lines accepted as by the regular expressions', () => {
  const line = '\u2014 rekor.sigstore.dev wNI9ajBEAiBkTXtgEg0xtRHtaxPZB5FlBOp1n5jDjn6rkyIbdIKSBgIgBHXXrWNmZYHHiSk2M7s0hh9cHJSKCDt4Sd1Q0ZaKxOY=';
  for (const l of near([line, '\u2014 a b', '\u2014 a+b AAAAAAAA', '\u2014  AAAAAAAA', '\u2014 AAAAAAAA'], `\u2014 a+/=Z0${WS.replace('\n', '')}`, 6000)) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(l);
    const want = m !== null && /^[^\s+]+$/u.test(m[1]!);
    let error = '';
    try {
      parseNote(`origin\n1\nroot\n\n${l}\n`);
    } catch (e) {
      error = (e as Error).message;
    }
    // A line of the right shape can still be refused for its bytes (canonical base64, length).
    if (want) assert.doesNotMatch(error, /malformed checkpoint signature line|control character/, JSON.stringify(l));
    else assert.match(error, /malformed checkpoint signature line|control character/, JSON.stringify(l));
  }
});
