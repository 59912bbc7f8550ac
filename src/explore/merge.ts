// Joining the results of a campaign's shards (jobs of one machine, or a CI matrix's JSON files):
// counts add up, coverage cells add up, the first failure is the earliest schedule of any shard.
import { UserError } from '../shared/errors.ts';
import type { CampaignResult } from './campaign.ts';

export function merge_results(parts: readonly CampaignResult[]): CampaignResult {
  const first = parts[0];
  if (first === undefined) throw new UserError('nothing to merge');
  for (const p of parts) {
    const same = p.scenario === first.scenario && p.strategy === first.strategy && p.mutant === first.mutant && p.seed === first.seed;
    if (!same) {
      throw new UserError(
        `cannot merge results of different campaigns: ${describe(first)} and ${describe(p)}`,
      );
    }
  }
  const sum = (f: (p: CampaignResult) => number): number => parts.reduce((n, p) => n + f(p), 0);
  const coverage: Record<string, number> = {};
  const by_rule: Record<string, number> = {};
  for (const p of parts) {
    for (const [c, n] of Object.entries(p.coverage)) coverage[c] = (coverage[c] ?? 0) + n;
    for (const [r, n] of Object.entries(p.violations_by_rule)) by_rule[r] = (by_rule[r] ?? 0) + n;
  }
  const exact = parts.every((p) => p.shapes !== undefined);
  const shapes = exact ? new Set(parts.flatMap((p) => p.shapes ?? [])) : null;
  const firsts = parts.map((p) => p.first_failure_at).filter((x): x is number => x !== null);
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const schedules = sum((p) => p.schedules);
  return {
    ...first,
    shard: { index: 0, count: 1 },
    schedules,
    failures: parts.flatMap((p) => p.failures).sort((a, b) => a.index - b.index),
    failures_total: sum((p) => p.failures_total),
    first_failure_at: firsts.length > 0 ? Math.min(...firsts) : null,
    violations_by_rule: by_rule,
    // Shards from files carry no shapes: then the sum, an upper bound.
    distinct_traces: shapes ? shapes.size : sum((p) => p.distinct_traces),
    ...(shapes ? { shapes: [...shapes] } : {}),
    coverage,
    seconds,
    schedules_per_second: seconds > 0 ? schedules / seconds : 0,
    exhausted: first.exhausted === null ? null : parts.every((p) => p.exhausted === true),
    interrupted: parts.some((p) => p.interrupted),
  };
}

function describe(p: CampaignResult): string {
  return `${p.scenario} ${p.strategy}${p.mutant ? ` --mutant ${p.mutant}` : ''} --seed ${p.seed}`;
}
