// Every choice of a simulated run, in order, as small integers: 0 is the default (the choice that
// preempts nobody, injects no fault, takes the first option), anything else a departure from it.
// A schedule is this list; replay forces it back; shrinking turns values back to 0.

export const KIND_PICK = 0;
export const KIND_FAULT = 1;
export const KIND_CHOOSE = 2;

/** A choice that preempts nobody whatever its value: the task that ran last is blocked. */
export const PREEMPT_NONE = 0;
/** Any other value switches away from a task that could go on. */
export const PREEMPT_ANY = 1;
/** Only advancing time (the last value) preempts: it holds back every ready task. */
export const PREEMPT_ADVANCE = 2;

/** Preemptions a value costs at a decision (iterative context bounding counts these). */
export function preemption_cost(code: number, size: number, value: number): number {
  if (value === 0) return 0;
  if (code === PREEMPT_ANY) return 1;
  return code === PREEMPT_ADVANCE && value === size - 1 ? 1 : 0;
}

export class DecisionLog {
  readonly values: number[] = [];
  readonly sizes: number[] = [];
  readonly kinds: number[] = [];
  /** What departing from the default costs in preemptions: see PREEMPT_*. */
  readonly preemptive: number[] = [];

  get length(): number {
    return this.values.length;
  }

  push(kind: number, size: number, value: number, preemptive: number): void {
    this.kinds.push(kind);
    this.sizes.push(size);
    this.values.push(value);
    this.preemptive.push(preemptive);
  }

  /** Decisions that departed from the default. */
  departures(): number {
    let n = 0;
    for (const v of this.values) if (v !== 0) n++;
    return n;
  }

  /** Departures that preempted a task able to go on, or held every ready task back. */
  preemptions(): number {
    let n = 0;
    for (let i = 0; i < this.values.length; i++) {
      n += preemption_cost(this.preemptive[i] ?? 0, this.sizes[i] ?? 0, this.values[i] ?? 0);
    }
    return n;
  }

  /** The departures as [index, value] pairs: a schedule in its saved form. */
  sparse(): [number, number][] {
    const out: [number, number][] = [];
    this.values.forEach((v, i) => {
      if (v !== 0) out.push([i, v]);
    });
    return out;
  }
}

/** Values to force at given decision indices; a decision not in the script is the strategy's. */
export type Script = ReadonlyMap<number, number>;

/**
 * The options of a pick, in canonical order: the default first (the preferred task: the one that
 * ran last, else the oldest ready one no departure passed over; else advancing time), then the
 * other ready tasks in queue order, then advancing time. Encoded and decoded arithmetically: this
 * runs at every step.
 */
export function pick_default(ready_len: number, preferred: number): number {
  return preferred >= 0 ? preferred : ready_len > 0 ? 0 : -1;
}

export function encode_pick(choice: number, ready_len: number, preferred: number): number {
  const d = pick_default(ready_len, preferred);
  if (choice === d) return 0;
  const others = ready_len - (d >= 0 ? 1 : 0);
  if (choice === -1) return 1 + others;
  return 1 + choice - (d >= 0 && choice > d ? 1 : 0);
}

/** The pick a value stands for; a value with no meaning here means the default. */
export function decode_pick(value: number, ready_len: number, preferred: number, can_advance: boolean): number {
  const d = pick_default(ready_len, preferred);
  if (value <= 0) return d;
  const k = value - 1;
  const others = ready_len - (d >= 0 ? 1 : 0);
  if (k < others) return k + (d >= 0 && k >= d ? 1 : 0);
  if (k === others && can_advance && d !== -1) return -1;
  return d;
}
