// Compiled kernels by key: unbounded where the platform allows, bounded where it does not (a
// Chromium page holds about 120 WebAssembly memories, and every webasm kernel owns one). A training
// step runs its kernels in the same order every step, a cycle longer than the bound: evicting the
// most recently used kernel keeps the rest of the cycle warm (what the optimal policy does on a
// cycle), where evicting the least recently used would miss on every call.
export class KernelCache<K> {
  private readonly live = new Map<string, K>();
  private lastUsed: string | null = null;
  /** kernels compiled so far, evicted ones included */
  compiled = 0;

  constructor(
    private readonly limit: number | null,
    private readonly destroy: (kernel: K) => void,
  ) {}

  get(key: string, make: () => K): K {
    let kernel = this.live.get(key);
    if (!kernel) {
      if (this.limit !== null && this.live.size >= this.limit && this.lastUsed !== null) {
        this.destroy(this.live.get(this.lastUsed)!);
        this.live.delete(this.lastUsed);
      }
      kernel = make();
      this.compiled++;
      this.live.set(key, kernel);
    }
    this.lastUsed = key;
    return kernel;
  }
}
