// Learning-rate schedules as pure functions of the 0-based epoch index: schedule(e) is the LR the
// optimizer uses while training epoch e (printed by the recipe as "Epoch: e+1/250"). They
// reproduce, value for value, the stateful torch schedulers of the PyTorch recipe stepped once per
// epoch, so a resumed run needs no scheduler state: just the epoch number.
//
// Sources read:
// - torch.optim.lr_scheduler: LRScheduler.__init__ calls step() once (last_epoch -1 -> 0);
//   CosineAnnealingLR.get_lr is recursive,
//     lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max)),
//   with lr_0 = the optimizer's lr, which telescopes to the closed form (_get_closed_form_lr)
//     lr_t = eta_min + (base - eta_min) * (1 + cos(pi t / T_max)) / 2
//   (equal up to float rounding, ~1e-16 relative). Past T_max both keep following that cosine.
// - warmup_scheduler 0.3.x (github.com/ildoonet/pytorch-gradual-warmup-lr, scheduler.py):
//   GradualWarmupScheduler.get_lr with last_epoch = n:
//     n <= total_epoch:  multiplier == 1 -> base * (n / total_epoch)   (so n = 0 gives LR 0)
//     n >  total_epoch:  on the first such call it sets after.base_lrs and returns
//                        after.get_last_lr(), i.e. the after-scheduler's value from its own
//                        constructor (its step 0); later steps delegate to after.step(), so the
//                        after-scheduler is at its step n - total_epoch - 1.
//   Its constructor already performed one step, so with no other call epoch 0 trains at LR 0.
//
// Stepping conventions (stepBeforeLoop):
// - false: `for epoch: train(); scheduler.step()` -- epoch e sees n = e.
// - true:  as above plus one `scheduler_warmup.step()` before the loop (the package's README
//          pattern that many CIFAR ViT repos copy) -- epoch e sees n = e + 1.
//
// Worked values, baseLr 1e-3, warmup 10 epochs, cosine T_max 250, eta_min 1e-5, c(k) = closed
// cosine after k steps = 1e-5 + 0.99e-3 * (1 + cos(pi k / 250)) / 2:
//   epoch:          0     1     2   ...  8     9     10    11        12        ... 249
//   stepBefore=F:   0     1e-4  2e-4 ... 8e-4  9e-4  1e-3  1e-3      c(1)      ... c(238)
//   stepBefore=T:   1e-4  2e-4  3e-4 ... 9e-4  1e-3  1e-3  c(1)      c(2)      ... c(239)
//   c(1) = 9.99960917e-4, c(2) = 9.99843674e-4, c(238) = 1.56174e-5, c(239) = 1.47216e-5,
//   c(250) = 1e-5 (eta_min is only reached 11-12 epochs after a 250-epoch run ends).
// The handover epoch repeats the peak LR: the warmup's last value and the after-scheduler's step
// 0 are both baseLr.

/** A schedule: the LR used during 0-based epoch `epoch`. Pure. */
export type Schedule = (epoch: number) => number;

/** Evaluates a schedule after checking that the epoch is a non-negative integer. */
export function lrForEpoch(schedule: Schedule, epoch: number): number {
  checkEpoch(epoch, 'lrForEpoch');
  return schedule(epoch);
}

export interface CosineAnnealingOptions {
  baseLr: number;
  /** torch's T_max, in epochs (steps of this scheduler). */
  tMax: number;
  /** torch's eta_min (default 0). */
  etaMin?: number;
}

/** torch.optim.lr_scheduler.CosineAnnealingLR stepped once per epoch (closed form). */
export function cosineAnnealing({ baseLr, tMax, etaMin = 0 }: CosineAnnealingOptions): Schedule {
  checkLr(baseLr, 'cosineAnnealing baseLr');
  checkLr(etaMin, 'cosineAnnealing etaMin');
  if (!Number.isSafeInteger(tMax) || tMax < 1) throw new RangeError(`cosineAnnealing: tMax must be a positive integer, got ${tMax}`);
  return (epoch) => {
    checkEpoch(epoch, 'cosineAnnealing');
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
  };
}

export interface GradualWarmupOptions {
  /** The optimizer's lr (torch's base_lrs). */
  baseLr: number;
  /** Only 1 is reproduced: with multiplier > 1 torch's handover returns the after-scheduler's
   *  stale initial LR and its recursive cosine continues from it, ignoring the multiplier. */
  multiplier?: 1;
  /** Warmup length in epochs (total_epoch). */
  totalEpoch: number;
  /** The after_scheduler as a function of its own step count; it must start at baseLr. */
  after?: Schedule;
  /** One extra scheduler_warmup.step() before the training loop (see the top of this file). */
  stepBeforeLoop?: boolean;
}

/** warmup_scheduler.GradualWarmupScheduler (multiplier 1) chained to an after-scheduler. */
export function gradualWarmup({ baseLr, multiplier = 1, totalEpoch, after, stepBeforeLoop = false }: GradualWarmupOptions): Schedule {
  checkLr(baseLr, 'gradualWarmup baseLr');
  if (multiplier !== 1) throw new RangeError(`gradualWarmup: only multiplier 1 is supported, got ${multiplier}`);
  if (!Number.isSafeInteger(totalEpoch) || totalEpoch < 1) throw new RangeError(`gradualWarmup: totalEpoch must be a positive integer, got ${totalEpoch}`);
  if (after) {
    // torch hands over at the after-scheduler's initial value, which is the optimizer's lr.
    const start = after(0);
    if (!(Math.abs(start - baseLr) <= 1e-12 * Math.max(1, Math.abs(baseLr)))) {
      throw new RangeError(`gradualWarmup: the after-schedule starts at ${start} but must start at baseLr ${baseLr}`);
    }
  }
  return (epoch) => {
    checkEpoch(epoch, 'gradualWarmup');
    // n = the scheduler's last_epoch while this epoch trains.
    const n = epoch + (stepBeforeLoop ? 1 : 0);
    // Same operation order as the Python, so these values are bit-identical to torch's.
    if (n <= totalEpoch) return baseLr * (n / totalEpoch);
    return after ? after(n - totalEpoch - 1) : baseLr;
  };
}

export interface CifarVitScheduleOptions {
  epochs?: number;
  warmupEpochs?: number;
  lr?: number;
  minLr?: number;
  stepBeforeLoop?: boolean;
}

/**
 * The CIFAR-10 ViT recipe: Adam lr 1e-3, 10 warmup epochs (GradualWarmupScheduler, multiplier 1)
 * handing over to CosineAnnealingLR(T_max = epochs = 250, eta_min = 1e-5), stepped once per epoch.
 * stepBeforeLoop defaults to true: the recipe's first log line (val accuracy 0.3120 after epoch 1)
 * shows the weights moved during epoch 1, which is impossible at the LR 0 that the plain
 * convention gives epoch 0; with the pre-loop step epoch 0 trains at 1e-4.
 */
export function cifarVitSchedule({ epochs = 250, warmupEpochs = 10, lr = 1e-3, minLr = 1e-5, stepBeforeLoop = true }: CifarVitScheduleOptions = {}): Schedule {
  return gradualWarmup({
    baseLr: lr,
    multiplier: 1,
    totalEpoch: warmupEpochs,
    after: cosineAnnealing({ baseLr: lr, tMax: epochs, etaMin: minLr }),
    stepBeforeLoop,
  });
}

function checkEpoch(epoch: number, who: string): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`${who}: epoch must be a non-negative integer, got ${epoch}`);
}

function checkLr(lr: number, what: string): void {
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`${what} must be a finite non-negative number, got ${lr}`);
}
