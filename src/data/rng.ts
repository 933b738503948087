// Small seeded PRNG for data loading and augmentation.
//
// Every random decision in the input pipeline draws from a stream derived from
// (seed, epoch, record index), so a batch is the same whichever worker thread
// builds it and however many workers there are.

/** A seeded stream of pseudo-random numbers. */
export interface Rng {
  /** Next raw 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform float in [0, 1) (32 bits of randomness). */
  next(): number;
  /** Uniform integer in [0, n), unbiased; n must be an integer in 1..2^32. */
  int(n: number): number;
  /** A uniformly chosen element of a non-empty list. */
  choice<T>(items: readonly T[]): T;
}

const TWO_32 = 4294967296;

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Splits an integer (negative or up to 2^53) into its low and high 32-bit words. */
function words(value: number): [number, number] {
  if (!Number.isSafeInteger(value)) throw new RangeError(`rng: seed parts must be safe integers, got ${value}`);
  const lo = value >>> 0;
  const hi = Math.floor(value / TWO_32) >>> 0;
  return [lo, hi];
}

/**
 * Hashes a tuple of integers (e.g. seed, epoch, index) into a 32-bit seed.
 * Order matters, and every part (including its high bits) changes the result.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9 ^ parts.length;
  for (const part of parts) {
    const [lo, hi] = words(part);
    h = mix32((h ^ mix32(lo)) + 0x7f4a7c15);
    h = mix32((h ^ mix32(hi ^ 0x5bd1e995)) + 0x7f4a7c15);
  }
  return h >>> 0;
}

/**
 * SplitMix32: a Weyl sequence (step 0x9e3779b9) passed through mix32.
 * Period 2^32 per stream, which is ample for per-image streams.
 */
export function createRng(seed: number): Rng {
  const [lo, hi] = words(seed);
  let state = lo ^ mix32(hi);
  const uint32 = (): number => {
    state = (state + 0x9e3779b9) | 0;
    return mix32(state);
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) throw new RangeError(`rng.int: n must be an integer in 1..2^32, got ${n}`);
    // Rejection sampling keeps int(n) exactly uniform even when n does not divide 2^32.
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const u = uint32();
      if (u < limit) return u % n;
    }
  };
  return {
    uint32,
    next: () => uint32() / TWO_32,
    int,
    choice<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('rng.choice: empty list');
      return items[int(items.length)];
    },
  };
}

/** The independent stream for one record of one epoch under one seed. */
export function streamRng(seed: number, epoch: number, index: number): Rng {
  return createRng(deriveSeed(seed, epoch, index));
}

/** In-place Fisher-Yates shuffle driven by rng. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(arr: T, rng: Rng): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}
