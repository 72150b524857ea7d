/**
 * readFailure: a failed read is worded for the end of a one-line error that already names the
 * file, without Node's code and path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readFailure, unreadable } from '../../src/lib/input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'input-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'file'), 'x');

function failureOf(path: string): unknown {
  try {
    readFileSync(path);
  } catch (e) {
    return e;
  }
  assert.fail(`${path} was read`);
}

describe('readFailure', () => {
  it('words the usual file-system refusals', () => {
    assert.equal(readFailure(failureOf(join(dir, 'missing'))), 'no such file');
    assert.equal(readFailure(failureOf(dir)), 'is a directory');
    assert.equal(readFailure(failureOf(join(dir, 'file', 'below'))), 'a component of its path is not a directory');
    assert.equal(readFailure(Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES' })), 'permission denied');
    assert.equal(readFailure(Object.assign(new Error("EPERM: operation not permitted, open '/x'"), { code: 'EPERM' })), 'permission denied');
  });

  it("drops the code and path of Node's other messages", () => {
    assert.equal(readFailure(Object.assign(new Error("EIO: i/o error, read '/mnt/x'"), { code: 'EIO' })), 'i/o error');
    assert.equal(readFailure(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })), 'i/o error');
  });

  it('keeps any other message as it is', () => {
    assert.equal(readFailure(Object.assign(new Error('larger than 32 MiB'), { code: 'EFBIG' })), 'larger than 32 MiB');
    assert.equal(readFailure(new Error('something, else')), 'something, else');
    assert.equal(readFailure('a string'), 'a string');
  });

  it('unreadable() makes one INPUT_UNREADABLE usage error naming the file', () => {
    const e = unreadable('a.txt', failureOf(join(dir, 'missing')));
    assert.equal(e.code, 'INPUT_UNREADABLE');
    assert.equal(e.message, 'cannot read a.txt: no such file');
  });
});
