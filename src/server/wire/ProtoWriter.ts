const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const TWO_POW_32 = 0x1_0000_0000;
const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * Writes protobuf's binary format into one scratch buffer that is reused for
 * every message, and copies out only the finished bytes.
 *
 * The generated encoders build a tree of forks, a chunk list and a wrapper
 * object per nested message; for the action replies that every write RPC sends,
 * that was more server CPU than the SQLite insert behind them. A nested message
 * here reserves one byte for its length and, in the rare case that it outgrows
 * 127 bytes, moves its body over by the extra length bytes (one memmove).
 *
 * Not reentrant: one message at a time, from `begin()` to `finish()`.
 */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(
    private readonly initialBytes = 16 * 1024,
    /** A scratch buffer grown past this (one large ListActions page) is dropped rather than kept for good. */
    private readonly maxRetainedBytes = 1024 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  begin(): this {
    this.pos = 0;
    if (this.buf.length > this.maxRetainedBytes) this.buf = Buffer.allocUnsafe(this.initialBytes);
    return this;
  }

  /** The scratch buffer's size now, for tests. */
  get capacity(): number {
    return this.buf.length;
  }

  /** A copy of what was written since `begin()`. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  /** string, skipped when empty (proto3 implicit presence). */
  string(field: number, value: string): void {
    if (value !== '') this.stringAlways(field, value);
  }

  /** string, written even when empty (a map key or a oneof member). */
  stringAlways(field: number, value: string): void {
    this.tag(field, WIRE_LEN);
    // UTF-8 never takes more than 3 bytes per UTF-16 unit.
    const most = value.length * 3;
    if (most < 128) {
      this.ensure(1 + most);
      const length = this.writeShort(value, this.pos + 1);
      this.buf[this.pos] = length;
      this.pos += 1 + length;
    } else {
      const length = Buffer.byteLength(value);
      this.varint(length);
      this.ensure(length);
      this.pos += this.buf.write(value, this.pos);
    }
  }

  // Values out of a field's range are refused, as the generated encoders refuse
  // them, rather than wrapped into something the client would read as valid.

  /** uint32, skipped when 0. */
  uint32(field: number, value: number): void {
    if (value === 0) return;
    if (value >>> 0 !== value) throw new RangeError(`invalid uint32: ${value}`);
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  /** int32 (enums included), skipped when 0; negative values take ten bytes, as protobuf requires. */
  int32(field: number, value: number): void {
    if (value !== 0) this.int32Always(field, value);
  }

  int32Always(field: number, value: number): void {
    if ((value | 0) !== value) throw new RangeError(`invalid int32: ${value}`);
    this.tag(field, WIRE_VARINT);
    if (value >= 0) this.varint(value);
    else this.varint64(BigInt.asUintN(64, BigInt(value)));
  }

  /** int64 given as a safe integer, skipped when 0. */
  int64(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, WIRE_VARINT);
    if (value >= 0) this.varint(value);
    else this.varint64(BigInt.asUintN(64, BigInt(value)));
  }

  /** uint64 carried as a decimal string (forceLong=string), skipped only when exactly "0", as the generated code does. */
  uint64String(field: number, value: string): void {
    if (value === '0') return;
    const n = Number(value);
    // The common case: a plain decimal that a double holds exactly.
    if (Number.isSafeInteger(n) && n >= 0 && String(n) === value) {
      this.tag(field, WIRE_VARINT);
      this.varint(n);
      return;
    }
    let big: bigint;
    try {
      big = BigInt(value);
    } catch {
      throw new RangeError(`invalid uint64: ${value}`);
    }
    if (big < 0n || big > MAX_UINT64) throw new RangeError(`invalid uint64: ${value}`);
    this.tag(field, WIRE_VARINT);
    this.varint64(big);
  }

  bool(field: number, value: boolean): void {
    if (value) this.boolAlways(field, true);
  }

  boolAlways(field: number, value: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  /** double, skipped when 0 (and -0, as the generated code does). */
  double(field: number, value: number): void {
    if (value !== 0) this.doubleAlways(field, value);
  }

  doubleAlways(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** Opens a nested message; pass what it returns to `close`. */
  open(field: number): number {
    this.tag(field, WIRE_LEN);
    this.ensure(1);
    return this.pos++;
  }

  close(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 128) {
      this.buf[mark] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    const end = this.pos + extra;
    this.pos = mark;
    this.varint(length);
    this.pos = end;
  }

  /**
   * Most strings here are short ASCII (ids, names, statuses), and copying those
   * in JS costs less than a call into the native UTF-8 encoder. Returns the bytes written.
   */
  private writeShort(value: string, start: number): number {
    const buf = this.buf;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return buf.write(value, start);
      buf[start + i] = code;
    }
    return value.length;
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A non-negative safe integer. */
  private varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (value >= TWO_POW_32) {
      buf[pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    while (value > 127) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  private varint64(value: bigint): void {
    this.ensure(10);
    while (value > 127n) {
      this.buf[this.pos++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.buf[this.pos++] = Number(value);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 127) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
