// Threads for the project's own WebAssembly kernels: one shared WebAssembly memory and one worker per
// extra core, each holding its own instance of a kernel's modules over that memory. A kernel split
// into parts runs part 0 on this thread and the others on the workers at the same time; it ends
// when every part has. Where workers cannot share memory (a page that is not cross-origin
// isolated) there is no team and kernels run whole on this thread.
//
// A part reaches a worker by message the first time its module does (the bytes go along). After a
// part, a worker waits a while on its slot of a shared control block (Atomics.wait) rather than
// its message queue; a part for a module it has then goes through that slot, and where this
// thread may block (not a page's main thread) it waits on the slot for the part to end. That
// skips two trips through event loops per part (~0.1 ms each), which a step's ~60 GEMMs pay.
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

// A worker's slot in the control block (Int32 words): its state, parts ended, a failed part's
// flag, and the part to run (module id, argument count, arguments).
const STATE = 0;
const ENDED = 1;
const FAILED = 2;
const MODULE = 3;
const COUNT = 4;
const ARGS = 5;
const maxArgs = 27;
const slotWords = ARGS + maxArgs;
// states: on its message queue; waiting on the slot; claimed by this thread (a part being written); a part to run
const [ON_MESSAGES, WAITING, CLAIMED, PART] = [0, 1, 2, 3];
/** How long a worker waits on its slot after a part before it goes back to its message queue. */
const waitMs = 20;
/** How long a thread checks a word before it sleeps on it (Atomics.wait). */
const spinMs = Number(platform.setting('SHAPED_VIT_SPIN_MS') ?? 2);

// Runs in each worker: compiles a module the first time its id comes (the bytes come along then),
// runs parts from messages and from its slot, and reports each end on the slot (and by message for
// a part that came by message).
const workerSource = `
let memory = null;
let slot = null;
const modules = new Map();
const runs = new Map();
const [STATE, ENDED, FAILED, MODULE, COUNT, ARGS] = [${STATE}, ${ENDED}, ${FAILED}, ${MODULE}, ${COUNT}, ${ARGS}];
const [ON_MESSAGES, WAITING, CLAIMED, PART] = [${ON_MESSAGES}, ${WAITING}, ${CLAIMED}, ${PART}];
let serves = false;
const ended = () => {
  Atomics.add(slot, ENDED, 1);
  Atomics.notify(slot, ENDED);
};
const serveSlot = () => {
  Atomics.store(slot, STATE, WAITING);
  for (;;) {
    // spin first: a step's next part usually comes within a fraction of a millisecond, and waking
    // from Atomics.wait costs ~50 us
    for (const until = performance.now() + ${spinMs}; Atomics.load(slot, STATE) === WAITING && performance.now() < until; );
    Atomics.wait(slot, STATE, WAITING, ${waitMs});
    const state = Atomics.load(slot, STATE);
    if (state === PART) {
      try {
        runs.get(Atomics.load(slot, MODULE))(...slot.subarray(ARGS, ARGS + Atomics.load(slot, COUNT)));
      } catch {
        Atomics.store(slot, FAILED, 1);
      }
      Atomics.store(slot, STATE, WAITING);
      ended();
    } else if (state === ON_MESSAGES || (state === WAITING && Atomics.compareExchange(slot, STATE, WAITING, ON_MESSAGES) === WAITING)) {
      // a message is coming, or none came for a while
      return;
    }
  }
};
receive = async ({ id, module, bytes, args, sharedMemory, control, serve }) => {
  if (sharedMemory) {
    memory = sharedMemory;
    slot = control;
    serves = serve;
    return;
  }
  // a module is registered before it compiles: the next message for it brings no bytes
  if (!modules.has(module)) modules.set(module, WebAssembly.instantiate(bytes, { env: { memory } }).then((r) => runs.set(module, r.instance.exports.run).get(module)));
  let failed = false;
  try {
    (await modules.get(module))(...args);
  } catch {
    failed = true;
  }
  ended();
  post({ id, failed });
  if (serves) serveSlot();
};
`;

/** Whether this thread may block in Atomics.wait (a page's main thread may not). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

const failure = (key: string) => new Error(`internal: a WebAssembly kernel part failed on a worker (${key})`);

class Worker {
  /** module ids by key, and the ids whose module the worker has compiled (a part by message ended) */
  private readonly ids = new Map<string, number>();
  private readonly compiled = new Set<number>();
  private readonly pending = new Map<number, (failed: boolean) => void>();
  private readonly sent = new Set<number>();
  private nextId = 0;
  /** parts ended that this thread has waited for */
  private ended = 0;

  constructor(
    private readonly port: WorkerPort,
    memory: WasmMemory,
    private readonly slot: Int32Array,
    private readonly blocking: boolean,
  ) {
    port.onMessage((m) => {
      const { id, failed } = m as { id: number; failed: boolean };
      this.pending.get(id)?.(failed);
      this.pending.delete(id);
      if (this.pending.size === 0) port.keepAlive(false);
    });
    port.post({ id: -1, sharedMemory: memory, control: slot, serve: blocking, args: [] });
    port.keepAlive(false);
  }

  /** Starts `part`: through the slot when the worker waits there and has its module (then `wait()` ends it), else by message. */
  start(part: KernelPart): Promise<void> | null {
    const module = this.ids.get(part.key) ?? this.ids.set(part.key, this.ids.size).get(part.key)!;
    this.ended++;
    if (this.blocking && this.compiled.has(module) && part.args.length <= maxArgs && Atomics.compareExchange(this.slot, STATE, WAITING, CLAIMED) === WAITING) {
      Atomics.store(this.slot, MODULE, module);
      Atomics.store(this.slot, COUNT, part.args.length);
      part.args.forEach((a, k) => Atomics.store(this.slot, ARGS + k, a));
      Atomics.store(this.slot, STATE, PART);
      Atomics.notify(this.slot, STATE);
      return null;
    }
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) =>
      this.pending.set(id, (failed) => {
        this.compiled.add(module);
        if (failed) reject(failure(part.key));
        else resolve();
      }),
    );
    this.port.keepAlive(true);
    // a worker waiting on its slot goes back to its messages
    if (Atomics.compareExchange(this.slot, STATE, WAITING, ON_MESSAGES) === WAITING) Atomics.notify(this.slot, STATE);
    this.port.post({ id, module, bytes: this.sent.has(module) ? undefined : part.emit(), args: part.args });
    this.sent.add(module);
    return done;
  }

  /** Blocks until the parts started through the slot have ended. */
  wait(key: string): void {
    for (const until = performance.now() + spinMs; Atomics.load(this.slot, ENDED) < this.ended && performance.now() < until; );
    for (let seen = Atomics.load(this.slot, ENDED); seen < this.ended; seen = Atomics.load(this.slot, ENDED)) Atomics.wait(this.slot, ENDED, seen);
    if (Atomics.exchange(this.slot, FAILED, 0)) throw failure(key);
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

/** This thread's instances of the modules, by key: a promise while one compiles. */
const local = new Map<string, Promise<(...args: number[]) => void>>();
const ready = new Map<string, (...args: number[]) => void>();

async function localRun(memory: WasmMemory, part: KernelPart): Promise<(...args: number[]) => void> {
  let instance = local.get(part.key);
  if (!instance) {
    // compiled asynchronously, as browsers require on their main thread for all but tiny modules
    instance = WebAssembly.instantiate(part.emit(), { env: { memory } }).then((r) => r.instance.exports.run as (...args: number[]) => void);
    local.set(part.key, instance);
    ready.set(part.key, await instance);
  }
  return instance;
}

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
  const blocking = mayBlock();
  const control = new Int32Array(new SharedArrayBuffer(size * slotWords * 4));
  const workers: Worker[] = [];
  for (let k = 1; k < size; k++) {
    const port = platform.sharedMemoryWorker(workerSource);
    if (!port) return null;
    workers.push(new Worker(port, memory, control.subarray(k * slotWords, (k + 1) * slotWords), blocking));
  }
  return {
    memory,
    size,
    async run(parts) {
      const [first, ...rest] = parts;
      const run = ready.get(first.key) ?? (await localRun(memory, first));
      const started = rest.map((p, k) => workers[k].start(p));
      run(...first.args);
      started.forEach((byMessage, k) => byMessage ?? workers[k].wait(rest[k].key));
      const messages = started.filter((s) => s !== null);
      // a part on this thread alone (a one-thread kernel) waits for nothing more
      if (messages.length) await Promise.all(messages);
    },
  };
}

let team: Team | null | undefined;

/** The thread team, made on first use; null where workers cannot share memory. */
export function threadTeam(): Team | null {
  if (team === undefined) team = makeTeam();
  return team;
}
