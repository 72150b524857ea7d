/**
 * A durable append-only record file with group commit.
 *
 * Layout: a sequence of records, each `u32 length || u32 crc32(payload) || payload` (big-endian).
 * `append` resolves only after the record's bytes are written and fsync'ed, so an acknowledged
 * record survives a crash (kill -9, power loss after the fsync). Records appended while a flush
 * is in progress are written together by the next flush: one write and one fsync per batch.
 *
 * On open, records are read back in order; a torn tail (a record whose bytes were not fully
 * written, or whose checksum does not match) can only be a record that was never acknowledged,
 * so the file is truncated to the last complete record.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, fsyncSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { fsyncDir } from './util.js';
import { dirname } from 'node:path';

const HEADER = 8;
/** Refuse absurd record sizes when reading (a corrupt length would otherwise allocate GBs). */
const MAX_RECORD = 64 * 1024 * 1024;

interface Pending {
  data: Buffer;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class AppendLog {
  private fh: FileHandle | undefined;
  private queue: Pending[] = [];
  private flushing = false;
  private failed: unknown;
  private closed = false;
  private idle: (() => void)[] = [];

  private constructor(
    readonly path: string,
    private offset: number,
  ) {}

  /**
   * Opens (creating if needed) the record file at `path` and returns it with every complete
   * record it holds. A torn tail is cut off.
   */
  static async open(path: string): Promise<{ log: AppendLog; records: Buffer[] }> {
    const created = !existsSync(path);
    const fd = openSync(path, 'a+');
    const records: Buffer[] = [];
    let good = 0;
    try {
      const size = fstatSync(fd).size;
      const all = Buffer.alloc(size);
      let read = 0;
      while (read < size) {
        const n = readSync(fd, all, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      let off = 0;
      while (off + HEADER <= read) {
        const len = all.readUInt32BE(off);
        const crc = all.readUInt32BE(off + 4);
        if (len > MAX_RECORD || off + HEADER + len > read) break;
        const payload = all.subarray(off + HEADER, off + HEADER + len);
        if (crc32(payload) >>> 0 !== crc) break;
        records.push(Buffer.from(payload));
        off += HEADER + len;
      }
      good = off;
      if (good < size) {
        ftruncateSync(fd, good);
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
    if (created) fsyncDir(dirname(path));
    const log = new AppendLog(path, good);
    log.fh = await open(path, 'r+');
    return { log, records };
  }

  /** Appends records (in order, as one batch) and resolves once they are durable. */
  append(...data: Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('log is closed'));
    if (this.failed) return Promise.reject(this.failed);
    const promises = data.map(
      (d) =>
        new Promise<void>((resolve, reject) => {
          this.queue.push({ data: d, resolve, reject });
        }),
    );
    if (!this.flushing) void this.flush();
    return Promise.all(promises).then(() => undefined);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const parts: Buffer[] = [];
      for (const p of batch) {
        const h = Buffer.alloc(HEADER);
        h.writeUInt32BE(p.data.length, 0);
        h.writeUInt32BE(crc32(p.data) >>> 0, 4);
        parts.push(h, p.data);
      }
      const buf = Buffer.concat(parts);
      try {
        if (this.failed) throw this.failed;
        let written = 0;
        while (written < buf.length) {
          const r = await this.fh!.write(buf, written, buf.length - written, this.offset + written);
          written += r.bytesWritten;
        }
        await this.fh!.sync();
        this.offset += buf.length;
        for (const p of batch) p.resolve();
      } catch (e) {
        // A failed write leaves the file in an unknown state: refuse everything from now on.
        this.failed = e;
        for (const p of batch) p.reject(e);
        for (const p of this.queue) p.reject(e);
        this.queue = [];
      }
    }
    this.flushing = false;
    for (const f of this.idle.splice(0)) f();
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushing) await new Promise<void>((r) => this.idle.push(r));
    await this.fh?.close();
    this.fh = undefined;
  }
}
