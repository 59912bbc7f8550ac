// Globals shared by CPUs that are real threads: every update a handler makes under its lock is
// kept. The trace of handler runs says how often each CPU fired; the script's own arrays and
// statistics must hold exactly that many updates, with no probe skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import { source_of_text } from '../../src/translator/source.ts';
import { run_script } from '../helpers/script.ts';

const CPUS = 4;
let machine: Machine;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stapsim-conc-'));
  machine = await Machine.boot({ cpus: CPUS, log_level: 'error', logger: make_log('error', 'conc').logger });
});

afterAll(async () => {
  await machine.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

function run(name: string, script: string, trace_handlers: boolean) {
  return run_script(machine, dir, name, source_of_text(name, script), { over: { trace_handlers } });
}

describe('globals across CPUs on real threads', () => {
  it('a global array filled from every CPU by timer.profile holds exactly the updates made', async () => {
    const { r, stdout, stderr } = await run('profile', `
      global ticks, total, dist
      probe timer.profile { ticks[cpu()]++; total++; dist <<< cpu() }
      probe timer.ms(200) { exit() }
      probe end {
        foreach (c+ in ticks) printf("%d %d\\n", c, ticks[c])
        printf("total %d %d\\n", total, @count(dist))
      }`, true);
    expect(r.code, stderr).toBe(0);
    // A profile handler updates the globals only while the session runs: from the last begin
    // probe (stapsim's, which makes it RUNNING) to exit() (STOPPING). In between, every handler
    // that fired made its update, unless it could not get its locks in time and was skipped and
    // counted (stap's MAXTRYLOCK). At each end one handler per CPU may be under way and go
    // either way.
    const seq_of = (pred: (e: (typeof r.events)[number]) => boolean): number => r.events.find(pred)?.seq as number;
    const running = seq_of((e) => e.ev === 'handler' && String(e.probe).startsWith('begin('));
    const stopping = seq_of((e) => e.ev === '_stp_exit');
    const fired = new Map<number, number>();
    for (const e of r.events) {
      if (e.ev === 'handler' && e.probe === 'timer.profile' && (e.seq as number) > running && (e.seq as number) < stopping) {
        const cpu = Number(String(e.th).slice(3));
        fired.set(cpu, (fired.get(cpu) ?? 0) + 1);
      }
    }
    const skipped = Number(/skipped probes: (\d+)/.exec(stderr)?.[1] ?? 0);
    const lines = stdout.trim().split('\n');
    const total = lines.pop() as string;
    const counted = new Map(lines.map((l) => l.split(' ').map(Number) as [number, number]));
    expect(fired.size).toBe(CPUS);
    expect(counted.size).toBe(CPUS);
    const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    expect(sum(counted) + skipped).toBeGreaterThanOrEqual(sum(fired) - CPUS);
    expect(sum(counted) + skipped).toBeLessThanOrEqual(sum(fired) + 2 * CPUS);
    // The globals agree with each other exactly: no CPU's update was lost to another's.
    expect(total).toBe(`total ${sum(counted)} ${sum(counted)}`);
  });

  it('CPUs spinning on the same globals lose no update', async () => {
    const { r, stdout, stderr } = await run('spin', `
      global n, per, s, names
      probe sim.spin {
        n++
        per[cpu()] += 2
        s <<< 3
        names[cpu(), "k" . string(n % 7)] = "x"
      }
      probe timer.ms(150) { exit() }
      probe end {
        sum = 0
        foreach (c in per) sum += per[c]
        printf("%d %d %d %d %d\\n", n > 1000, sum == 2 * n, @count(s) == n, @sum(s) == 3 * n, [0, "k1"] in names)
      }`, false);
    expect(r.code, stderr).toBe(0);
    expect(stdout).toBe('1 1 1 1 1\n');
  });
});
