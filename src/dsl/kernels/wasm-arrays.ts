// webasm's storage in the thread team's shared WebAssembly memory: a kernel of the team (the GEMM)
// reads its operands and writes its result where they already are, instead of copying them into
// its memory and its result out of it per call (a quick-preset step's GEMMs, in place against the
// copies: 1.33x faster under load 5, `node build/bench/gemm-ab.js --against DIR --storage`;
// the attention products 2.3x). Arrays are views of blocks of the memory,
// which only grows; a shared memory's old buffers stay valid as it grows, so views made before a
// growth still work. Blocks are reused by size class: released explicitly, or when their view is
// garbage-collected (storage a caller dropped without releasing it).
import { threadTeam } from './wasm-threads.js';

/** Bytes of the block for `length` floats: 16-byte aligned, with 16 spare bytes (a vector loop's loads may run one partial vector past an array's end), rounded up to one of 8 size classes per doubling. */
export function blockBytes(length: number): number {
  const bytes = Math.ceil(length / 4) * 16 + 16;
  if (bytes <= 256) return bytes;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

interface SharedMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/** Growth of the memory at least this many bytes at a time (each growth commits nothing until written). */
const minGrowth = 1 << 24;

export class HeapArrays {
  private top = 0;
  private readonly free = new Map<number, number[]>();
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly dropped = new FinalizationRegistry<readonly [number, number]>(([at, bytes]) => this.push(at, bytes));

  constructor(private readonly memory: SharedMemory) {}

  /** A view of a free block of `length` floats (contents undefined), or null when the memory cannot grow to hold it. */
  take(length: number): Float32Array | null {
    const bytes = blockBytes(length);
    let at = this.free.get(bytes)?.pop();
    if (at === undefined) {
      const have = this.memory.buffer.byteLength;
      if (this.top + bytes > have) {
        try {
          this.memory.grow(Math.ceil(Math.max(this.top + bytes - have, minGrowth) / 65536));
        } catch {
          try {
            this.memory.grow(Math.ceil((this.top + bytes - have) / 65536));
          } catch {
            return null;
          }
        }
      }
      at = this.top;
      this.top += bytes;
    }
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    const view = new Float32Array(buffer, at, length);
    this.dropped.register(view, [at, bytes], view);
    return view;
  }

  /** Whether `values` lies in this memory (its byteOffset is then its address). */
  owns(values: Float32Array): boolean {
    return this.buffers.has(values.buffer);
  }

  /** Returns the block of a view `take` made; its contents may be overwritten from now on. */
  give(view: Float32Array): void {
    if (!this.dropped.unregister(view)) throw new Error('internal: a block given back twice, or not taken');
    this.push(view.byteOffset, blockBytes(view.length));
  }

  /**
   * `values` as arrays of this memory for one kernel call: those in it as they are, the others
   * through blocks (copied in where `copyIn` says), then `scratch` blocks of these lengths; `release`
   * gives the blocks back. Null, with nothing taken, when the memory cannot grow to hold them.
   */
  place(values: readonly Float32Array[], copyIn: readonly boolean[], scratch: readonly number[] = []): Placed | null {
    const blocks: Float32Array[] = [];
    const release = () => blocks.forEach((block) => this.give(block));
    const take = (length: number) => {
      const block = this.take(length);
      if (block) blocks.push(block);
      return block;
    };
    const views = values.map((v) => (this.owns(v) ? v : take(v.length)));
    const scratchViews = scratch.map(take);
    if (views.includes(null) || scratchViews.includes(null)) {
      release();
      return null;
    }
    const placed = views.filter((v) => v !== null);
    placed.forEach((v, k) => v !== values[k] && copyIn[k] && v.set(values[k]));
    return { views: placed, scratch: scratchViews.filter((v) => v !== null), release };
  }

  /** Bytes of the memory handed out so far (in use or free for reuse). */
  get reservedBytes(): number {
    return this.top;
  }

  private push(at: number, bytes: number): void {
    const list = this.free.get(bytes);
    if (list) list.push(at);
    else this.free.set(bytes, [at]);
  }
}

export interface Placed {
  readonly views: readonly Float32Array[];
  readonly scratch: readonly Float32Array[];
  release(): void;
}

let arrays: HeapArrays | null | undefined;

/** The team memory's arrays; null where there is no team (workers cannot share memory). */
export function heapArrays(): HeapArrays | null {
  if (arrays === undefined) {
    const team = threadTeam();
    arrays = team ? new HeapArrays(team.memory) : null;
  }
  return arrays;
}
