// A plan as one gpu.js pipeline program, when every step is a kernel program (kernel-source.ts):
// the plan's bound slots become the pipeline's arguments and each step's kernels are recorded in
// order. A step with its own code (a backend's hand-written kernel, a host read) cannot be
// recorded; the reason names it.
import type { PipelineProgram } from './backend.js';
import { outsOf, type Plan } from './plan.js';

export interface RecordedPlan {
  readonly program: PipelineProgram;
  /** the bound slot behind each pipeline argument */
  readonly argSlots: readonly number[];
  /** for each plan target: the pipeline result that holds it, or the argument it is (aliases) */
  readonly targets: ReadonlyArray<{ readonly result: number } | { readonly arg: number }>;
}

export function recordPlan(plan: Plan): RecordedPlan | { readonly reason: string } {
  const empty = plan.nodes.find((t) => t?.size === 0);
  if (empty) return { reason: `the zero-size ${empty} has no gpu.js kernel` };
  const argSlots = plan.bound;
  const valueOf = new Map<number, number>(argSlots.map((s, k) => [s, k]));
  const kernels: Array<PipelineProgram['kernels'][number]> = [];
  for (const step of plan.steps) {
    const program = 'outs' in step ? step.runResults.program : step.run.program;
    if (!program) return { reason: `${step.label} runs the backend's own code, which a gpu.js pipeline cannot record` };
    const local = step.args.map((s) => valueOf.get(s)!);
    const values = [...local];
    for (const k of program.kernels) {
      kernels.push({ spec: k.spec, args: (k.args ?? local.map((_, i) => i)).map((a) => values[a]) });
      values.push(argSlots.length + kernels.length - 1);
    }
    const results = 'outs' in step ? (step.runResults.program?.results ?? []) : [step.run.program?.result ?? values.length - 1];
    outsOf(step).forEach((s, k) => valueOf.set(s, values[results[k]]));
  }
  const produced = [...new Set(plan.targets.map((s) => valueOf.get(s)!).filter((v) => v >= argSlots.length))];
  const targets = plan.targets.map((s) => {
    const v = valueOf.get(s)!;
    return v < argSlots.length ? { arg: v } : { result: produced.indexOf(v) };
  });
  return { program: { args: argSlots.length, kernels, results: produced }, argSlots, targets };
}
