// `stapsim run --profile`: a .cpuprofile for every thread of the machine, and a line each saying
// how the thread spent the run.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { top_functions } from '../../src/cli/profile_report.ts';
import { FIXTURES, run_cli, scratch } from '../helpers/cli.ts';

describe('run --profile', () => {
  it('writes kernel, cpu0, cpu1 and staprun profiles and reports each thread', async () => {
    const dir = join(scratch(), 'prof');
    const r = await run_cli(['run', join(FIXTURES, 'spin_print.mjs'), '--cpus', '2', '-T', '0.5', '-o', '/dev/null', '--profile', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['cpu0.cpuprofile', 'cpu1.cpuprofile', 'kernel.cpuprofile', 'staprun.cpuprofile']);
    for (const f of readdirSync(dir)) {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: unknown[]; samples: number[]; timeDeltas: number[] };
      expect(p.nodes.length).toBeGreaterThan(1);
      expect(p.samples.length).toBe(p.timeDeltas.length);
      expect(p.samples.length).toBeGreaterThan(0);
    }
    for (const th of ['kernel', 'cpu0', 'cpu1', 'staprun']) {
      expect(r.stderr).toMatch(new RegExp(`│ ${th} +│ \\d+\\.\\d% +│ (\\d+\\.\\d%|\\?) +│ `));
    }
    // A spinning CPU spends its time in the handler path, and the profile says so.
    expect(r.stderr).toMatch(/│ cpu0 .*(fire|spin_slice|write|handler)/);
  });

  it('top_functions ranks self time, leaving idle out', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)') },
        { id: 2, callFrame: frame('fire', 'file:///x/cpu.js', 10) },
        { id: 3, callFrame: frame('put', 'file:///x/output_sink.js', 3) },
      ],
      samples: [1, 2, 2, 3, 1, 2],
      timeDeltas: [100, 10, 10, 10, 100, 10],
    };
    expect(top_functions(profile, 2)).toBe('75% fire cpu.js:11, 25% put output_sink.js:4');
  });
});
