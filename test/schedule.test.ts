import test from 'ava';
import { cifarVitSchedule, cosineAnnealing, gradualWarmup, lrForEpoch, type Schedule } from '../src/train/schedule.js';

// Hand-derived torch values for the recipe (lr 1e-3, warmup 10, CosineAnnealingLR(T_max=250,
// eta_min=1e-5)); c(k) = 1e-5 + 0.99e-3 * (1 + cos(pi k / 250)) / 2:
//   GradualWarmupScheduler.get_lr at last_epoch n <= 10 (multiplier 1): 1e-3 * (n / 10);
//   n = 11: the cosine's initial LR 1e-3 (handover); n = 11 + k: c(k).
//   c(1) = 9.99960917e-4, c(2) = 9.99843674e-4, c(3) = 9.99648289e-4,
//   c(238) = 1.56173864e-5, c(239) = 1.47215943e-5, c(250) = 1e-5.
//   Plain loop (step after each epoch): epoch e trains at n = e  -> 0, 1e-4, ..., 1e-3, 1e-3, c(1)
//   With one step before the loop:       epoch e trains at n = e+1 -> 1e-4, ..., 1e-3, 1e-3, c(1)
const c1 = 9.99960917e-4;
const c2 = 9.99843674e-4;
const c3 = 9.99648289e-4;

function closeTo(t: { true(v: boolean, msg?: string): void }, actual: number, expected: number, tol: number, what: string) {
  t.true(Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected} (tol ${tol})`);
}

test('recipe schedule (one step before the loop): first epochs, handover, end', (t) => {
  const s = cifarVitSchedule();
  const warm = [1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4, 7e-4, 8e-4, 9e-4, 1e-3];
  warm.forEach((v, e) => closeTo(t, lrForEpoch(s, e), v, 1e-18, `epoch ${e}`));
  t.is(s(9), 1e-3); // warmup reaches exactly the base LR
  t.is(s(10), 1e-3); // handover: the cosine's step 0
  closeTo(t, s(11), c1, 5e-13, 'epoch 11');
  closeTo(t, s(12), c2, 5e-13, 'epoch 12');
  closeTo(t, s(13), c3, 5e-13, 'epoch 13');
  closeTo(t, s(248), 1.56173864e-5, 5e-14, 'epoch 248');
  closeTo(t, s(249), 1.47215943e-5, 5e-14, 'last epoch (249)');
  t.is(s(260), 1e-5); // eta_min, 11 epochs after a 250-epoch run would end
});

test('plain convention (step only after each epoch): epoch 0 trains at LR 0', (t) => {
  const s = cifarVitSchedule({ stepBeforeLoop: false });
  t.is(s(0), 0);
  closeTo(t, s(1), 1e-4, 1e-18, 'epoch 1');
  closeTo(t, s(5), 5e-4, 1e-18, 'epoch 5');
  t.is(s(10), 1e-3);
  t.is(s(11), 1e-3);
  closeTo(t, s(12), c1, 5e-13, 'epoch 12');
  closeTo(t, s(249), 1.56173864e-5, 5e-14, 'last epoch (249)');
  t.is(s(261), 1e-5);
  // The two conventions are the same sequence shifted by one epoch.
  const pre = cifarVitSchedule();
  for (let e = 0; e < 300; e++) t.is(pre(e), s(e + 1));
});

test('cosineAnnealing: torch CosineAnnealingLR values', (t) => {
  const s = cosineAnnealing({ baseLr: 0.1, tMax: 4, etaMin: 0.02 });
  t.is(s(0), 0.1);
  // 0.02 + 0.08 * (1 + cos(pi/4)) / 2 = 0.02 + 0.04 * (1 + 0.70710678) = 0.08828427
  closeTo(t, s(1), 0.0882842712, 1e-10, 'epoch 1');
  closeTo(t, s(2), 0.06, 1e-15, 'epoch 2'); // midpoint
  closeTo(t, s(3), 0.0317157288, 1e-10, 'epoch 3');
  t.is(s(4), 0.02); // exactly eta_min at T_max
  // Past T_max torch keeps following the cosine back up (period 2 T_max).
  closeTo(t, s(5), s(3), 1e-15, 'epoch 5');
  closeTo(t, s(8), 0.1, 1e-15, 'epoch 8');
  t.is(cosineAnnealing({ baseLr: 1, tMax: 10 })(10), 0); // eta_min defaults to 0
});

test('gradualWarmup without an after-scheduler holds the base LR', (t) => {
  const s = gradualWarmup({ baseLr: 0.5, totalEpoch: 4 });
  t.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map(s), [0, 0.125, 0.25, 0.375, 0.5, 0.5, 0.5, 0.5]);
});

test('invalid arguments are rejected', (t) => {
  const s = cifarVitSchedule();
  t.throws(() => lrForEpoch(s, -1), { instanceOf: RangeError, message: /non-negative integer, got -1/ });
  t.throws(() => lrForEpoch(s, 1.5), { instanceOf: RangeError });
  t.throws(() => s(Number.NaN), { instanceOf: RangeError });
  t.throws(() => gradualWarmup({ baseLr: 1e-3, multiplier: 2 as 1, totalEpoch: 5 }), { message: /only multiplier 1/ });
  t.throws(() => gradualWarmup({ baseLr: 1e-3, totalEpoch: 0 }), { message: /totalEpoch must be a positive integer/ });
  t.throws(() => gradualWarmup({ baseLr: 1e-3, totalEpoch: 5, after: cosineAnnealing({ baseLr: 1e-2, tMax: 9 }) }), { message: /must start at baseLr/ });
  t.throws(() => cosineAnnealing({ baseLr: 1e-3, tMax: 0 }), { message: /tMax must be a positive integer/ });
  t.throws(() => cosineAnnealing({ baseLr: Number.NaN, tMax: 3 }), { message: /finite non-negative/ });
});

// ---------------------------------------------------------------------------------------------
// A line-by-line model of the stateful torch objects (torch 2.x LRScheduler + CosineAnnealingLR's
// recursive get_lr + warmup_scheduler 0.3.2), stepped the way the training loop steps them. The
// pure schedules must reproduce every epoch's LR.

interface Group { lr: number; initialLr?: number }
const pyMod = (a: number, b: number) => ((a % b) + b) % b;

class TorchCosine {
  lastEpoch = -1;
  stepCount = 0;
  baseLr: number;
  lastLr = NaN;
  constructor(private g: Group, private tMax: number, private etaMin: number) {
    g.initialLr ??= g.lr;
    this.baseLr = g.initialLr;
    this.step(); // LRScheduler.__init__ -> _initial_step()
  }
  getLr(): number {
    const { g, tMax, etaMin, lastEpoch: n } = this;
    if (n === 0) return g.lr;
    if (this.stepCount === 1 && n > 0) return etaMin + ((this.baseLr - etaMin) * (1 + Math.cos((n * Math.PI) / tMax))) / 2;
    if (pyMod(n - 1 - tMax, 2 * tMax) === 0) return g.lr + ((this.baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    return ((1 + Math.cos((Math.PI * n) / tMax)) / (1 + Math.cos((Math.PI * (n - 1)) / tMax))) * (g.lr - etaMin) + etaMin;
  }
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.g.lr = this.getLr();
    this.lastLr = this.g.lr;
  }
}

class TorchGradualWarmup {
  lastEpoch = -1;
  baseLr: number;
  finished = false;
  constructor(private g: Group, private totalEpoch: number, private after: TorchCosine) {
    g.initialLr ??= g.lr;
    this.baseLr = g.initialLr;
    this.step();
  }
  getLr(): number {
    if (this.lastEpoch > this.totalEpoch) {
      if (!this.finished) {
        this.after.baseLr = this.baseLr * 1; // multiplier 1
        this.finished = true;
      }
      return this.after.lastLr; // get_last_lr()
    }
    return this.baseLr * (this.lastEpoch / this.totalEpoch);
  }
  step(): void {
    if (this.finished) {
      this.after.step();
      this.lastEpoch = this.after.lastEpoch + this.totalEpoch + 1;
    } else {
      this.lastEpoch++;
      this.g.lr = this.getLr();
    }
  }
}

function torchLrs(epochs: number, stepBeforeLoop: boolean): number[] {
  const g: Group = { lr: 1e-3 };
  const warmup = new TorchGradualWarmup(g, 10, new TorchCosine(g, epochs, 1e-5));
  if (stepBeforeLoop) warmup.step();
  const lrs: number[] = [];
  for (let e = 0; e < epochs; e++) {
    lrs.push(g.lr); // what the optimizer uses while training epoch e
    warmup.step(); // once per epoch, after training
  }
  return lrs;
}

function compare(t: { true(v: boolean, msg?: string): void; is(a: unknown, b: unknown, msg?: string): void }, s: Schedule, expected: number[]) {
  expected.forEach((v, e) => {
    const got = s(e);
    // Warmup values use the same arithmetic as torch: identical. The recursive cosine differs from
    // the closed form only by rounding.
    if (e <= 10) t.is(got, v, `epoch ${e}`);
    else t.true(Math.abs(got - v) <= 1e-12 * v, `epoch ${e}: ${got} vs torch ${v}`);
  });
}

test('matches the stateful torch schedulers for all 250 epochs (both stepping conventions)', (t) => {
  const pre = torchLrs(250, true);
  const plain = torchLrs(250, false);
  t.is(pre[0], 1e-4);
  t.is(plain[0], 0);
  compare(t, cifarVitSchedule({ stepBeforeLoop: true }), pre);
  compare(t, cifarVitSchedule({ stepBeforeLoop: false }), plain);
});

test('matches torch on a short run that anneals past T_max', (t) => {
  // T_max 12 with 40 epochs crosses T_max and the (n - 1 - T_max) % 2T_max special case.
  const g: Group = { lr: 0.2 };
  const warmup = new TorchGradualWarmup(g, 3, new TorchCosine(g, 12, 0.01));
  const s = gradualWarmup({ baseLr: 0.2, multiplier: 1, totalEpoch: 3, after: cosineAnnealing({ baseLr: 0.2, tMax: 12, etaMin: 0.01 }) });
  for (let e = 0; e < 40; e++) {
    t.true(Math.abs(s(e) - g.lr) <= 1e-12, `epoch ${e}: ${s(e)} vs torch ${g.lr}`);
    warmup.step();
  }
});
