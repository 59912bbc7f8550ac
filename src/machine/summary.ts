// What a run did, read off its trace: which shutdown path it took, records and drops per CPU,
// and how long each phase lasted.
import Table from 'cli-table3';

type Event = Readonly<Record<string, unknown>>;

export interface CpuLine {
  readonly cpu: number;
  readonly written: number;
  readonly delivered: number;
  readonly dropped: number;
  /** The flight recorder's overwritten records, and records staprun could not write out. */
  readonly overwritten: number;
  readonly lost: number;
}

export interface RunSummary {
  readonly path: string;
  readonly code: number;
  readonly cpus: readonly CpuLine[];
  /** Milliseconds since the run began. */
  readonly started_ms: number | null;
  readonly exit_requested_ms: number | null;
  readonly staprun_exit_ms: number | null;
  readonly unloaded_ms: number | null;
}

const ms = (e: Event | undefined): number | null => (e ? (e.ts as number) / 1e6 : null);

function find(events: readonly Event[], th: string | null, ev: string, pred?: (e: Event) => boolean): Event | undefined {
  return events.find((e) => (th === null || e.th === th) && e.ev === ev && (!pred || pred(e)));
}

/** The shutdown path, in the seed's terms. */
function path_of(events: readonly Event[]): { path: string; trigger: Event | undefined } {
  if (find(events, 'kernel', '_stp_register_procfs', (e) => e.rc !== 0)) {
    return { path: 'the module failed to load (_stp_register_procfs)', trigger: undefined };
  }
  const failed = find(events, 'kernel', 'probe_start:done', (e) => (e.rc as number) < 0);
  if (failed) return { path: 'STP_START failed: staprun removed the module', trigger: failed };
  const killed = find(events, 'user', 'kill_staprun');
  const rmmod_path = find(events, null, '_stp_cleanup_and_exit', (e) => e.arg === 1);
  if (rmmod_path) {
    const by = find(events, 'kernel', 'cleanup_module');
    return { path: `path 3: rmmod${killed ? ' after staprun was killed' : ' while staprun ran'}`, trigger: by };
  }
  const flag = events.find((e) => e.ev === '_stp_exit' || (e.ev === 'exit_flag' && e.by === 'STP_EXIT'));
  if (flag?.ev === '_stp_exit') return { path: 'path 2: _stp_exit() (exit or error in a probe)', trigger: flag };
  if (flag) {
    const why = events.find((e) => e.th === 'staprun' && (e.ev === 'signal' || e.ev === 'target_exit'));
    const what = why?.ev === 'target_exit' ? 'the -c command exited' : ((why?.name as string | undefined) ?? 'signal');
    return { path: `path 1: staprun sent STP_EXIT (${what})`, trigger: why ?? flag };
  }
  return { path: killed ? 'staprun was killed' : 'unknown', trigger: killed };
}

export function summarize(events: readonly Event[], _cpus: number, code: number): RunSummary {
  const { path, trigger } = path_of(events);
  const cpus = events
    .filter((e) => e.ev === 'relay_stats')
    .map((e) => ({
      cpu: e.cpu as number,
      written: e.written as number,
      delivered: e.delivered as number,
      dropped: e.dropped as number,
      overwritten: (e.overwritten as number | undefined) ?? 0,
      lost: (e.lost as number | undefined) ?? 0,
    }));
  return {
    path,
    code,
    cpus,
    started_ms: ms(find(events, 'kernel', 'start_finished')),
    exit_requested_ms: ms(trigger),
    staprun_exit_ms: ms(find(events, 'staprun', 'staprun_exit')),
    unloaded_ms: ms(find(events, 'kernel', 'module_unloaded')),
  };
}

const fmt = (v: number | null): string => (v === null ? '-' : v.toFixed(1));

/** A few lines for a person: the path, the timings, a row per CPU. */
export function format_summary(s: RunSummary, color: boolean): string {
  const style = color ? {} : { head: [], border: [] };
  // Overwritten and lost records are rare (-F, a failed output): their columns only when any.
  const extra = (['overwritten', 'lost'] as const).filter((k) => s.cpus.some((c) => c[k] > 0));
  const t = new Table({ head: ['cpu', 'written', 'delivered', 'dropped', ...extra], style });
  for (const c of s.cpus) t.push([c.cpu, c.written, c.delivered, c.dropped, ...extra.map((k) => c[k])]);
  const total = s.cpus.reduce((n, c) => n + c.dropped, 0);
  return [
    `shutdown: ${s.path}`,
    `exit status: ${s.code}`,
    `timings (ms since start): probes started ${fmt(s.started_ms)}, exit requested ${fmt(
      s.exit_requested_ms,
    )}, staprun exited ${fmt(s.staprun_exit_ms)}, module unloaded ${fmt(s.unloaded_ms)}`,
    s.cpus.length > 0 ? t.toString() : 'no relay statistics (staprun did not clean up)',
    `records dropped: ${total}`,
  ].join('\n');
}
