// A schedule by what it chose rather than by option numbers, for the shrinker. A saved schedule
// forces a value at a decision index, and a value is a position among the options there ("the
// second ready task"): drop one early departure and every later value lands on other options, so
// the failure is gone and plain delta debugging keeps dozens of departures that only make sense
// together. Here each departure is the task it ran (actor, task name and age), time advancing, or
// a data value; a run that follows them with one left out keeps the others' meaning.
import type { FaultName } from '../shared/seam.ts';
import { decode_pick, pick_default, type Script } from './decisions.ts';
import type { Choice, Strategy } from './strategy.ts';

/** What a departure did: `th/name#age` of the task it ran, TIME for advancing time, or a value. */
export type Chosen = string | number;
export const TIME = 'time';

/** Departures by decision index and what each chose. */
export type Followed = ReadonlyMap<number, Chosen>;

function key(c: Choice): string {
  return `${c.th}/${c.name}`;
}

/** A ready task by actor and name, and by age among ready tasks of the same (`#1`: the second). */
function identity(ready: readonly Choice[], i: number): string {
  const k = key(ready[i] as Choice);
  let rank = 0;
  for (let j = 0; j < i; j++) if (key(ready[j] as Choice) === k) rank++;
  return `${k}#${rank}`;
}

/** The ready task an identity names: the same age if there is one, else the youngest of them. */
function find(ready: readonly Choice[], id: string): number {
  const hash = id.lastIndexOf('#');
  const k = id.slice(0, hash);
  let rank = Number(id.slice(hash + 1));
  let found = -1;
  for (let j = 0; j < ready.length; j++) {
    if (key(ready[j] as Choice) !== k) continue;
    found = j;
    if (rank-- === 0) break;
  }
  return found;
}

/**
 * Makes every decision of a run through the strategy interface: the script's value where it has
 * one (then notes what that value chose), or what `follow` chose (the ready task of that actor,
 * name and age; the default when there is none), else the default. The World consults the
 * strategy at every decision in order, so a counter is the decision index.
 */
export class FollowStrategy implements Strategy {
  private index = 0;
  /** What each departure of the script chose, once the run is over. */
  readonly chosen = new Map<number, Chosen>();

  constructor(
    readonly faults: ReadonlySet<FaultName>,
    private readonly script: Script,
    private readonly follow: Followed,
  ) {}

  begin(): void {
    this.index = 0;
    this.chosen.clear();
  }

  pick(ready: readonly Choice[], preferred: number, can_advance: boolean): number {
    const i = this.index++;
    const value = this.script.get(i);
    if (value !== undefined) {
      const raw = decode_pick(value, ready.length, preferred, can_advance);
      this.chosen.set(i, raw < 0 ? TIME : identity(ready, raw));
      return raw;
    }
    const want = this.follow.get(i);
    const d = pick_default(ready.length, preferred);
    if (want === TIME) return can_advance ? -1 : d;
    if (typeof want !== 'string') return d;
    const j = find(ready, want);
    return j >= 0 ? j : d;
  }

  fault(): boolean {
    return this.value(2) === 1;
  }

  choose(n: number): number {
    return this.value(n);
  }

  private value(n: number): number {
    const i = this.index++;
    const v = this.script.get(i) ?? this.follow.get(i);
    if (typeof v !== 'number' || !(v >= 0 && v < n)) return 0;
    this.chosen.set(i, v);
    return v;
  }
}
