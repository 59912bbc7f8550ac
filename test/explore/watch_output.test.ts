// `ctx.until_output()`: a scenario's person who acts on what staprun's output shows, in both
// runtimes. It must wake once output is written, not before, and give up when staprun ends
// without any.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sim_run } from '../../src/explore/sim/sim_run.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import type { ProbeModuleDef } from '../../src/shared/probe_module.ts';
import { run_cli, scratch } from '../helpers/cli.ts';
import { SIM_BASE } from '../helpers/sim.ts';

const prints_at_end: ProbeModuleDef = {
  probes: [
    { point: 'begin', handler: (ctx) => ctx.exit() },
    { point: 'end', handler: (ctx) => ctx.println('bye') },
  ],
};
const silent: ProbeModuleDef = { probes: [{ point: 'begin', handler: (ctx) => ctx.exit() }] };

describe('until_output under the simulator', () => {
  function watch(module: ProbeModuleDef): { seen: boolean | null; trace: string[] } {
    let seen: boolean | null = null;
    const r = sim_run(
      {
        ...SIM_BASE,
        module: { name: 'm', exported: module },
        actors: (ctx) =>
          ctx.user('watcher', function* () {
            seen = yield* ctx.until_output();
            if (seen) yield* ctx.act('rmmod');
          }),
      },
      new RunToBlockStrategy(),
    );
    expect(r.end.kind).toBe('done');
    return { seen, trace: r.trace.map((e) => `${e.th}:${e.ev}`) };
  }

  it('wakes once the end probe has run and its line was written', () => {
    const { seen, trace } = watch(prints_at_end);
    expect(seen).toBe(true);
    // The line exists only once the end probe ran: acting before that was a false sighting.
    const end_probe = trace.indexOf('kworker:probe_exit:done');
    expect(end_probe).toBeGreaterThanOrEqual(0);
    expect(trace.indexOf('user:rmmod')).toBeGreaterThan(end_probe);
  });

  it('says false once staprun has ended without output', () => {
    const { seen, trace } = watch(silent);
    expect(seen).toBe(false);
    expect(trace).not.toContain('user:rmmod');
  });
});

describe('until_output on real threads (stapsim stress)', () => {
  const dir = scratch();
  function scenario(file: string, module: string, task: string): string {
    const path = join(dir, file);
    writeFileSync(
      path,
      `export default { name: '${file}', cpus: 2, transport: 'relay', module: () => (${module}),
        actors(ctx) { ctx.user('watcher', function* () { ${task} }); } };\n`,
    );
    return path;
  }
  const PRINTS = "{ probes: [{ point: 'begin', handler: (ctx) => ctx.exit() }, { point: 'end', handler: (ctx) => ctx.println('bye') }] }";
  const SILENT = "{ probes: [{ point: 'begin', handler: (ctx) => ctx.exit() }] }";

  it('sees the output, then removes the module', async () => {
    const file = scenario('sees.mjs', PRINTS, "if (!(yield* ctx.until_output())) throw new Error('no output seen'); yield* ctx.act('rmmod');");
    const r = await run_cli(['stress', file, '--cycles', '5', '--seed', '7']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/failures: 0/);
    expect(r.code).toBe(0);
  });

  it('gives up when staprun ends without output', async () => {
    const file = scenario('silent.mjs', SILENT, "if (yield* ctx.until_output()) throw new Error('output seen');");
    const r = await run_cli(['stress', file, '--cycles', '5', '--seed', '7']);
    expect(r.stdout).toMatch(/failures: 0/);
    expect(r.code).toBe(0);
  });
});
