// TRACE.md rule 1.
import type { TraceEvent } from '../event.ts';
import { Found, scan, tag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

const STARTUP_NAMES = [
  'init_module',
  '_stp_transport_init',
  '_stp_register_procfs',
  'schedule_delayed_work',
  "staprun's STP_TRANSPORT_INFO",
  '_stp_transport_open',
  "the module's STP_TRANSPORT_INFO reply",
  "staprun's STP_START",
  '_stp_handle_start',
  'probe_start',
  'probe_start:done',
  'start_finished',
  "the module's STP_START reply",
] as const;
const REGISTER_PROCFS = 2;
const HANDLE_START = 8;
const PROBE_START = 9;

/** Which step of the start-up chain an event is, or -1. */
function startup_step(e: TraceEvent, ev: string, th: string): number {
  if (ev === 'send') return startup_send_step(e, th);
  if (th !== 'kernel') return -1;
  switch (ev) {
    case 'init_module':
      return 0;
    case '_stp_transport_init':
      return 1;
    case '_stp_register_procfs':
      return REGISTER_PROCFS;
    case 'schedule_delayed_work':
      return 3;
    case '_stp_transport_open':
      return 5;
    case '_stp_handle_start':
      return HANDLE_START;
    case 'probe_start':
      return PROBE_START;
    case 'probe_start:done':
      return 10;
    case 'start_finished':
      return 11;
    default:
      return -1;
  }
}

/** staprun's own STP_TRANSPORT_INFO and STP_START, and the module's replies to them. */
function startup_send_step(e: TraceEvent, th: string): number {
  const info = e.type === 'STP_TRANSPORT_INFO';
  if (!info && e.type !== 'STP_START') return -1;
  if (th === 'staprun') return info ? 4 : 7;
  if (th === 'kernel') return info ? 6 : 12;
  return -1;
}

/**
 * Rule 1: the thirteen start-up steps, in TRACE.md's order, as one chain (init_module returns
 * before staprun goes on, so the two halves are causally one). Each step's first instance is
 * taken, staprun's own sends and the module's replies only (another writer's frames on `.cmd`
 * trace kernel `recv`s and `write_rejected`, never these); `_stp_handle_start` is the one that ran
 * probe_start (the last before it), so a stray one cannot stand in for it. The steps present
 * must be a prefix of the chain, in order: each present step has its predecessor present and
 * earlier. A failed `_stp_register_procfs` ends the chain (the module did not load).
 */
export class StartupOrder implements Scanner {
  private readonly found = new Found(1);
  private readonly at = new Array<TraceEvent | undefined>(STARTUP_NAMES.length).fill(undefined);

  see(e: TraceEvent, ev: string, th: string): void {
    const i = startup_step(e, ev, th);
    if (i < 0) return;
    if (i === HANDLE_START) {
      if (this.at[PROBE_START] === undefined) this.at[i] = e;
    } else {
      this.at[i] ??= e;
    }
  }

  end(): Violation[] {
    const at = this.at;
    if (at[PROBE_START] === undefined) at[HANDLE_START] = undefined;
    const reg = at[REGISTER_PROCFS];
    for (let i = 1; i < at.length; i++) {
      const e = at[i];
      if (e === undefined) continue;
      const prev = at[i - 1];
      const name = `${STARTUP_NAMES[i]} #${e.seq}`;
      if (i > REGISTER_PROCFS && reg !== undefined && reg.rc !== 0) {
        this.found.flag(`${name} after ${tag(reg)}: the module never loaded`, e, reg);
      } else if (prev === undefined) {
        this.found.flag(`${name} without ${STARTUP_NAMES[i - 1]} before it`, e);
      } else if (prev.seq > e.seq) {
        this.found.flag(`${name} before ${STARTUP_NAMES[i - 1]} #${prev.seq}`, e, prev);
      }
    }
    return this.found.list;
  }
}

export const rule1_startup_order: RuleCheck = (events, opts) =>
  scan(new StartupOrder(), events, opts);
