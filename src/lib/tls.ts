/**
 * A tiny reader for TLS presentation-language encodings (RFC 8446 section 3), as RFC 6962 uses
 * for signed certificate timestamps: big-endian fixed-width integers and length-prefixed
 * opaque vectors. Every read is bounds-checked; values are views into the input buffer.
 */

export class TlsError extends Error {}

export class TlsReader {
  private off = 0;

  /** `what` names the structure in error messages. */
  constructor(
    readonly buf: Buffer,
    readonly what = 'TLS structure',
  ) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.off;
  }

  /** Current read offset. */
  get offset(): number {
    return this.off;
  }

  private need(n: number, field: string): void {
    if (this.remaining < n) throw new TlsError(`${this.what}: truncated ${field} (needs ${n} bytes, ${this.remaining} left)`);
  }

  u8(field = 'uint8'): number {
    this.need(1, field);
    return this.buf[this.off++]!;
  }

  u16(field = 'uint16'): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  u24(field = 'uint24'): number {
    this.need(3, field);
    const v = this.buf.readUIntBE(this.off, 3);
    this.off += 3;
    return v;
  }

  u64(field = 'uint64'): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }

  /** Exactly `n` bytes. */
  bytes(n: number, field = 'opaque'): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** An opaque vector with a 1-byte length prefix. */
  vec8(field = 'opaque<0..2^8-1>'): Buffer {
    return this.bytes(this.u8(`${field} length`), field);
  }

  /** An opaque vector with a 2-byte length prefix. */
  vec16(field = 'opaque<0..2^16-1>'): Buffer {
    return this.bytes(this.u16(`${field} length`), field);
  }

  /** An opaque vector with a 3-byte length prefix. */
  vec24(field = 'opaque<0..2^24-1>'): Buffer {
    return this.bytes(this.u24(`${field} length`), field);
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.remaining !== 0) throw new TlsError(`${this.what}: ${this.remaining} trailing bytes`);
  }
}

/** Big-endian unsigned integer of `width` bytes (1..6, or 8 for a uint64); out of range throws. */
export function tlsUint(value: number | bigint, width: number): Buffer {
  const b = Buffer.alloc(width);
  if (width === 8) b.writeBigUInt64BE(BigInt(value));
  else b.writeUIntBE(Number(value), 0, width);
  return b;
}

/** An opaque vector with a `width`-byte length prefix (1, 2 or 3). */
export function tlsVector(value: Buffer, width: 1 | 2 | 3): Buffer {
  if (value.length >= 2 ** (8 * width)) throw new TlsError(`vector of ${value.length} bytes does not fit a ${width}-byte length`);
  return Buffer.concat([tlsUint(value.length, width), value]);
}
