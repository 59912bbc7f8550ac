// A failing schedule that cannot be saved is still reported: the campaign's findings are not lost
// to the disk. (The CLI tries --out first; a library caller, or a disk that fills up, may not.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { format_explore } from '../../src/cli/explore_report.ts';
import { explore } from '../../src/explore/explore.ts';

describe('saving failures', () => {
  it('a failure whose file cannot be written keeps its place in the report, with the reason', async () => {
    const not_a_dir = join(mkdtempSync(join(tmpdir(), 'stapsim-save-')), 'a-file');
    writeFileSync(not_a_dir, '');
    const r = await explore(
      {
        scenario: 'exit-in-begin',
        strategy: 'pct:2',
        mutant: 'double-cleanup',
        faults: [],
        schedules: 5,
        seconds: null,
        seed: 1,
        jobs: 1,
        shard: { index: 0, count: 1 },
        preemptions: 2,
        out: not_a_dir,
        shrink_ms: 0,
        keep_failures: 20,
      },
      { requested: false },
    );
    const first = r.failures[0];
    expect(first?.file).toBeNull();
    expect(first?.save_error).toMatch(/cannot save in '.*a-file': .*a-file' is not a directory/);
    expect(format_explore(r, false)).toMatch(/FAIL rule \d+: .*\n {2}schedule 1, .*NOT SAVED: cannot save in/);
  });
});
