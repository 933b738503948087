// A tiny WebAssembly binary emitter: one module, one imported memory, one exported function whose
// parameters are i32s. Just the instructions our generated kernels use, each named as in the spec's
// text format, so the emitting code reads like the WAT it stands for (and stays in the repo as source).

export const i32 = 0x7f;
export const f32 = 0x7d;
export const v128 = 0x7b;
export type ValueType = typeof i32 | typeof f32 | typeof v128;

const uleb = (n: number, out: number[]): void => {
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
};

const sleb = (n: number, out: number[]): void => {
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return void out.push(byte);
    out.push(byte | 0x80);
  }
};

/** A function body under construction; locals are numbered after the i32 parameters. */
export class FunctionBody {
  readonly code: number[] = [];
  readonly locals: ValueType[] = [];

  constructor(readonly params: number) {}

  /** A new local of `type`; its index. */
  local(type: ValueType): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private simd(opcode: number): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    return this;
  }
  private memarg(align: number, offset: number): this {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > 0xffffffff) throw new Error(`internal: wasm memory offset ${offset}`);
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }

  private localOp(opcode: number, local: number): this {
    this.op(opcode);
    uleb(local, this.code);
    return this;
  }

  get(local: number): this {
    return this.localOp(0x20, local);
  }
  set(local: number): this {
    return this.localOp(0x21, local);
  }
  tee(local: number): this {
    return this.localOp(0x22, local);
  }
  i32Const(value: number): this {
    this.op(0x41);
    sleb(value | 0, this.code);
    return this;
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Ne(): this {
    return this.op(0x47);
  }
  i32Store(offset = 0): this {
    return this.op(0x36).memarg(2, offset);
  }
  f32Load(offset = 0): this {
    return this.op(0x2a).memarg(2, offset);
  }
  f32Store(offset = 0): this {
    return this.op(0x38).memarg(2, offset);
  }
  v128Load(offset = 0): this {
    return this.simd(0x00).memarg(4, offset);
  }
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09).memarg(2, offset);
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b).memarg(4, offset);
  }
  /** Bytes of two vectors by index (0-15 the first's, 16-31 the second's). */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('internal: i8x16.shuffle takes 16 lane indices');
    this.simd(0x0d);
    this.code.push(...lanes);
    return this;
  }
  v128Zero(): this {
    this.simd(0x0c);
    this.code.push(...new Array(16).fill(0));
    return this;
  }
  f32x4ExtractLane(lane: number): this {
    this.simd(0x1f);
    this.code.push(lane);
    return this;
  }
  v128Const(lanes: readonly [number, number, number, number]): this {
    this.simd(0x0c);
    this.code.push(...new Uint8Array(Float32Array.from(lanes).buffer));
    return this;
  }
  /** A v128 constant of four raw 32-bit lanes (masks). */
  v128ConstBits(lanes: readonly [number, number, number, number]): this {
    this.simd(0x0c);
    this.code.push(...new Uint8Array(Int32Array.from(lanes).buffer));
    return this;
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  f32x4Min(): this {
    return this.simd(0xe8);
  }
  f32x4Max(): this {
    return this.simd(0xe9);
  }
  f32x4Abs(): this {
    return this.simd(0xe0);
  }
  /** Relaxed SIMD: a * b + c, fused or not as the engine likes; operands pushed as a, b, c. */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }
  f32x4Neg(): this {
    return this.simd(0xe1);
  }
  f32x4Sqrt(): this {
    return this.simd(0xe3);
  }
  f32x4Eq(): this {
    return this.simd(0x41);
  }
  f32x4Lt(): this {
    return this.simd(0x43);
  }
  f32x4Gt(): this {
    return this.simd(0x44);
  }
  /** (a & mask) | (b & ~mask), operands pushed as a, b, mask. */
  v128Bitselect(): this {
    return this.simd(0x52);
  }
  f32Const(value: number): this {
    this.op(0x43);
    this.code.push(...new Uint8Array(Float32Array.of(value).buffer));
    return this;
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Sub(): this {
    return this.op(0x93);
  }
  f32Mul(): this {
    return this.op(0x94);
  }
  f32Div(): this {
    return this.op(0x95);
  }
  f32Max(): this {
    return this.op(0x97);
  }
  f32Sqrt(): this {
    return this.op(0x91);
  }

  /** `local += delta` for an i32 local. */
  bump(local: number, delta: number): this {
    return delta === 0 ? this : this.get(local).i32Const(delta).i32Add().set(local);
  }

  /**
   * Runs `body` `count` times (a literal count, so no bound check is ever cut short), counting
   * down in a fresh local: `loop ... br_if` with the test at the bottom; nothing for count 0.
   */
  repeat(count: number, body: () => void): this {
    if (count <= 0) return this;
    if (count === 1) {
      body();
      return this;
    }
    const left = this.local(i32);
    this.i32Const(count).set(left);
    this.op(0x03, 0x40); // loop (no result)
    body();
    this.get(left).i32Const(1).i32Sub().tee(left).i32Const(0).i32Ne();
    this.op(0x0d, 0x00); // br_if to the loop's start
    this.op(0x0b); // end
    return this;
  }

  /** The body's bytes: run-length local declarations, code, end. */
  bytes(): number[] {
    const out: number[] = [];
    const groups: Array<[number, ValueType]> = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(groups.length, out);
    for (const [n, t] of groups) {
      uleb(n, out);
      out.push(t);
    }
    out.push(...this.code, 0x0b);
    return out;
  }
}

function section(id: number, payload: number[], out: number[]): void {
  out.push(id);
  uleb(payload.length, out);
  out.push(...payload);
}

function name(s: string, out: number[]): void {
  uleb(s.length, out);
  for (const ch of s) out.push(ch.charCodeAt(0));
}

/** A module importing `env.memory` (shared, up to `sharedMaxPages`, when given) and exporting `fn` as `exportName` (i32 params, no results). */
export function moduleBytes(fn: FunctionBody, exportName: string, sharedMaxPages?: number): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const type = [1, 0x60];
  uleb(fn.params, type);
  for (let p = 0; p < fn.params; p++) type.push(i32);
  type.push(0);
  section(1, type, out);
  const imports = [1];
  name('env', imports);
  name('memory', imports);
  if (sharedMaxPages === undefined) imports.push(0x02, 0x00, 0x01); // memory, no maximum, at least one page
  else {
    imports.push(0x02, 0x03, 0x01); // shared memory, at least one page, at most:
    uleb(sharedMaxPages, imports);
  }
  section(2, imports, out);
  section(3, [1, 0], out);
  const exports = [1];
  name(exportName, exports);
  exports.push(0x00, 0x00);
  section(7, exports, out);
  const body = fn.bytes();
  const code = [1];
  uleb(body.length, code);
  code.push(...body);
  section(10, code, out);
  return Uint8Array.from(out);
}

/**
 * `bytes` (a module built elsewhere: gpu.js's kernels) with its memory import declared as at least
 * `pages` pages and no maximum, so that it links to the one heap memory (wasm-heap.ts), which has
 * none. Only the import section changes; a module without a memory import comes back as it was.
 */
export function withOpenMemoryImport(bytes: Uint8Array<ArrayBuffer>, pages: number): Uint8Array<ArrayBuffer> {
  let at = 8;
  const readUleb = (): number => {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      n += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return n;
    }
  };
  const skipName = () => {
    const length = readUleb();
    at += length;
  };
  const skipLimits = () => {
    const flags = bytes[at++];
    readUleb();
    if (flags & 1) readUleb();
  };
  while (at < bytes.length) {
    const sectionAt = at;
    const id = bytes[at++];
    const end = readUleb() + at;
    if (id !== 2) {
      at = end;
      continue;
    }
    const payloadAt = at;
    for (let count = readUleb(); count > 0; count--) {
      skipName(); // module
      skipName(); // field
      const kind = bytes[at++];
      if (kind === 0x02) {
        const limitsAt = at;
        skipLimits();
        const payload = [...bytes.subarray(payloadAt, limitsAt), 0x00];
        uleb(pages, payload);
        payload.push(...bytes.subarray(at, end));
        const out = [...bytes.subarray(0, sectionAt)];
        section(2, payload, out);
        out.push(...bytes.subarray(end));
        return Uint8Array.from(out);
      }
      if (kind === 0x00) readUleb(); // function: type index
      else if (kind === 0x01) {
        at++; // table: element type, limits
        skipLimits();
      } else at += 2; // global: value type, mutability
    }
    return bytes;
  }
  return bytes;
}
