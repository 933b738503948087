// Threads for the project's own WebAssembly kernels: one shared WebAssembly memory and one worker per
// extra core, each holding its own instance of a kernel's modules over that memory. A kernel split
// into parts runs part 0 on this thread and the others on the workers at the same time; it ends
// when every part has. Where workers cannot share memory (a page that is not cross-origin
// isolated) there is no team and kernels run whole on this thread.
import { platform } from '#platform';
import type { WorkerPort } from '../platform.js';
import { wasmMemory } from './wasm-heap.js';

// lib es2023 and @types/node 20 declare no WebAssembly (lib.dom does); the part used here:
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ readonly instance: { readonly exports: Record<string, unknown> } }>;
};

interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/** The most a shared memory may grow to, in 64 KiB pages (reserved up front): 2 GiB. */
export const maxPages = 32768;

/** One part of a split kernel: its module (compiled once per key and thread) and its arguments. */
export interface KernelPart {
  readonly key: string;
  readonly emit: () => Uint8Array;
  readonly args: readonly number[];
}

// Runs in each worker: compiles a part's module the first time its key comes (the bytes come
// along then), runs it, and reports back with the message's id.
const workerSource = `
let memory = null;
const modules = new Map();
receive = async ({ id, key, bytes, args, sharedMemory }) => {
  if (sharedMemory) {
    memory = sharedMemory;
    return;
  }
  // a module is registered before it compiles: the next message for its key brings no bytes
  if (!modules.has(key)) modules.set(key, WebAssembly.instantiate(bytes, { env: { memory } }).then((r) => r.instance.exports.run));
  (await modules.get(key))(...args);
  post({ id });
};
`;

class Worker {
  private readonly known = new Set<string>();
  private readonly pending = new Map<number, () => void>();
  private nextId = 0;

  constructor(
    private readonly port: WorkerPort,
    memory: WasmMemory,
  ) {
    port.onMessage((m) => {
      const { id } = m as { id: number };
      this.pending.get(id)?.();
      this.pending.delete(id);
      if (this.pending.size === 0) port.keepAlive(false);
    });
    port.post({ id: -1, key: '', sharedMemory: memory, args: [] });
    port.keepAlive(false);
  }

  run(part: KernelPart): Promise<void> {
    const id = this.nextId++;
    const done = new Promise<void>((resolve) => this.pending.set(id, resolve));
    this.port.keepAlive(true);
    const bytes = this.known.has(part.key) ? undefined : part.emit();
    this.known.add(part.key);
    this.port.post({ id, key: part.key, bytes, args: part.args });
    return done;
  }
}

export interface Team {
  /** the shared memory every part reads and writes */
  readonly memory: WasmMemory;
  /** threads that run parts: this one and the workers */
  readonly size: number;
  /** Runs `parts[0]` here and the rest on workers, concurrently; at most `size` parts. */
  run(parts: readonly KernelPart[]): Promise<void>;
}

const local = new Map<string, Promise<(...args: number[]) => void>>();

function makeTeam(): Team | null {
  const size = Math.min(platform.cores, 4);
  if (size < 2 || typeof SharedArrayBuffer === 'undefined') return null;
  let memory: WasmMemory;
  try {
    // the heap every kernel needs comes first: where address space is limited (prlimit --as)
    // and only one memory fits, the team is what goes, and kernels run on this thread
    wasmMemory();
    memory = new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true });
  } catch {
    return null;
  }
  const workers: Worker[] = [];
  for (let k = 1; k < size; k++) {
    const port = platform.sharedMemoryWorker(workerSource);
    if (!port) return null;
    workers.push(new Worker(port, memory));
  }
  return {
    memory,
    size,
    async run(parts) {
      const [first, ...rest] = parts;
      let instance = local.get(first.key);
      if (!instance) {
        // compiled asynchronously, as browsers require on their main thread for all but tiny modules
        instance = WebAssembly.instantiate(first.emit(), { env: { memory } }).then((r) => r.instance.exports.run as (...args: number[]) => void);
        local.set(first.key, instance);
      }
      const run = await instance;
      const others = rest.map((p, k) => workers[k].run(p));
      run(...first.args);
      // a part on this thread alone (a one-thread kernel) waits for nothing more
      if (others.length) await Promise.all(others);
    },
  };
}

let team: Team | null | undefined;

/** The thread team, made on first use; null where workers cannot share memory. */
export function threadTeam(): Team | null {
  if (team === undefined) team = makeTeam();
  return team;
}
