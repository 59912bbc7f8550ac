// Saved schedules: a good file loads as saved; a corrupt one, one from another version or build,
// or one with bad decisions is refused with a UserError that names the problem.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { build_id } from '../../src/build_id.ts';
import { load_schedule, save_schedule, schedule_file_name, trace_sha256, type ScheduleFile } from '../../src/explore/schedule_file.ts';
import { UserError } from '../../src/shared/errors.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { VERSION } from '../../src/version.ts';

const dir = mkdtempSync(join(tmpdir(), 'stapsim-schedule-'));

const good: ScheduleFile = {
  stapsim_schedule: 1,
  version: VERSION,
  build: build_id(),
  scenario: 'exit-in-begin',
  strategy: 'pct:2',
  seed: 2676211891,
  mutant: 'no-start-wait',
  faults: ['relay_full'],
  decisions: [
    [27, 1],
    [28, 2],
  ],
  rule: 'rule 3',
  message: 'rule 3 (probe_exit only after a successful start): ...',
  trace_sha256: 'a'.repeat(64),
  shrunk_from: 17,
};

let n = 0;
function file_with(content: string): string {
  const path = join(dir, `s${n++}.json`);
  writeFileSync(path, content);
  return path;
}

const with_fields = (over: Record<string, unknown>): string => file_with(JSON.stringify({ ...good, ...over }));

function refusal(path: string): UserError {
  try {
    load_schedule(path);
  } catch (e) {
    if (e instanceof UserError) return e;
    throw new Error(`load_schedule threw something other than a UserError: ${String(e)}`);
  }
  throw new Error('load_schedule accepted the file');
}

describe('schedule files', () => {
  it('a saved schedule loads back as it was saved', () => {
    const path = save_schedule(join(dir, 'nested', 'deeper'), 'x.json', good);
    expect(path).toBe(join(dir, 'nested', 'deeper', 'x.json'));
    expect(load_schedule(path)).toEqual(good);
    // One line per file is not required, but it ends with a newline and is JSON.
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('a name tells campaigns apart: scenario, mutant, strategy, faults, with the rule and the seed', () => {
    expect(schedule_file_name('exit-in-begin', good)).toBe(`exit-in-begin-no-start-wait-pct2-rule3-${good.seed.toString(16)}-relay_full.json`);
    expect(schedule_file_name('any', { ...good, mutant: null, faults: [], strategy: 'random', rule: 'livelock' })).toBe(
      `any-random-livelock-${good.seed.toString(16)}.json`,
    );
    // One scenario fails at the same seeds under other strategies, mutants and faults.
    const variants: ScheduleFile[] = [
      good,
      { ...good, strategy: 'random' },
      { ...good, strategy: 'pct:3' },
      { ...good, mutant: null },
      { ...good, mutant: 'double-cleanup' },
      { ...good, faults: [] },
      { ...good, faults: ['relay_full', 'cpu_crash'] },
      { ...good, rule: 'rule 4' },
      { ...good, seed: 1 },
    ];
    expect(new Set(variants.map((v) => schedule_file_name('any', v))).size).toBe(variants.length);
    // The order and repeats of --fault do not make another campaign.
    expect(schedule_file_name('any', { ...good, faults: ['relay_full', 'cpu_crash', 'relay_full'] })).toBe(
      schedule_file_name('any', { ...good, faults: ['cpu_crash', 'relay_full'] }),
    );
  });

  it("the same campaign's file, or another build's, is replaced", () => {
    const d = join(dir, 'rebuilt');
    const path = save_schedule(d, 'x.json', { ...good, build: 'an-older-build' });
    expect(save_schedule(d, 'x.json', { ...good, decisions: [[27, 1]] })).toBe(path);
    expect(load_schedule(path).decisions).toEqual([[27, 1]]);
    expect(readdirSync(d)).toEqual(['x.json']);
  });

  // Saved in place with writeFileSync, a replay started meanwhile could read half a file.
  it('campaigns saving into one directory at once leave every file whole, and no temporary file', async () => {
    const d = join(dir, 'racing');
    const url = new URL('dist/src/explore/schedule_file.js', `file://${ROOT}`).href;
    // Six processes save 25 big schedules each, under five names, while this one reads them.
    const script = (p: number): string =>
      `const { save_schedule } = await import(${JSON.stringify(url)});` +
      `const good = { ...${JSON.stringify(good)}, message: 'x'.repeat(2e6) };` +
      `for (let i = 0; i < 25; i++) save_schedule(${JSON.stringify(d)}, 'x' + (i % 5) + '.json', { ...good, seed: ${p * 100} + i });`;
    const run = promisify(execFile);
    const writers = Promise.all([0, 1, 2, 3, 4, 5].map((p) => run(process.execPath, ['--input-type=module', '-e', script(p)])));
    let done = false;
    void writers.finally(() => (done = true));
    let reads = 0;
    while (!done) {
      for (const f of existsSync(d) ? readdirSync(d).filter((x) => !x.startsWith('.')) : []) {
        expect(load_schedule(join(d, f)).stapsim_schedule).toBe(1);
        reads++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await writers;
    expect(reads).toBeGreaterThan(0);
    expect(readdirSync(d).sort()).toEqual(['x0.json', 'x1.json', 'x2.json', 'x3.json', 'x4.json']);
  });

  it('trace_sha256 is the SHA-256 of the JSON of the events, and tells traces apart', () => {
    const t: TraceEvent[] = [{ seq: 0, ts: 0, th: 'staprun', ev: 'init_stp' }];
    expect(trace_sha256(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(trace_sha256(t)).toBe(trace_sha256(JSON.parse(JSON.stringify(t)) as TraceEvent[]));
    expect(trace_sha256(t)).not.toBe(trace_sha256([{ ...t[0], ts: 1 } as TraceEvent]));
    expect(trace_sha256([])).toBe('4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945'); // sha256('[]')
  });

  it.each([
    ['a missing file', join(dir, 'nope.json'), /cannot read schedule '.*nope\.json'/],
    ['a file that is not JSON', 'not json {', /cannot read schedule '.*': .*JSON/],
    ['a truncated file', JSON.stringify(good).slice(0, 60), /cannot read schedule/],
    ['JSON null', 'null', /is corrupted: not a stapsim schedule file/],
    ['a JSON array', '[1,2]', /is corrupted: not a stapsim schedule file/],
    ['a trace file', '{"stapsim_trace":1,"cpus":2}', /is corrupted: not a stapsim schedule file/],
  ])('refuses %s', (_what, content_or_path, message) => {
    const path = content_or_path.startsWith(dir) ? content_or_path : file_with(content_or_path);
    expect(refusal(path).message).toMatch(message);
  });

  it.each([
    ['another version', { version: '0.0.9' }, /saved by stapsim 0\.0\.9 .*this is/],
    ['another build', { build: '0123456789abcdef' }, /build 0123456789abcdef.*this is .* build /],
  ])('refuses a schedule from %s, naming both', (_what, over, message) => {
    expect(refusal(with_fields(over)).message).toMatch(message);
  });

  it.each([
    ['no build', { build: undefined }],
    ['no version', { version: undefined }],
  ])('refuses a schedule with %s as corrupted', (_what, over) => {
    expect(refusal(with_fields(over)).message).toMatch(/is corrupted: no version or build/);
  });

  it('refuses a seed out of range (JSON 1e400 reads as Infinity)', () => {
    const text = JSON.stringify({ ...good, seed: 0 }).replace('"seed":0', '"seed":1e400');
    expect(refusal(file_with(text)).message).toMatch(/is corrupted: the seed must be an integer in 0\.\.2\^32-1/);
  });

  it.each([
    ['index, value pairs with a zero value (a default is not a departure)', [[3, 0]]],
    ['a negative index', [[-1, 1]]],
    ['a fractional value', [[3, 1.5]]],
    ['a triple', [[3, 1, 4]]],
    ['a bare number', [3]],
    ['strings', [['3', '1']]],
    ['not a list', { 3: 1 }],
  ])('refuses bad decisions: %s', (_what, decisions) => {
    expect(refusal(with_fields({ decisions })).message).toMatch(/is corrupted: decisions must be \[index, value\] pairs/);
  });

  it.each([
    ['no scenario', { scenario: 7 }, /no scenario/],
    ['no seed', { seed: 'x' }, /the seed must be an integer/],
    ['a negative seed', { seed: -1 }, /the seed must be an integer/],
    ['an unknown strategy', { strategy: 'foo' }, /unknown strategy 'foo'/],
    ['an unknown mutant', { mutant: 'off-by-one' }, /unknown mutant/],
    ['an unknown fault', { faults: ['meteor_strike'] }, /bad fault list/],
    ['faults not a list', { faults: 'relay_full' }, /bad fault list/],
    ['a short hash', { trace_sha256: 'abc' }, /no trace hash/],
    ['no rule', { rule: null }, /no rule/],
  ])('refuses %s', (_what, over, message) => {
    const e = refusal(with_fields(over));
    expect(e.message).toMatch(/is corrupted/);
    expect(e.message).toMatch(message);
    // One line, naming the file.
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(dir);
  });

  it('accepts no mutant and no departures (the default schedule)', () => {
    const s = load_schedule(with_fields({ mutant: null, decisions: [], faults: [] }));
    expect(s.mutant).toBeNull();
    expect(s.decisions).toEqual([]);
  });
});
