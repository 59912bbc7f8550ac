// `stapsim replay FILE`: the saved schedule, run again, must give the same trace byte for byte.
import { writeFileSync } from 'node:fs';
import { UserError } from '../shared/errors.ts';
import { replay_schedule } from './explore_worker.ts';
import { load_schedule, trace_sha256 } from './schedule_file.ts';
import { write_timeline } from './timeline_file.ts';

export interface ReplayResult {
  readonly identical: boolean;
  readonly report: string;
}

export async function replay_file(
  path: string,
  opts: { readonly trace?: string; readonly timeline?: string },
): Promise<ReplayResult> {
  const f = load_schedule(path);
  const out = await replay_schedule(f.scenario, f.mutant, f.faults, f.decisions);
  // A departure the run never reached, or one it could not take, was not saved from this run.
  const misfit = f.decisions.find(([i, v]) => out.log.values[i] !== v);
  if (misfit !== undefined) {
    throw new UserError(
      `schedule '${path}' is corrupted: its decision ${misfit[0]} (value ${misfit[1]}) does not fit the run, ` +
        `which made ${out.log.length} decisions`,
    );
  }
  const hash = trace_sha256(out.trace);
  const same_trace = hash === f.trace_sha256;
  // The trace hash covers the run, not the file's own words of it: an edited rule must show too.
  const same_rule = out.failure?.rule === f.rule;
  const identical = same_trace && same_rule;
  if (opts.trace !== undefined) {
    const header = { stapsim_trace: 1, scenario: f.scenario, mutant: f.mutant, faults: f.faults, replay_of: path };
    writeFileSync(opts.trace, [JSON.stringify(header), ...out.trace.map((e) => JSON.stringify(e)), ''].join('\n'));
  }
  if (opts.timeline !== undefined) await write_timeline(opts.timeline, f.scenario, f.mutant, f.faults, f.decisions);
  const outcome = out.failure ? `${out.failure.rule}: ${out.failure.message}` : 'no failure';
  const lines = [
    `scenario ${f.scenario}${f.mutant ? ` with mutant ${f.mutant}` : ''}, ${f.decisions.length} scheduling decision${f.decisions.length === 1 ? '' : 's'}`,
    `outcome: ${outcome}`,
    same_trace
      ? `trace identical to the saved one (sha256 ${hash.slice(0, 16)}...)`
      : `TRACE DIFFERS: saved ${f.trace_sha256.slice(0, 16)}..., replayed ${hash.slice(0, 16)}...`,
    ...(same_rule ? [] : [`RULE DIFFERS: the file says ${f.rule}, the replay ${out.failure ? `fails by ${out.failure.rule}` : 'does not fail'}`]),
  ];
  return { identical, report: lines.join('\n') };
}
