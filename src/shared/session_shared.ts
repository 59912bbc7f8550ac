// The words every thread of one run shares: one SharedArrayBuffer of Int32 words, created when
// the run starts and handed to the kernel, the CPUs and staprun. The kernel's work item polls
// EXIT_FLAG and START_FINISHED here, as the era-A module polled `_stp_exit_flag` and the atomic
// `_stp_start_finished` (seed: "an atomic variable is set indicating probe_start finished").
//
//   word  name                  written by              read by
//   0     TRACE_SEQ             every thread (add)      -
//   1     RECORD_SEQ            CPUs (add)              -
//   2     EXIT_FLAG             kernel, CPUs (CAS)      kworker
//   3     START_FINISHED        kernel (store)          kworker
//   4     TRANSPORT_FAILURES    CPUs, kernel (add)      kernel at cleanup
//   5     CTL_CLOSED            kernel (procfs gone)    staprun's control reader
//   6     WORK_RUNNING          kworker (add, sub)      kernel (removal waits for 0)
//   7     MODULE_STATE          kernel (insmod, rmmod)  people (lsmod), tests
//   8     CMD_WRITERS           kernel (.cmd writes)    removal waits for 0
//   9     SESSION_ERROR         CPUs (a fatal error)    kernel: probe_start, probe_exit
//   10 + 4*cpu + CPU_*          per-CPU record accounting (PROTOCOL.md, "Data")

export const TRACE_SEQ = 0;
export const RECORD_SEQ = 1;
export const EXIT_FLAG = 2;
export const START_FINISHED = 3;
export const TRANSPORT_FAILURES = 4;
export const CTL_CLOSED = 5;
/** Runs of the delayed work item under way (a count: a run that re-armed may still be finishing). */
export const WORK_RUNNING = 6;
export const MODULE_STATE = 7;
/** MODULE_STATE: not loaded yet, loaded (init_module returned 0), removed. */
export const MODULE_NONE = 0;
export const MODULE_LOADED = 1;
export const MODULE_GONE = 2;
/** `.cmd` writes in progress: removing the control file waits for them (remove_proc_entry). */
export const CMD_WRITERS = 8;
/**
 * A handler hit a fatal error (SystemTap's STAP_SESSION_ERROR): a begin probe's makes
 * probe_start fail; otherwise error probes run at exit instead of end probes.
 */
export const SESSION_ERROR = 9;
const CPU_BASE = 10;
const CPU_WORDS = 4;

/** Per-CPU record counters: written = delivered + dropped once staprun has drained (rule 9). */
export const CPU_WRITTEN = 0;
export const CPU_DROPPED = 1;
export const CPU_DROPPED_BYTES = 2;
export const CPU_DELIVERED = 3;

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

export function cpu_word(cpu: number, field: number): number {
  return CPU_BASE + CPU_WORDS * cpu + field;
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
}

export function cpu_counts(words: Int32Array, cpu: number): CpuCounts {
  return {
    cpu,
    written: Atomics.load(words, cpu_word(cpu, CPU_WRITTEN)),
    delivered: Atomics.load(words, cpu_word(cpu, CPU_DELIVERED)),
    dropped: Atomics.load(words, cpu_word(cpu, CPU_DROPPED)),
    dropped_bytes: Atomics.load(words, cpu_word(cpu, CPU_DROPPED_BYTES)),
  };
}
