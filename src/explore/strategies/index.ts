// Strategies by name: `mix` (the default), `random`, `pct:D`, `dfs` (with `--preemptions B`).
import { UserError } from '../../shared/errors.ts';
import type { FaultName } from '../../shared/seam.ts';
import type { Strategy } from '../strategy.ts';
import { RunToBlockStrategy } from '../strategy.ts';
import { MixStrategy } from './mix.ts';
import { PctStrategy } from './pct.ts';
import { RandomStrategy } from './random.ts';

export type StrategySpec =
  | { readonly kind: 'mix' }
  | { readonly kind: 'random' }
  | { readonly kind: 'pct'; readonly depth: number }
  | { readonly kind: 'dfs' };

export function parse_strategy(text: string): StrategySpec {
  if (text === 'mix') return { kind: 'mix' };
  if (text === 'random') return { kind: 'random' };
  if (text === 'dfs') return { kind: 'dfs' };
  const m = /^pct:(\d+)$/.exec(text);
  const depth = Number(m?.[1]);
  if (m && Number.isInteger(depth) && depth >= 1 && depth <= 10) return { kind: 'pct', depth };
  throw new UserError(`unknown strategy '${text}' (known: mix, random, pct:D with D in 1..10, dfs)`);
}

export function strategy_name(s: StrategySpec): string {
  return s.kind === 'pct' ? `pct:${s.depth}` : s.kind;
}

/**
 * The strategy that makes each decision. DFS is driven by scripts (DfsSearch) over the default
 * strategy, which never departs on its own; faults then happen only where a script says so.
 */
export function make_strategy(s: StrategySpec, faults: ReadonlySet<FaultName>): Strategy {
  switch (s.kind) {
    case 'mix':
      return new MixStrategy(faults);
    case 'random':
      return new RandomStrategy(faults);
    case 'pct':
      return new PctStrategy(faults, s.depth);
    case 'dfs':
      return new DefaultStrategy(faults);
  }
}

/** Always the default choice: what a replay does beyond its script, and DFS between bumps. */
export class DefaultStrategy extends RunToBlockStrategy {
  override fault(): boolean {
    return false;
  }
}
