// Threads for the project's own WebAssembly kernels: one shared WebAssembly memory and one worker per
// extra core, each holding its own instance of a kernel's modules over that memory. A kernel split
// into chunks runs on this thread and the workers at once, each taking the next chunk not taken
// (a shared counter) until none is left, so a thread that starts late or runs slower (a worker
// reading what this thread just wrote, from another core's cache) takes fewer; it ends when every
// thread has. Where workers cannot share memory (a page that is not cross-origin isolated) there
// is no team and kernels run whole on this thread.
//
// A kernel reaches a worker by message the first time one of its modules does (the bytes go
// along). After a kernel, a worker waits a while on its slot of a shared control block (spinning,
// then Atomics.wait) rather than on its message queue; a kernel whose modules it has then goes
// through that slot, and where this thread may block (not a page's main thread) it waits on the
// slot for the worker's end. That skips two trips through event loops (~0.1 ms) per kernel.
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

/** One chunk of a split kernel: its module, compiled once per key and thread. */
export interface KernelChunk {
  readonly key: string;
  readonly emit: () => Uint8Array;
}

// The control block (Int32 words): the team's chunk counter, then a slot per worker: its state,
// kernels ended, a failed chunk's flag, and the kernel to run (chunk count, module ids, argument
// count, arguments).
const COUNTER = 0;
const STATE = 0;
const ENDED = 1;
const FAILED = 2;
const CHUNKS = 3;
const maxChunks = 32;
const maxArgs = 27;
const slotWords = CHUNKS + 1 + maxChunks + 1 + maxArgs;
// states: on its message queue; waiting on the slot; claimed by this thread (a kernel being written);
// a kernel to run; the kernel taken up by the worker
const [ON_MESSAGES, WAITING, CLAIMED, KERNEL, RUNNING] = [0, 1, 2, 3, 4];
/** How long a worker waits on its slot after a kernel before it goes back to its message queue. */
const waitMs = 20;
/** How long a thread checks a word before it sleeps on it (Atomics.wait, ~50 us to wake). */
const spinMs = 2;
/**
 * A spinning thread reads the clock once per this many checks: each read makes a number on the
 * heap, and reading it every check filled a worker's young generation every ~12 ms (a collection
 * each time, `node --trace-gc`), and this thread's too.
 */
const clockEvery = 256;

// Runs in each worker: compiles a module the first time its id comes (the bytes come along then),
// takes chunks of kernels from messages and from its slot, and reports each end on the slot (and
// by message for a kernel that came by message).
const workerSource = `
let memory = null;
let control = null;
let slot = null;
let serves = false;
const modules = new Map();
const runs = new Map();
const [COUNTER, STATE, ENDED, FAILED, CHUNKS] = [${COUNTER}, ${STATE}, ${ENDED}, ${FAILED}, ${CHUNKS}];
const [ON_MESSAGES, WAITING, CLAIMED, KERNEL, RUNNING] = [${ON_MESSAGES}, ${WAITING}, ${CLAIMED}, ${KERNEL}, ${RUNNING}];
// takes chunks until none is left; false when one failed
const take = (ids, args) => {
  try {
    for (let c = Atomics.add(control, COUNTER, 1); c < ids.length; c = Atomics.add(control, COUNTER, 1)) runs.get(ids[c])(...args);
    return true;
  } catch {
    return false;
  }
};
const ended = (ok) => {
  if (!ok) Atomics.store(slot, FAILED, 1);
  Atomics.add(slot, ENDED, 1);
  Atomics.notify(slot, ENDED);
};
const serveSlot = () => {
  Atomics.store(slot, STATE, WAITING);
  for (;;) {
    // spin first: a step's next kernel usually comes within a fraction of a millisecond
    for (let k = 1, until = performance.now() + ${spinMs}; Atomics.load(slot, STATE) === WAITING && (k++ % ${clockEvery} !== 0 || performance.now() < until); );
    Atomics.wait(slot, STATE, WAITING, ${waitMs});
    const state = Atomics.load(slot, STATE);
    // a kernel is run only once taken up: the main thread takes back one the worker came too late for
    if (state === KERNEL && Atomics.compareExchange(slot, STATE, KERNEL, RUNNING) === KERNEL) {
      const count = slot[CHUNKS];
      const ids = slot.slice(CHUNKS + 1, CHUNKS + 1 + count);
      const args = slot.slice(CHUNKS + 2 + count, CHUNKS + 2 + count + slot[CHUNKS + 1 + count]);
      const ok = take(ids, args);
      Atomics.store(slot, STATE, WAITING);
      ended(ok);
    } else if (state === ON_MESSAGES || (state === WAITING && Atomics.compareExchange(slot, STATE, WAITING, ON_MESSAGES) === WAITING)) {
      // a message is coming, or none came for a while
      return;
    }
  }
};
receive = async ({ id, chunks, args, sharedMemory, controlBlock, at, serve }) => {
  if (sharedMemory) {
    memory = sharedMemory;
    control = controlBlock;
    slot = controlBlock.subarray(at, at + ${slotWords});
    serves = serve;
    return;
  }
  let ok = true;
  try {
    // a module is registered before it compiles: the next message for it brings no bytes
    for (const { module, bytes } of chunks) if (!modules.has(module)) modules.set(module, WebAssembly.instantiate(bytes, { env: { memory } }).then((r) => runs.set(module, r.instance.exports.run)));
    await Promise.all(chunks.map(({ module }) => modules.get(module)));
  } catch {
    ok = false;
  }
  ok = ok && take(chunks.map(({ module }) => module), args);
  ended(true);
  post({ id, failed: !ok });
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

const failure = (key: string) => new Error(`internal: a WebAssembly kernel chunk failed on a worker (${key})`);

class Worker {
  private readonly slot: Int32Array;
  /** modules (team ids) whose bytes went by message, and those the worker has compiled (a kernel by message ended) */
  private readonly sent = new Set<number>();
  private readonly compiled = new Set<number>();
  private readonly pending = new Map<number, (failed: boolean) => void>();
  private nextId = 0;
  /** kernels started on this worker */
  private started = 0;
  /** kernels started through the slot that it had not taken up when this thread waited for them */
  takenBack = 0;

  constructor(
    private readonly port: WorkerPort,
    memory: WasmMemory,
    control: Int32Array,
    at: number,
    private readonly blocking: boolean,
  ) {
    this.slot = control.subarray(at, at + slotWords);
    port.onMessage((m) => {
      const { id, failed } = m as { id: number; failed: boolean };
      this.pending.get(id)?.(failed);
      this.pending.delete(id);
      if (this.pending.size === 0) port.keepAlive(false);
    });
    port.post({ id: -1, sharedMemory: memory, controlBlock: control, at, serve: blocking });
    port.keepAlive(false);
  }

  /**
   * Starts taking `chunks` (their modules' team ids `modules`): through the slot when the worker
   * waits there and has their modules (then `wait()` ends it), else by message.
   */
  start(chunks: readonly KernelChunk[], modules: readonly number[], args: readonly number[]): Promise<void> | null {
    this.started++;
    const slot = this.slot;
    if (this.blocking && modules.every((m) => this.compiled.has(m)) && Atomics.compareExchange(slot, STATE, WAITING, CLAIMED) === WAITING) {
      slot[CHUNKS] = modules.length;
      slot.set(modules, CHUNKS + 1);
      slot[CHUNKS + 1 + modules.length] = args.length;
      slot.set(args, CHUNKS + 2 + modules.length);
      // the store publishes the words above to the worker that reads the state
      Atomics.store(slot, STATE, KERNEL);
      Atomics.notify(slot, STATE);
      return null;
    }
    const id = this.nextId++;
    const key = chunks[0].key;
    const done = new Promise<void>((resolve, reject) =>
      this.pending.set(id, (failed) => {
        modules.forEach((m) => this.compiled.add(m));
        if (failed) reject(failure(key));
        else resolve();
      }),
    );
    this.port.keepAlive(true);
    // a worker waiting on its slot goes back to its messages
    if (Atomics.compareExchange(slot, STATE, WAITING, ON_MESSAGES) === WAITING) Atomics.notify(slot, STATE);
    this.port.post({ id, chunks: chunks.map(({ emit }, k) => ({ module: modules[k], bytes: this.sent.has(modules[k]) ? undefined : emit() })), args });
    modules.forEach((m) => this.sent.add(m));
    return done;
  }

  /**
   * Blocks until the kernel started through the slot has ended on the worker; called once every
   * chunk is taken. A kernel the worker has not taken up by then (the OS has not run it: it may
   * wait behind this thread on one core, woken there, until this thread blocks) had every chunk
   * run here: it is taken back, and this thread goes on at once.
   */
  wait(key: string): void {
    const slot = this.slot;
    if (Atomics.compareExchange(slot, STATE, KERNEL, WAITING) === KERNEL) {
      this.started--;
      this.takenBack++;
      return;
    }
    for (let k = 1, until = performance.now() + spinMs; Atomics.load(slot, ENDED) < this.started && (k++ % clockEvery !== 0 || performance.now() < until); );
    for (let seen = Atomics.load(slot, ENDED); seen < this.started; seen = Atomics.load(slot, ENDED)) Atomics.wait(slot, ENDED, seen);
    if (Atomics.exchange(slot, FAILED, 0)) throw failure(key);
  }
}

export interface Team {
  /** the shared memory every chunk reads and writes */
  readonly memory: WasmMemory;
  /** threads that take chunks: this one and the workers */
  readonly size: number;
  /**
   * Runs the chunks (at most 32), each once, on this thread and the workers at once: thread t
   * passes `args(t)` (at most 27 numbers) to each chunk it takes. One chunk runs here alone.
   */
  run(chunks: readonly KernelChunk[], args: (thread: number) => readonly number[]): Promise<void>;
  /** kernels a worker had not taken up by the time this thread had run every chunk (taken back) */
  readonly takenBack: number;
}

type Run = (...args: number[]) => void;
/** This thread's instances of the modules, by key: a promise while one compiles, then the function. */
const compiling = new Map<string, Promise<Run>>();
const ready = new Map<string, Run>();

async function localRun(memory: WasmMemory, chunk: KernelChunk): Promise<Run> {
  let instance = compiling.get(chunk.key);
  if (!instance) {
    // compiled asynchronously, as browsers require on their main thread for all but tiny modules
    instance = WebAssembly.instantiate(chunk.emit(), { env: { memory } }).then((r) => r.instance.exports.run as Run);
    compiling.set(chunk.key, instance);
    ready.set(chunk.key, await instance);
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
  // a module's id, the same for every worker
  const moduleIds = new Map<string, number>();
  const moduleId = (key: string) => moduleIds.get(key) ?? moduleIds.set(key, moduleIds.size).get(key)!;
  const control = new Int32Array(new SharedArrayBuffer((1 + (size - 1) * slotWords) * 4));
  const workers: Worker[] = [];
  for (let k = 1; k < size; k++) {
    const port = platform.sharedMemoryWorker(workerSource);
    if (!port) return null;
    workers.push(new Worker(port, memory, control, 1 + (k - 1) * slotWords, blocking));
  }
  return {
    memory,
    size,
    get takenBack() {
      return workers.reduce((n, w) => n + w.takenBack, 0);
    },
    async run(chunks, args) {
      if (chunks.length > maxChunks) throw new Error(`internal: a kernel of ${chunks.length} chunks (at most ${maxChunks})`);
      const own = args(0);
      if (own.length > maxArgs) throw new Error(`internal: a kernel of ${own.length} arguments (at most ${maxArgs})`);
      if (chunks.length === 1) return (ready.get(chunks[0].key) ?? (await localRun(memory, chunks[0])))(...own);
      Atomics.store(control, COUNTER, 0);
      const modules = chunks.map(({ key }) => moduleId(key));
      const byMessage = workers.map((w, k) => w.start(chunks, modules, args(k + 1)));
      try {
        for (let c = Atomics.add(control, COUNTER, 1); c < chunks.length; c = Atomics.add(control, COUNTER, 1)) (ready.get(chunks[c].key) ?? (await localRun(memory, chunks[c])))(...own);
      } finally {
        // the workers end before the kernel does, even when a chunk here failed (the next kernel resets the counter)
        Atomics.store(control, COUNTER, chunks.length);
        // (a promise's executor runs at once: the wait blocks here, and a failure rejects)
        await Promise.all(byMessage.map((m, k) => m ?? new Promise<void>((resolve) => resolve(workers[k].wait(chunks[0].key)))));
      }
    },
  };
}

let team: Team | null | undefined;

/** The thread team, made on first use; null where workers cannot share memory. */
export function threadTeam(): Team | null {
  if (team === undefined) team = makeTeam();
  return team;
}
