// The words every thread of one run shares: one SharedArrayBuffer of Int32 words, created when
// the run starts and handed to the kernel, the CPUs and staprun. The kernel's work item polls
// EXIT_FLAG and START_FINISHED here, as the era-A module polled `_stp_exit_flag` and the atomic
// `_stp_start_finished` (seed: "an atomic variable is set indicating probe_start finished").
//
//   word  name                  written by              read by
//   0     TRACE_SEQ             every thread (add)      -
//   16    RECORD_SEQ            CPUs (add)              staprun's merger (a missing number)
//   32    EXIT_FLAG             kernel, CPUs (CAS)      kworker
//   33    START_FINISHED        kernel (store)          kworker
//   34    TRANSPORT_FAILURES    CPUs, kernel (add)      kernel at cleanup
//   35    CTL_CLOSED            kernel (procfs gone)    staprun's control reader
//   36    WORK_RUNNING          kworker (add, sub)      kernel (removal waits for 0)
//   37    MODULE_STATE          kernel (insmod, rmmod)  people (lsmod), tests
//   38    CMD_WRITERS           kernel (.cmd writes)    removal waits for 0
//   39    SESSION_ERROR         CPUs (a fatal error)    kernel: probe_start, probe_exit
//   40    OUTPUT_WRITES         staprun (add)           people watching its output (scenarios)
//   48 + 32*cpu                 per-CPU record accounting (PROTOCOL.md, "Data"): Float64 counts,
//                               then CPU_PENDING
//
// The two counters every record touches, and each CPU's block, sit 64 bytes or more apart: a
// CPU counting its records must not take the cache line of the words another CPU counts in
// (false sharing costs more than the record itself, perf-anchors.md 2b).

export const TRACE_SEQ = 0;
export const RECORD_SEQ = 16;
export const EXIT_FLAG = 32;
export const START_FINISHED = 33;
export const TRANSPORT_FAILURES = 34;
export const CTL_CLOSED = 35;
/** Runs of the delayed work item under way (a count: a run that re-armed may still be finishing). */
export const WORK_RUNNING = 36;
export const MODULE_STATE = 37;
/** MODULE_STATE: not loaded yet, loaded (init_module returned 0), removed. */
export const MODULE_NONE = 0;
export const MODULE_LOADED = 1;
export const MODULE_GONE = 2;
/** `.cmd` writes in progress: removing the control file waits for them (remove_proc_entry). */
export const CMD_WRITERS = 38;
/**
 * A handler hit a fatal error (SystemTap's STAP_SESSION_ERROR): a begin probe's makes
 * probe_start fail; otherwise error probes run at exit instead of end probes.
 */
export const SESSION_ERROR = 39;
/** Writes of staprun's output that put bytes out: what a person watching it sees move. */
export const OUTPUT_WRITES = 40;
const CPU_BASE = 48;
const CPU_WORDS = 32;

/**
 * Per-CPU record accounting (rule 9), as Float64 counts (a CPU writes billions of records in a
 * long run), each with one writer, so plain stores do: once staprun has drained and written
 * everything, written = delivered + dropped + overwritten + lost. The CPU counts what it wrote,
 * what did not fit (dropped) and what the flight recorder overwrote (-F); staprun counts what
 * reached the output (delivered) and what it could not write there (lost: a write error, a
 * reader gone). Indices are into the Float64Array `counts(words)`, by `cpu_count`.
 */
export const CPU_WRITTEN = 0;
export const CPU_DROPPED = 1;
export const CPU_DROPPED_BYTES = 2;
export const CPU_OVERWRITTEN = 3;
export const CPU_OVERWRITTEN_BYTES = 4;
export const CPU_DELIVERED = 5;
export const CPU_LOST = 6;
export const CPU_LOST_BYTES = 7;
/**
 * An Int32 word of each CPU's block: 1 while the CPU may hold records staprun cannot see yet
 * (committed, not published). Set before the CPU takes a record's sequence number and cleared
 * after it publishes, so when every CPU's word reads 0, every number below RECORD_SEQ is readable
 * or lost for good: staprun's merger waits for a missing number exactly as long as some CPU may
 * still publish it.
 */
const CPU_PENDING = 16;

/** Who set EXIT_FLAG first (TRACE.md `exit_flag {by}`). */
export const EXIT_BY_NONE = 0;
export const EXIT_BY_STP_EXIT = 1;
export const EXIT_BY_STP_EXIT_CALL = 2;
export const EXIT_BY_CLEANUP = 3;

export function exit_by_name(by: number): string {
  switch (by) {
    case EXIT_BY_STP_EXIT:
      return 'STP_EXIT';
    case EXIT_BY_STP_EXIT_CALL:
      return '_stp_exit';
    case EXIT_BY_CLEANUP:
      return 'cleanup';
    default:
      return 'none';
  }
}

export function session_words(cpus: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(session_words_length(cpus) * 4));
}

export function session_words_length(cpus: number): number {
  return CPU_BASE + CPU_WORDS * cpus;
}

const views = new WeakMap<Int32Array, Float64Array>();

/** The run's accounting counts: a Float64 view of the run words, made once per words. */
export function counts_view(words: Int32Array): Float64Array {
  let v = views.get(words);
  if (v === undefined) {
    v = new Float64Array(words.buffer, words.byteOffset, words.length >> 1);
    views.set(words, v);
  }
  return v;
}

/** Index of one CPU's count `field` in counts_view. */
export function cpu_count(cpu: number, field: number): number {
  return ((CPU_BASE + CPU_WORDS * cpu) >> 1) + field;
}

/** Index of one CPU's CPU_PENDING word in the run words. */
export function cpu_pending(cpu: number): number {
  return CPU_BASE + CPU_WORDS * cpu + CPU_PENDING;
}

/** Sets EXIT_FLAG if it is clear; returns true when this call set it. */
export function set_exit_flag(words: Int32Array, by: number): boolean {
  return Atomics.compareExchange(words, EXIT_FLAG, EXIT_BY_NONE, by) === EXIT_BY_NONE;
}

export interface CpuCounts {
  readonly cpu: number;
  readonly written: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly dropped_bytes: number;
  readonly overwritten: number;
  readonly overwritten_bytes: number;
  readonly lost: number;
  readonly lost_bytes: number;
}

/** One CPU's counts. Read them once the threads that write them are done with the run. */
export function cpu_counts(words: Int32Array, cpu: number): CpuCounts {
  // An atomic read first: the counts are plain stores, made visible by any synchronisation
  // between their writers and this reader (the control channel, here this load).
  Atomics.load(words, cpu_pending(cpu));
  const c = counts_view(words);
  const at = (field: number): number => c[cpu_count(cpu, field)] as number;
  return {
    cpu,
    written: at(CPU_WRITTEN),
    delivered: at(CPU_DELIVERED),
    dropped: at(CPU_DROPPED),
    dropped_bytes: at(CPU_DROPPED_BYTES),
    overwritten: at(CPU_OVERWRITTEN),
    overwritten_bytes: at(CPU_OVERWRITTEN_BYTES),
    lost: at(CPU_LOST),
    lost_bytes: at(CPU_LOST_BYTES),
  };
}
