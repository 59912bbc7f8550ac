// A schedule's timeline on disk: the schedule replayed with every handler traced, written as
// Chrome trace-event JSON (opens in ui.perfetto.dev or chrome://tracing).
import { writeFileSync } from 'node:fs';
import type { Mutant } from '../shared/mutants.ts';
import type { FaultName } from '../shared/seam.ts';
import { replay_schedule } from './explore_worker.ts';
import { load_scenario } from './scenario_file.ts';
import type { Departures } from './shrink.ts';
import { timeline_json } from './timeline.ts';

export async function write_timeline(
  path: string,
  scenario: string,
  mutant: Mutant | null,
  faults: readonly FaultName[],
  decisions: Departures,
): Promise<void> {
  const sc = await load_scenario(scenario);
  const out = await replay_schedule(scenario, mutant, faults, decisions, true);
  writeFileSync(path, timeline_json(out.trace, { cpus: sc.cpus, title: `${sc.name}${mutant ? ` --mutant ${mutant}` : ''}` }));
}
