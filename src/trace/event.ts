// The run trace's two line shapes (TRACE.md, "Lines"): a header, then one event per line. This
// file holds types only, so the simulator, the real runtime, the checker and users' scripts can
// all import it without pulling in any behaviour.

/**
 * One event: `seq` from the run's shared counter (sorting by it respects causality), `ts` in ns
 * since the run started, `th` the thread that acted, `ev` the event's name, then its fields.
 * Structurally the same as the simulator's TraceEvent (src/explore/sim/world.ts).
 */
export interface TraceEvent {
  readonly seq: number;
  readonly ts: number;
  readonly th: string;
  readonly ev: string;
  readonly [field: string]: unknown;
}

/** Line 1 of a trace file; writers add the seed, module, options and versions freely. */
export interface TraceHeader {
  readonly stapsim_trace: 1;
  readonly cpus: number;
  readonly transport: 'relay' | 'procfs';
  readonly [k: string]: unknown;
}
