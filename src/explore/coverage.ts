// Which shutdown trigger came in which lifecycle phase: the explorer's coverage cells. Read off
// the trace: each trigger event, and the phase the run was in at its seq.
import type { TraceEvent } from '../trace/event.ts';

export const TRIGGERS = ['staprun exit', '_stp_exit', 'rmmod'] as const;
export const PHASES = [
  'before transport open',
  'between open and start',
  'inside probe_start',
  'running',
  'draining',
] as const;
export type Trigger = (typeof TRIGGERS)[number];
export type Phase = (typeof PHASES)[number];

export function cell_name(t: Trigger, p: Phase): string {
  return `${t} / ${p}`;
}

function trigger_of(e: TraceEvent): Trigger | null {
  if (e.th === 'user' && e.ev === 'signal') return 'staprun exit';
  if (e.th === 'staprun' && e.ev === 'target_exit') return 'staprun exit';
  if (e.ev === '_stp_exit') return '_stp_exit';
  if (e.th === 'user' && e.ev === 'rmmod') return 'rmmod';
  return null;
}

/** The cells a run's trace reaches, in order of their triggers. */
export function cells_of(trace: readonly TraceEvent[]): string[] {
  let phase: Phase = 'before transport open';
  const cells: string[] = [];
  for (const e of trace) {
    const t = trigger_of(e);
    if (t !== null) cells.push(cell_name(t, phase));
    switch (e.ev) {
      case '_stp_transport_open':
        if (phase === 'before transport open') phase = 'between open and start';
        break;
      case 'probe_start':
        if (phase !== 'draining') phase = 'inside probe_start';
        break;
      case 'probe_start:done':
        if (phase !== 'draining') phase = 'running';
        break;
      case '_stp_cleanup_and_exit':
      case 'cleanup_and_exit':
      case 'cleanup_module':
        phase = 'draining';
        break;
    }
  }
  return cells;
}

export function all_cells(): string[] {
  return TRIGGERS.flatMap((t) => PHASES.map((p) => cell_name(t, p)));
}
