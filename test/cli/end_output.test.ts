// PROTOCOL.md, "Data": everything a handler wrote before STP_EXIT reaches the output. An end probe
// that prints 3000 lines after exit() in begin delivers all of them, in order.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, run_cli } from '../helpers/cli.ts';

describe.each(['relay', 'procfs'])('end-probe output, %s transport', (transport) => {
  it.each([1, 8])('%d CPUs: 3000 lines of 52 characters, in order', async (cpus) => {
    const r = await run_cli(['run', join(FIXTURES, 'end_flood.mjs'), '--cpus', String(cpus), '--transport', transport]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3000);
    lines.forEach((line, i) => {
      expect(line.length + 1).toBe(52);
      expect(line.startsWith(`line ${String(i).padStart(5, '0')} `)).toBe(true);
    });
  });
});
