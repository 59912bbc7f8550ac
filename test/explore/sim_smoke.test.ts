import { describe, expect, it } from 'vitest';
import { sim_run } from '../../src/explore/sim/sim_run.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';

describe('sim smoke', () => {
  it('runs exit in begin', () => {
    const r = sim_run(
      {
        cpus: 2,
        module: {
          name: 'hello',
          exported: {
            probes: [
              { point: 'begin', handler: (ctx) => { ctx.println('hello'); ctx.exit(); } },
              { point: 'end', handler: (ctx) => ctx.println('bye') },
            ],
          },
        },
        transport: 'relay',
        cmd: null,
        target_run_ms: 0,
        buf_size_mb: 0,
        timeout_s: null,
        at: [],
        mutant: null,
        trace_handlers: false,
      },
      new RunToBlockStrategy(),
    );
    console.log(r.end, r.code, JSON.stringify(r.stdout), r.stderr);
    for (const e of r.trace) console.log(JSON.stringify(e));
    expect(r.code).toBe(0);
  });
});
