// `stapsim merge-results` given shards that do not make one campaign (the same shard twice,
// shards of different splits, hand-edited or damaged files, other faults): refused with one line
// naming the file. A part of the shards merges; and --jobs does not change the failures kept.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, json_line, refused, run_cli, scratch } from '../helpers/cli.ts';

interface JsonReport {
  readonly schedules: number;
  readonly failures: readonly { readonly rule: string; readonly seed: number; readonly schedule: number }[];
  readonly campaign: Record<string, unknown> & { readonly failures_total: number };
}

const report_of = (r: CliResult): JsonReport => json_line<JsonReport>(r);

describe('merge-results refuses shards that are not one campaign', () => {
  const dir = scratch();
  const args = ['explore', 'any', '--strategy', 'random', '--mutant', 'no-start-wait', '--seed', '5', '--schedules', '60', '--jobs', '1', '--json', '--shrink', '0'];
  const file = (name: string): string => join(dir, name);

  beforeAll(async () => {
    const runs: [string, string[]][] = [
      ['r0.json', ['--shard', '0/4']],
      ['r1.json', ['--shard', '1/4']],
      ['q1.json', ['--shard', '1/2']],
      ['f1.json', ['--shard', '1/4', '--fault', 'relay_full']],
    ];
    await Promise.all(
      runs.map(async ([name, more]) => {
        const r = await run_cli([...args, ...more, '--out', join(dir, `out-${name}`)]);
        report_of(r);
        writeFileSync(file(name), r.stdout);
      }),
    );
  });

  it('the same shard twice', async () => {
    refused(await run_cli(['merge-results', file('r0.json'), file('r1.json'), file('r0.json')]), /^stapsim: '.*r0\.json' and '.*r0\.json' are both shard 0\/4: each shard can be merged once$/);
  });

  it('shards of different splits (0/4 and 1/2)', async () => {
    refused(await run_cli(['merge-results', file('r0.json'), file('q1.json')]), /^stapsim: cannot merge '.*q1\.json' \(shard 1\/2\) with '.*r0\.json' \(shard 0\/4\): shards of different splits/);
  });

  it('campaigns with different faults', async () => {
    refused(await run_cli(['merge-results', file('r0.json'), file('f1.json')]), /^stapsim: cannot merge results of different campaigns: any random --mutant no-start-wait --seed 5 and any random --mutant no-start-wait --fault relay_full --seed 5$/);
  });

  it.each([
    ['a shard out of range', { shard: { index: 5, count: 4 } }, /campaign\.shard is \{"index":5,"count":4\}, not a shard \{index: I, count: N\} with 0 <= I < N$/],
    ['a shard of no split', { shard: { index: 0, count: 0 } }, /campaign\.shard is \{"index":0,"count":0\}/],
    ['negative schedules', { schedules: -5 }, /campaign\.schedules is -5, not a non-negative integer$/],
    ['schedules not a number', { schedules: '60' }, /campaign\.schedules is "60", not a non-negative integer$/],
    ['coverage null', { coverage: null }, /campaign\.coverage is null, not an object of non-negative integers$/],
    ['a negative coverage cell', { coverage: { 'x': -1 } }, /campaign\.coverage is \{"x":-1\}, not an object of non-negative integers$/],
    ['violations_by_rule of strings', { violations_by_rule: { 'rule 3': '2' } }, /campaign\.violations_by_rule is \{"rule 3":"2"\}, not an object/],
    ['failures_total fractional', { failures_total: 1.5 }, /campaign\.failures_total is 1\.5, not a non-negative integer$/],
    ['first_failure_at zero', { first_failure_at: 0 }, /campaign\.first_failure_at is 0, not a positive integer or null$/],
    ['seconds a string', { seconds: 'fast' }, /campaign\.seconds is "fast", not a non-negative number$/],
    ['failures an object', { failures: {} }, /campaign\.failures is \{\}, not an array$/],
    ['a failure without a message', { failures: [{ rule: 'rule 3' }] }, /campaign\.failures\[0\]\.message is missing$/],
    ['an unknown fault', { faults: ['no_such_fault'] }, /campaign\.faults is \["no_such_fault"\], not an array of fault names$/],
    ['no seed', { seed: undefined }, /campaign\.seed is missing$/],
  ] as const)('a hand-edited result: %s', async (_what, over, message) => {
    const j = JSON.parse(readFileSync(file('r1.json'), 'utf8')) as JsonReport;
    const bad = file(`bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(bad, JSON.stringify({ ...j, campaign: { ...j.campaign, ...over } }));
    const r = await run_cli(['merge-results', file('r0.json'), bad]);
    refused(r, new RegExp(`^stapsim: cannot read results '.*bad-\\w+\\.json': ${message.source}`));
  });

  it('a file that is JSON but not an object', async () => {
    const bad = file('null.json');
    writeFileSync(bad, 'null');
    refused(await run_cli(['merge-results', bad]), /^stapsim: cannot read results '.*null\.json': not the output of stapsim explore --json$/);
  });

  it('merges a part of the shards (2 of 4), and says so', async () => {
    const r = await run_cli(['merge-results', '--json', file('r0.json'), file('r1.json')]);
    const m = report_of(r);
    expect(m.schedules).toBe(120);
    expect(r.stderr).toMatch(/2 of 4 shards/);
  });
});

describe('the failures kept do not depend on --jobs', () => {
  const args = ['explore', 'exit-in-begin', '--mutant', 'no-start-wait', '--strategy', 'random', '--schedules', '400', '--json', '--shrink', '0'];

  it('--jobs 1 and --jobs 3 keep the same failures (rule, seed), more failing than kept', async () => {
    const dir = scratch();
    const [one, three] = await Promise.all(
      ['1', '3'].map(async (jobs) => report_of(await run_cli([...args, '--jobs', jobs, '--out', join(dir, jobs)]))),
    );
    if (!one || !three) throw new Error('no reports');
    expect(one.campaign.failures_total).toBeGreaterThan(20);
    expect(three.campaign.failures_total).toBe(one.campaign.failures_total);
    expect(one.failures).toHaveLength(20);
    const key = (f: JsonReport['failures'][number]): [string, number, number] => [f.rule, f.seed, f.schedule];
    expect(three.failures.map(key)).toEqual(one.failures.map(key));
  });
});
