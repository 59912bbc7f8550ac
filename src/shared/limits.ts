// Every bound of the model, with its unit and where it comes from. Relationships between
// bounds are asserted at load, so a bad edit fails at import, not in the middle of a run.
import { strict as assert } from 'node:assert';

/** The delayed work item's period: HZ/100 jiffies in era A (PROTOCOL.md, start-up step 1). */
export const STP_WORK_TIMER_MS = 10;

/** Control-message pool: era A pre-allocated 128 buffers (PROTOCOL.md, "Control channel"). */
export const STP_CTL_POOL_MSGS = 128;
/** Largest control message payload, bytes: era A's STP_BUFFER_SIZE ... */
export const STP_CTL_MSG_MAX_BYTES = 8192;
/** ... plus the model's 8-byte (sequence, cpu) header on STP_REALTIME_DATA records. */
export const STP_CTL_SLOT_BYTES = STP_CTL_MSG_MAX_BYTES + 8;
/** A module-to-user send that finds the pool empty retries this many times ... */
export const STP_CTL_SEND_RETRIES = 50;
/** ... this many milliseconds apart (era A `_stp_transport_send`, msleep(5)). */
export const STP_CTL_SEND_RETRY_MS = 5;

/** Per-CPU print buffer, bytes (`STP_BUFFER_SIZE`): a handler's output is one record. */
export const STP_PRINT_BUF_BYTES = 8192;

/** Era-A relay default: 16 sub-buffers of 64 KiB = 1 MiB per CPU. */
export const RELAY_DEFAULT_N_SUBBUFS = 16;
export const RELAY_SUBBUF_BYTES = 64 * 1024;
/** staprun `-b`: MB per CPU, accepted range (staprun: "should be 1-4095"). */
export const BUF_SIZE_MB_MIN = 1;
export const BUF_SIZE_MB_MAX = 4095;
/** Share of the host's free memory the relay buffers of all CPUs may take. */
export const RELAY_MAX_SHARE_OF_FREE_MEM = 0.5;

/** Each relay record: u32 sequence + u32 length + payload, padded to 4 bytes. */
export const RELAY_RECORD_HEADER_BYTES = 8;

/**
 * staprun gives up on a missing record sequence number after this long, if no CPU publishes it
 * (a CPU that died): the serializer's straggler wait (reference section 7.4, about 2 s).
 */
export const STAPRUN_STRAGGLER_MS = 2000;

/**
 * On real threads, a relay reader that caught up looks for more this long (a turn of its event
 * loop at a time) before it sleeps: a flood publishes a sub-buffer every fraction of a ms.
 */
export const STAPRUN_READER_POLL_MS = 1;

/** staprun's relay readers poll at least this often even without a wakeup (reader_timeout_ms). */
export const STAPRUN_READER_TIMEOUT_MS = 200;
/** A CPU publishes committed relay data to its reader at least this often (relay timer). */
export const RELAY_TIMER_MS = 10;

/** `timer.profile` fires on every CPU at HZ; the model's HZ. */
export const HZ = 1000;
/** A late real-thread timer probe catches up at most this many missed firings per wakeup. */
export const TIMER_CATCHUP_MAX = 1000;

/** Trace events held in memory per run before further handler events are only counted. */
export const TRACE_EVENTS_MAX = 2_000_000;

/** A hung shutdown on real threads is reported after this long (ms), never waited out forever. */
export const SHUTDOWN_WATCHDOG_MS = 15_000;

assert(STP_PRINT_BUF_BYTES + RELAY_RECORD_HEADER_BYTES <= RELAY_SUBBUF_BYTES,
  'a whole print buffer must fit in one relay sub-buffer');
assert(STP_PRINT_BUF_BYTES + 8 <= STP_CTL_SLOT_BYTES,
  'a print-buffer record must fit in one STP_REALTIME_DATA message with its header');
assert(RELAY_TIMER_MS <= STAPRUN_READER_TIMEOUT_MS);
