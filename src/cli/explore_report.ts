// The explorer's summary for a person, and its JSON for machines.
import Table from 'cli-table3';
import { PHASES, TRIGGERS, cell_name } from '../explore/coverage.ts';
import type { ExploreReport } from '../explore/explore.ts';

/** `--json`: the keys the issue names first; the whole campaign (for merge-results) under `campaign`. */
export function to_json(r: ExploreReport): Record<string, unknown> {
  // The trace shapes merge shards exactly in one process; they are too big for a report. A saved
  // failure's shrunk schedule is in its file.
  const campaign = {
    ...Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'shapes')),
    failures: r.failures.map(({ shrunk: _, ...f }) => f),
  };
  return {
    schedules: r.schedules,
    failures: r.failures.map((f) => ({
      rule: f.rule,
      seed: f.seed,
      file: f.file,
      message: f.message,
      schedule: f.index + 1,
      decisions: f.shrunk_decisions,
      replays_identically: f.replays_identically,
      ...(f.shrink_timed_out ? { shrink_timed_out: true } : {}),
      ...(f.save_error ? { save_error: f.save_error } : {}),
    })),
    first_failure_at: r.first_failure_at,
    coverage: r.coverage,
    schedules_per_second: Math.round(r.schedules_per_second),
    distinct_traces: r.distinct_traces,
    ...(r.distinct_traces_summed ? { distinct_traces_summed: true } : {}),
    violations_by_rule: r.violations_by_rule,
    exhausted: r.exhausted,
    interrupted: r.interrupted,
    campaign,
  };
}

export function format_explore(r: ExploreReport, color: boolean): string {
  const style = color ? {} : { head: [], border: [] };
  const lines: string[] = [];
  const what = `${r.scenario}, ${r.strategy}${r.mutant ? `, mutant ${r.mutant}` : ''}${
    r.faults.length > 0 ? `, faults ${r.faults.join(' ')}` : ''
  }, seed ${r.seed}${r.shard.count > 1 ? `, shard ${r.shard.index}/${r.shard.count}` : ''}`;
  lines.push(`explored ${what}`);
  lines.push(
    `schedules: ${r.schedules} in ${r.seconds.toFixed(1)} s (${Math.round(r.schedules_per_second)}/s)` +
      (r.exhausted === null ? '' : r.exhausted ? ', bounded space exhausted' : ', bounded space not exhausted') +
      (r.interrupted ? ', interrupted' : ''),
  );
  lines.push(
    r.distinct_traces_summed
      ? `distinct traces: at most ${r.distinct_traces} (summed over the shards: one trace in two counts twice)`
      : `distinct traces: ${r.distinct_traces}`,
  );
  const rules = Object.entries(r.violations_by_rule).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`violations: ${rules.length === 0 ? 'none' : rules.map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  if (r.first_failure_at !== null) lines.push(`first failure at schedule ${r.first_failure_at}`);
  const t = new Table({ head: ['trigger \\ phase', ...PHASES], style });
  for (const trig of TRIGGERS) t.push([trig, ...PHASES.map((p) => String(r.coverage[cell_name(trig, p)] ?? 0))]);
  const reached = Object.values(r.coverage).filter((n) => n > 0).length;
  lines.push(`coverage: ${reached} of ${Object.keys(r.coverage).length} cells`);
  lines.push(t.toString());
  // The first failure of each rule: saved, or meant to be.
  const shown = r.failures.filter((x) => x.file !== null || x.save_error);
  for (const f of shown) {
    const size =
      (f.shrunk_decisions < f.decisions.length
        ? `shrunk from ${f.decisions.length} to ${decisions(f.shrunk_decisions)}`
        : decisions(f.shrunk_decisions)) + (f.shrink_timed_out ? ' (shrinking hit the --shrink time limit)' : '');
    lines.push(`FAIL ${f.rule}: ${f.message}`);
    lines.push(
      `  schedule ${f.index + 1}, seed ${f.seed}; ${size}${f.replays_identically ? '' : ' (REPLAY NOT IDENTICAL)'}; ` +
        (f.file !== null ? `replay: ${f.replay ?? ''}` : `NOT SAVED: ${f.save_error ?? ''}`),
    );
  }
  const more = r.failures_total - shown.length;
  if (more > 0) lines.push(`(${more} more failing schedules, of rules already shown above)`);
  return lines.join('\n');
}

function decisions(n: number): string {
  return `${n} decision${n === 1 ? '' : 's'}`;
}
