// `stapsim explore`, `replay` and `merge-results` as a user runs them: the built CLI in a child
// process. The summary and exit status, the JSON for machines, saved failures that replay, bad
// input, shards that merge into the campaign, ^C, and a scenario file of the user's own.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult, json_line, refused, ROOT, run_cli, scratch } from '../helpers/cli.ts';

interface JsonFailure {
  readonly rule: string;
  readonly seed: number;
  readonly file: string | null;
  readonly decisions: number;
  readonly replays_identically: boolean;
}

interface JsonReport {
  readonly schedules: number;
  readonly failures: readonly JsonFailure[];
  readonly first_failure_at: number | null;
  readonly coverage: Record<string, number>;
  readonly schedules_per_second: number;
  readonly violations_by_rule: Record<string, number>;
  readonly distinct_traces: number;
  readonly interrupted: boolean;
  readonly exhausted: boolean | null;
}

const report_of = (r: CliResult): JsonReport => json_line<JsonReport>(r);

const saved_files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []);

describe('explore: a campaign that finds the bug', () => {
  const out = join(scratch(), 'failures');
  let r: CliResult;
  let file: string;

  beforeAll(async () => {
    r = await run_cli(['explore', 'exit-in-begin', '--mutant', 'no-start-wait', '--schedules', '400', '--jobs', '2', '--out', out, '--shrink', '5000']);
    file = /replay: stapsim replay (\S+)/.exec(r.stdout)?.[1] ?? '';
  });

  it('prints the summary and exits 1', () => {
    expect(r.code, r.stderr).toBe(1);
    const s = r.stdout;
    expect(s).toMatch(/^explored exit-in-begin, mix, mutant no-start-wait, seed 1$/m);
    expect(s).toMatch(/^schedules: 400 in \d+\.\d s \(\d+\/s\)$/m);
    expect(s).toMatch(/^distinct traces: [1-9]\d*$/m);
    expect(s).toMatch(/^violations: (.*, )?rule 3: [1-9]\d*/m);
    expect(s).toMatch(/^first failure at schedule [1-9]\d*$/m);
    expect(s).toMatch(/^coverage: [1-9]\d* of 15 cells$/m);
    expect(s).toMatch(/trigger \\ phase/);
    expect(s).toMatch(/^FAIL rule 3: rule 3 \(probe_exit only after a successful start\)/m);
  });

  it('saves the failure, shrunk to at most 20 decisions, with a replay command', () => {
    const m = /shrunk from \d+ to (\d+) decisions?; replay: stapsim replay (\S+)$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(20);
    // Without --strategy the campaign is the default mix, and its file says so.
    expect(m?.[2]).toMatch(/exit-in-begin-no-start-wait-mix-rule3-[0-9a-f]+\.json$/);
    expect(r.stdout).not.toMatch(/REPLAY NOT IDENTICAL/);
    expect(file.startsWith(out)).toBe(true);
    expect(existsSync(file)).toBe(true);
    expect(saved_files(out)).toContain(file.slice(out.length + 1));
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { rule: string; mutant: string; scenario: string; decisions: unknown[] };
    expect(saved).toMatchObject({ rule: 'rule 3', mutant: 'no-start-wait', scenario: 'exit-in-begin' });
    expect(saved.decisions.length).toBe(Number(m?.[1]));
  });

  it('replay FILE: the same trace, status 0', async () => {
    const trace = join(scratch(), 'replay.jsonl');
    const rr = await run_cli(['replay', file, '--trace', trace]);
    expect(rr.code, rr.stderr).toBe(0);
    expect(rr.stdout).toMatch(/^scenario exit-in-begin with mutant no-start-wait, \d+ scheduling decisions?$/m);
    expect(rr.stdout).toMatch(/^outcome: rule 3: /m);
    expect(rr.stdout).toMatch(/^trace identical to the saved one \(sha256 [0-9a-f]{16}\.\.\.\)$/m);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ stapsim_trace: 1, scenario: 'exit-in-begin', mutant: 'no-start-wait' });
    expect(lines.length).toBeGreaterThan(20);
  });

  it('replay of a file with a decision past the end of the run: refused as corrupted', async () => {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { decisions: [number, number][] };
    const other = join(scratch(), 'too-long.json');
    writeFileSync(other, JSON.stringify({ ...saved, decisions: [...saved.decisions, [100_000, 1]] }));
    refused(await run_cli(['replay', other]), /too-long\.json' is corrupted: its decision 100000 \(value 1\) does not fit the run, which made \d+ decisions/);
  });

  it('replay of a file whose trace hash is not the run: TRACE DIFFERS, status 1', async () => {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const other = join(scratch(), 'other-hash.json');
    writeFileSync(other, JSON.stringify({ ...saved, trace_sha256: '0'.repeat(64) }));
    const rr = await run_cli(['replay', other]);
    expect(rr.code).toBe(1);
    expect(rr.stdout).toMatch(/^TRACE DIFFERS: saved 0{16}\.\.\., replayed [0-9a-f]{16}\.\.\.$/m);
    expect(rr.stderr).toMatch(/^stapsim: the replay of '.*other-hash\.json' did not reproduce its saved failure$/m);
  });

  it('replay of a file whose rule was edited: RULE DIFFERS, status 1', async () => {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const other = join(scratch(), 'other-rule.json');
    writeFileSync(other, JSON.stringify({ ...saved, rule: 'rule 9' }));
    const rr = await run_cli(['replay', other]);
    expect(rr.code).toBe(1);
    expect(rr.stdout).toMatch(/^trace identical to the saved one/m);
    expect(rr.stdout).toMatch(/^RULE DIFFERS: the file says rule 9, the replay fails by rule 3$/m);
    expect(rr.stderr).toMatch(/did not reproduce its saved failure$/m);
  });

  it.concurrent.each([
    ['corrupted JSON', (s: string) => s.slice(0, s.length / 2), /^stapsim: cannot read schedule '.*': /],
    ['another version', (s: string) => s.replace(/"version": "[^"]*"/, '"version": "0.0.1"'), /^stapsim: schedule '.*' was saved by stapsim 0\.0\.1/],
    ['another build', (s: string) => s.replace(/"build": "[^"]*"/, '"build": "ffffffffffffffff"'), /build ffffffffffffffff; this is /],
    ['bad decisions', (s: string) => s.replace(/"decisions": \[/, '"decisions": [[-1, 0],'), /^stapsim: schedule '.*' is corrupted: decisions must be/],
  ])('replay refuses %s with one line, status 1', async (_what, damage, message) => {
    const bad = join(scratch(), 'bad.json');
    const text = readFileSync(file, 'utf8');
    const damaged = damage(text);
    expect(damaged).not.toBe(text);
    writeFileSync(bad, damaged);
    refused(await run_cli(['replay', bad]), message);
  });
});

describe('explore: nothing to find', () => {
  it('summary, violations none, status 0, nothing saved', async () => {
    const out = join(scratch(), 'failures');
    const r = await run_cli(['explore', 'exit-in-begin', '--schedules', '300', '--jobs', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^schedules: 300 in /m);
    expect(r.stdout).toMatch(/^violations: none$/m);
    expect(r.stdout).not.toMatch(/first failure|FAIL/);
    expect(saved_files(out)).toEqual([]);
  });

  it('dfs covers the bounded space, says so, and stops', async () => {
    const r = await run_cli(['explore', 'exit-in-begin', '--strategy', 'dfs', '--preemptions', '1', '--schedules', '100000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^explored exit-in-begin, dfs, seed 1$/m);
    const n = Number(/^schedules: (\d+) in .*, bounded space exhausted$/m.exec(r.stdout)?.[1]);
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(100000);
    const cut = await run_cli(['explore', 'exit-in-begin', '--strategy', 'dfs', '--preemptions', '1', '--schedules', '5']);
    expect(cut.stdout).toMatch(/^schedules: 5 in .*, bounded space not exhausted$/m);
    // A budget of exactly the space's size ran all of it (it said "not exhausted").
    const exact = await run_cli(['explore', 'exit-in-begin', '--strategy', 'dfs', '--preemptions', '1', '--schedules', String(n)]);
    expect(exact.stdout).toMatch(new RegExp(`^schedules: ${n} in .*, bounded space exhausted$`, 'm'));
  });
});

describe('explore --json', () => {
  it('one JSON object: schedules, failures (rule, seed, file), first_failure_at, coverage, schedules_per_second', async () => {
    const out = join(scratch(), 'failures');
    const r = await run_cli(['explore', 'rmmod-while-running', '--mutant', 'rmmod-on-exit1', '--schedules', '200', '--jobs', '2', '--json', '--out', out, '--shrink', '2000']);
    expect(r.code, r.stderr).toBe(1);
    const j = report_of(r);
    expect(j.schedules).toBe(200);
    expect(j.first_failure_at).toEqual(expect.any(Number));
    expect(j.first_failure_at as number).toBeGreaterThanOrEqual(1);
    expect(j.first_failure_at as number).toBeLessThanOrEqual(200);
    expect(Object.keys(j.coverage)).toHaveLength(15);
    for (const v of Object.values(j.coverage)) expect(v).toEqual(expect.any(Number));
    expect(j.schedules_per_second).toBeGreaterThan(0);
    expect(j.failures.length).toBeGreaterThan(0);
    for (const f of j.failures) {
      expect(f.rule).toMatch(/^(rule \d+|deadlock|livelock|crash)$/);
      expect(Number.isInteger(f.seed)).toBe(true);
      expect(f.file === null || typeof f.file === 'string').toBe(true);
    }
    // The first failure of each rule is saved, and its file exists.
    const rules = new Set(j.failures.map((f) => f.rule));
    for (const rule of rules) {
      const first = j.failures.find((f) => f.rule === rule) as JsonFailure;
      expect(first.file, rule).not.toBeNull();
      expect(existsSync(first.file as string)).toBe(true);
      expect(first.replays_identically).toBe(true);
    }
    expect(Object.keys(j.violations_by_rule)).toContain('rule 6');
    expect(saved_files(out)).toHaveLength(rules.size);
  });

  it('--seconds: runs for about that long, then reports', async () => {
    const t0 = Date.now();
    const r = await run_cli(['explore', 'any', '--seconds', '1', '--jobs', '2', '--json']);
    const elapsed = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    const j = report_of(r);
    expect(j.schedules).toBeGreaterThan(0);
    expect(j.interrupted).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('no failure: failures [], first_failure_at null, status 0', async () => {
    const r = await run_cli(['explore', 'any', '--schedules', '200', '--jobs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = report_of(r);
    expect(j.schedules).toBe(200);
    expect(j.failures).toEqual([]);
    expect(j.first_failure_at).toBeNull();
    expect(j.interrupted).toBe(false);
  });

  it('--schedules N with --jobs J runs exactly N, when J does not divide N', async () => {
    const r = await run_cli(['explore', 'any', '--schedules', '301', '--jobs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(report_of(r).schedules).toBe(301);
  });

  it('--jobs above --schedules runs the same schedules as one job', async () => {
    // Seed 1's third schedule fails: a job other than the first must run it.
    const args = ['explore', 'exit-in-begin', '--strategy', 'random', '--mutant', 'no-start-wait', '--seed', '1', '--schedules', '3', '--json', '--shrink', '0'];
    const [many, one] = await Promise.all([run_cli([...args, '--jobs', '4']), run_cli([...args, '--jobs', '1'])]);
    expect(many.code, many.stderr).toBe(one.code);
    const [a, b] = [report_of(many), report_of(one)];
    expect(a.schedules).toBe(3);
    expect(b.first_failure_at).toBe(3);
    expect(a.first_failure_at).toBe(3);
    expect(a.failures.map((f) => [f.rule, f.seed])).toEqual(b.failures.map((f) => [f.rule, f.seed]));
  });
});

describe('explore: bad input', () => {
  it.concurrent.each([
    ['an unknown scenario', ['explore', 'exit-in-middle'], /unknown scenario 'exit-in-middle' \(built in: .*exit-in-begin/],
    ['a missing scenario file', ['explore', 'nope/scenario.mjs'], /cannot read scenario file 'nope\/scenario\.mjs': no such file/],
    ['an unknown strategy', ['explore', 'any', '--strategy', 'bfs'], /unknown strategy 'bfs'/],
    ['a PCT depth of 0', ['explore', 'any', '--strategy', 'pct:0'], /unknown strategy 'pct:0'/],
    ['an unknown mutant', ['explore', 'any', '--mutant', 'off-by-one'], /--mutant <NAME>.*'off-by-one'.*must be one of: no-start-wait/],
    ['an unknown fault', ['explore', 'any', '--fault', 'meteor'], /--fault <NAME>.*'meteor'.*must be one of: .*cpu_crash/],
    ['a bad shard', ['explore', 'any', '--shard', '2/2'], /--shard <I\/N>.*expected I\/N/],
    ['both --schedules and --seconds', ['explore', 'any', '--schedules', '5', '--seconds', '5'], /give --schedules or --seconds, not both/],
    ['dfs split into shards', ['explore', 'any', '--strategy', 'dfs', '--shard', '0/2'], /dfs .*cannot be split with --shard/],
    ['no scenario', ['explore'], /missing required argument 'scenario'/],
    ['replay of a missing file', ['replay', 'nope.json'], /cannot read schedule 'nope\.json'/],
    ['merge-results of a file that is not a result', ['merge-results', join(ROOT, 'package.json')], /cannot read results '.*package\.json': not the output of stapsim explore --json/],
  ])('%s: one line on stderr, status 1', async (_what, args, message) => {
    refused(await run_cli(args, { timeout_ms: 15_000 }), message);
  });
});

describe('shards', () => {
  const dir = scratch();
  const args = ['explore', 'any', '--strategy', 'random', '--mutant', 'no-start-wait', '--seed', '5', '--jobs', '2', '--json', '--shrink', '0'];
  const files: string[] = [];
  let whole: JsonReport;

  beforeAll(async () => {
    const runs = await Promise.all([
      run_cli([...args, '--schedules', '400', '--out', join(dir, 'whole')]),
      run_cli([...args, '--schedules', '200', '--shard', '0/2', '--out', join(dir, 's0')]),
      run_cli([...args, '--schedules', '200', '--shard', '1/2', '--out', join(dir, 's1')]),
    ]);
    whole = report_of(runs[0]);
    runs.slice(1).forEach((r, i) => {
      const f = join(dir, `result-${i}.json`);
      writeFileSync(f, r.stdout);
      files.push(f);
    });
  });

  it('--shard 0/2 and 1/2 merged are the unsplit campaign', async () => {
    const r = await run_cli(['merge-results', '--json', ...files]);
    expect(r.code, r.stderr).toBe(whole.failures.length > 0 ? 1 : 0);
    const m = report_of(r);
    expect(whole.schedules).toBe(400);
    expect(m.schedules).toBe(whole.schedules);
    // random: each schedule depends on its seed only, so the split changes nothing.
    expect(m.first_failure_at).toBe(whole.first_failure_at);
    expect(m.violations_by_rule).toEqual(whole.violations_by_rule);
    expect(m.coverage).toEqual(whole.coverage);
    expect(whole.first_failure_at).not.toBeNull();
  });

  it('the summary of merged shards, and exit 1 for their failures', async () => {
    const r = await run_cli(['merge-results', ...files]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^explored any, random, mutant no-start-wait, seed 5$/m);
    expect(r.stdout).toMatch(/^schedules: 400 in /m);
  });

  it('refuses results of different campaigns', async () => {
    const other = await run_cli(['explore', 'any', '--strategy', 'random', '--seed', '6', '--schedules', '20', '--jobs', '1', '--json', '--shard', '1/2']);
    const f = join(dir, 'other.json');
    writeFileSync(f, other.stdout);
    refused(await run_cli(['merge-results', files[0] as string, f]), /cannot merge results of different campaigns: any random --mutant no-start-wait --seed 5 and any random --seed 6/);
  });
});

describe('^C', () => {
  // Twice at once is what `timeout -s INT` delivers (to the child, then to its process group):
  // it used to count as "^C again" and quit with no report.
  it.each([
    ['one ^C', 1],
    ['one ^C delivered twice at once', 2],
  ])('%s ends explore early: what it found so far, its saved failures, status by failures', async (_what, times) => {
    const out = join(scratch(), 'failures');
    // double-cleanup breaks rule 4 on every schedule of exit-in-begin: by the ^C there are failures.
    const child = spawn(process.execPath, [CLI, 'explore', 'exit-in-begin', '--mutant', 'double-cleanup', '--seconds', '30', '--jobs', '2', '--json', '--out', out, '--shrink', '2000'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t0 = Date.now();
    const sent = setTimeout(() => {
      for (let i = 0; i < times; i++) child.kill('SIGINT');
    }, 2000);
    const code = await new Promise<number | null>((resolve, reject) => {
      const limit = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`explore did not stop within 20 s of ^C\n${stderr}`));
      }, 21_500);
      child.on('close', (c) => {
        clearTimeout(limit);
        resolve(c);
      });
    });
    clearTimeout(sent);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(20_000); // far from the 30 s asked for
    expect(stderr).toMatch(/stopping; \^C again to quit now/);
    const j = report_of({ code, signal: null, stdout, stderr });
    expect(j.interrupted).toBe(true);
    expect(j.schedules).toBeGreaterThan(0);
    expect(code).toBe(j.failures.length > 0 ? 1 : 0);
    expect(j.failures.length).toBeGreaterThan(0);
    expect(j.violations_by_rule['rule 4']).toBeGreaterThan(0);
    for (const f of j.failures.filter((x) => x.file !== null)) expect(existsSync(f.file as string)).toBe(true);
    expect(saved_files(out).length).toBeGreaterThan(0);
  });
});

describe('a scenario file of your own', () => {
  const dir = scratch();
  const path = join(dir, 'my_scenario.mjs');
  writeFileSync(
    path,
    `// A begin probe that exits while a person may press ^C.
export default {
  name: 'my-scenario',
  description: 'exit in begin, and maybe a ^C',
  cpus: 2,
  transport: 'relay',
  module: () => ({
    probes: [
      { point: 'begin', handler: (ctx) => (ctx.println('hi'), ctx.exit()) },
      { point: 'end', handler: (ctx) => ctx.println('bye') },
    ],
  }),
  actors(ctx) {
    if (ctx.choose(2, 'a ^C at all') === 0) return;
    ctx.user('^C', function* () {
      yield* ctx.steps(ctx.choose(8, 'when'));
      yield* ctx.act('sigint');
    });
  },
};
`,
  );

  it('explores it: no failure in the correct transport', async () => {
    const r = await run_cli(['explore', path, '--schedules', '300', '--jobs', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^explored my-scenario, mix, seed 1$/m);
    expect(r.stdout).toMatch(/^violations: none$/m);
    // The person's ^C lands in some cell.
    expect(r.stdout).toMatch(/^coverage: [2-9]\d* of 15 cells$/m);
  });

  it('with a mutant: finds it, and the saved failure replays from another directory', async () => {
    const out = join(dir, 'failures');
    const r = await run_cli(['explore', path, '--mutant', 'double-cleanup', '--schedules', '200', '--jobs', '1', '--json', '--out', out, '--shrink', '2000']);
    expect(r.code, r.stderr).toBe(1);
    const f = report_of(r).failures.find((x) => x.file !== null);
    expect(f?.rule).toBe('rule 4');
    const rr = await run_cli(['replay', f?.file as string], { cwd: scratch() });
    expect(rr.code, rr.stderr).toBe(0);
    expect(rr.stdout).toMatch(/^trace identical to the saved one/m);
  });

  it('named by a relative path: its saved failure still replays from another directory', async () => {
    const r = await run_cli(['explore', 'my_scenario.mjs', '--mutant', 'double-cleanup', '--schedules', '5', '--jobs', '1', '--json', '--out', 'rel', '--shrink', '0'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const f = report_of(r).failures.find((x) => x.file !== null);
    const saved = JSON.parse(readFileSync(join(dir, f?.file as string), 'utf8')) as { scenario: string };
    expect(saved.scenario).toBe(path);
    const rr = await run_cli(['replay', join(dir, f?.file as string)], { cwd: scratch() });
    expect(rr.code, rr.stderr).toBe(0);
    expect(rr.stdout).toMatch(/^trace identical to the saved one/m);
  });

  it('refuses a scenario file without a module, naming it', async () => {
    const bad = join(dir, 'bad.mjs');
    writeFileSync(bad, "export default { cpus: 2, transport: 'relay' };\n");
    refused(await run_cli(['explore', bad]), /scenario file '.*bad\.mjs': 'module' must be a function/);
  });
});
