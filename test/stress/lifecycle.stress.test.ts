// Stress on real threads: many load/start/exit/unload cycles on one booted machine, each taking a
// seeded random path (exit in a probe, ^C, SIGTERM, rmmod by hand, staprun killed then rmmod, a
// failed start, a module that fails to load) at a seeded random time, on either transport. Every
// cycle's trace must keep TRACE.md's rules. Real threads are not replayable bit for bit: a failure
// prints its seed and cycle so the same mix can be run again.
//
// STAPSIM_STRESS_SLICE=1 (CI) runs a short fixed-seed slice; STAPSIM_STRESS_CYCLES and
// STAPSIM_STRESS_SEED override the length and the seed.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.ts';
import { load_module_file } from '../../src/machine/module_file.ts';
import type { Run, RunOptions } from '../../src/machine/run.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import type { FaultName } from '../../src/shared/seam.ts';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { FIXTURES } from '../helpers/cli.ts';
import { run_options } from '../helpers/machine.ts';

const slice = process.env.STAPSIM_STRESS_SLICE === '1';
const CYCLES = Number(process.env.STAPSIM_STRESS_CYCLES ?? (slice ? 40 : 1000));
const SEED = Number(process.env.STAPSIM_STRESS_SEED ?? 20261126);

/** mulberry32: a small seeded PRNG, so a cycle's choices follow from (seed, cycle). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Path = 'exit' | 'sigint' | 'sigterm' | 'rmmod' | 'kill+rmmod' | 'start-fails' | 'load-fails';
const PATHS: readonly Path[] = ['exit', 'sigint', 'sigterm', 'rmmod', 'kill+rmmod', 'start-fails', 'load-fails'];
type Phase = 'started' | 'loaded' | 'running';
const PHASES: readonly Phase[] = ['started', 'loaded', 'running'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for the phase (or the run's end), then performs the path's actions. */
async function act(run: Run, path: Path, phase: Phase, delay_ms: number, done: Promise<unknown>): Promise<void> {
  let over = false;
  void done.finally(() => (over = true));
  const reached = (): boolean =>
    phase === 'started' || (phase === 'loaded' ? run.module_loaded() : run.probes_running());
  while (!over && !reached()) await sleep(1);
  await sleep(delay_ms);
  if (over) return;
  if (path === 'sigint' || path === 'sigterm') await run.act(path);
  // An rmmod that comes before the module is loaded finds nothing; the person tries again.
  if (path === 'rmmod') while (!over && run.module_loaded() === false) await sleep(1);
  if (path === 'rmmod' && !over) await run.act('rmmod');
  if (path === 'kill+rmmod') {
    await run.act('kill-staprun');
    await sleep(5);
    if (!over && run.module_loaded()) await run.act('rmmod');
  }
}

describe('lifecycle stress on real threads', () => {
  const log = make_log('warn', 'stress');
  let machine: Machine | null = null;

  afterAll(async () => {
    await machine?.shutdown();
  });

  it(`${CYCLES} seeded cycles (seed ${SEED})`, async () => {
    machine = await Machine.boot({ cpus: 2, log_level: 'warn', logger: log.logger });
    const exit_mod = await load_module_file(join(FIXTURES, 'end_flood.mjs'));
    const forever = await load_module_file(join(FIXTURES, 'forever.mjs'));
    const counts = new Map<Path, number>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const rand = prng(SEED * 7919 + cycle);
      const path = PATHS[Math.floor(rand() * PATHS.length)] as Path;
      // Where in the lifecycle the person acts: as soon as staprun starts, once the module is
      // loaded, or once the probes run; then after a random delay of up to 30 ms.
      const phase = PHASES[Math.floor(rand() * PHASES.length)] as Phase;
      const delay_ms = Math.floor(rand() * 30);
      const faults: FaultName[] = [];
      if (path === 'start-fails') faults.push('probe_start');
      if (path === 'load-fails') faults.push('register_procfs');
      const opts: RunOptions = run_options(path === 'exit' ? exit_mod : forever, {
        transport: rand() < 0.5 ? 'relay' : 'procfs',
        faults,
      });
      const where = `seed ${SEED} cycle ${cycle}: ${path} ${phase}+${delay_ms}ms ${opts.transport}`;
      const { run, done } = machine.start(opts);
      const acting = act(run, path, phase, delay_ms, done);
      const r = await done;
      await acting;
      const v = check_trace(r.events as unknown as TraceEvent[], { cpus: 2 });
      expect(v.map(format_violation), where).toEqual([]);
      expect(r.model_errors, where).toEqual([]);
      expect(r.leftover, where).toEqual({ timers: 0, tasks: 0 });
      counts.set(path, (counts.get(path) ?? 0) + 1);
    }
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(CYCLES);
  });
});
