// Joining the results of a campaign's shards (jobs of one machine, or a CI matrix's JSON files):
// counts add up, coverage cells add up, the first failure is the earliest schedule of any shard.
import { UserError } from '../shared/errors.ts';
import { is_mutant } from '../shared/mutants.ts';
import { is_fault_list } from '../shared/seam.ts';
import { keep, type CampaignResult, type FailureRecord } from './campaign.ts';

/**
 * `keep_failures`: the limit each part kept its failures under. The merged list is the one a
 * single job would have kept: every rule's first failure and the campaign's first K failures are
 * among the parts' kept ones, so keeping again, in index order, under the same limit finds it.
 */
export function merge_results(parts: readonly CampaignResult[], keep_failures: number): CampaignResult {
  const first = parts[0];
  if (first === undefined) throw new UserError('nothing to merge');
  for (const p of parts) {
    const same =
      p.scenario === first.scenario &&
      p.strategy === first.strategy &&
      p.mutant === first.mutant &&
      p.seed === first.seed &&
      same_set(p.faults, first.faults);
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
  const by_index = (a: FailureRecord, b: FailureRecord): number => a.index - b.index;
  const failures: FailureRecord[] = [];
  for (const f of parts.flatMap((p) => p.failures).sort(by_index)) keep(failures, f, keep_failures);
  const exact = parts.every((p) => p.shapes !== undefined);
  const shapes = exact ? new Set(parts.flatMap((p) => p.shapes ?? [])) : null;
  const firsts = parts.map((p) => p.first_failure_at).filter((x): x is number => x !== null);
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const schedules = sum((p) => p.schedules);
  return {
    ...first,
    shard: { index: 0, count: 1 },
    schedules,
    failures: failures.sort(by_index),
    failures_total: sum((p) => p.failures_total),
    first_failure_at: firsts.length > 0 ? Math.min(...firsts) : null,
    violations_by_rule: by_rule,
    // Shards from files carry no shapes: then the sum, an upper bound.
    distinct_traces: shapes ? shapes.size : sum((p) => p.distinct_traces),
    ...(shapes === null && parts.length > 1 ? { distinct_traces_summed: true as const } : {}),
    ...(shapes ? { shapes: [...shapes] } : {}),
    coverage,
    seconds,
    schedules_per_second: seconds > 0 ? schedules / seconds : 0,
    exhausted: first.exhausted === null ? null : parts.every((p) => p.exhausted === true),
    interrupted: parts.some((p) => p.interrupted),
  };
}

/**
 * Shards read from files (`names`, one a part): all of one split N, none given twice. Fewer than
 * N of them is a part of the campaign, and fine. (The --jobs parts are sub-shards I + j*N of N*J.)
 */
export function check_shards(parts: readonly CampaignResult[], names: readonly string[]): void {
  const first = parts[0];
  if (first === undefined) return;
  const name = (i: number): string => names[i] ?? `part ${i + 1}`;
  const seen = new Map<number, number>();
  parts.forEach((p, i) => {
    if (p.shard.count !== first.shard.count) {
      throw new UserError(
        `cannot merge '${name(i)}' (shard ${shard_name(p)}) with '${name(0)}' (shard ${shard_name(first)}): ` +
          'shards of different splits of a campaign',
      );
    }
    const j = seen.get(p.shard.index);
    if (j !== undefined) {
      throw new UserError(`'${name(j)}' and '${name(i)}' are both shard ${shard_name(p)}: each shard can be merged once`);
    }
    seen.set(p.shard.index, i);
  });
}

type Check = readonly [test: (v: unknown) => boolean, expected: string];

const nat: Check = [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative integer'];
const text: Check = [(v) => typeof v === 'string', 'a string'];
const flag: Check = [(v) => typeof v === 'boolean', 'true or false'];
const rate: Check = [(v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a non-negative number'];
const record = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const counts: Check = [(v) => record(v) && Object.values(v).every(nat[0]), 'an object of non-negative integers'];
const or_null = ([test, expected]: Check): Check => [(v) => v === null || test(v), `${expected} or null`];

const FIELDS: Readonly<Record<string, Check>> = {
  scenario: text,
  strategy: text,
  mutant: [(v) => v === null || is_mutant(v), 'a mutant name or null'],
  faults: [is_fault_list, 'an array of fault names'],
  seed: nat,
  shard: [
    (v) => record(v) && nat[0](v.index) && nat[0](v.count) && (v.index as number) < (v.count as number),
    'a shard {index: I, count: N} with 0 <= I < N',
  ],
  schedules: nat,
  failures: [Array.isArray, 'an array'],
  failures_total: nat,
  first_failure_at: or_null([(v) => nat[0](v) && (v as number) >= 1, 'a positive integer']),
  violations_by_rule: counts,
  distinct_traces: nat,
  coverage: counts,
  seconds: rate,
  schedules_per_second: rate,
  exhausted: or_null(flag),
  interrupted: flag,
};

const FAILURE_FIELDS: Readonly<Record<string, Check>> = {
  rule: text,
  message: text,
  seed: nat,
  index: nat,
  file: or_null(text),
  decisions: [Array.isArray, 'an array'],
  shrunk_decisions: nat,
  replays_identically: flag,
};

/**
 * The `campaign` of a --json result read from a file, checked field by field: throws an Error
 * naming the first field that is missing or of the wrong type or range.
 */
export function check_result_fields(c: Record<string, unknown>): void {
  for (const [k, check] of Object.entries(FIELDS)) expect_field(c, k, `campaign.${k}`, check);
  (c.failures as unknown[]).forEach((f, i) => {
    const where = `campaign.failures[${i}]`;
    if (!record(f)) throw new Error(`${where} is ${shown(f)}, not an object`);
    for (const [k, check] of Object.entries(FAILURE_FIELDS)) expect_field(f, k, `${where}.${k}`, check);
  });
}

function expect_field(o: Record<string, unknown>, key: string, where: string, [test, expected]: Check): void {
  if (!(key in o)) throw new Error(`${where} is missing`);
  if (!test(o[key])) throw new Error(`${where} is ${shown(o[key])}, not ${expected}`);
}

function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function same_set<T>(a: readonly T[], b: readonly T[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function shard_name(p: CampaignResult): string {
  return `${p.shard.index}/${p.shard.count}`;
}

function describe(p: CampaignResult): string {
  const faults = [...p.faults].sort().map((f) => ` --fault ${f}`).join('');
  return `${p.scenario} ${p.strategy}${p.mutant ? ` --mutant ${p.mutant}` : ''}${faults} --seed ${p.seed}`;
}
