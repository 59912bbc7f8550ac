// The control channel's wire format, era A (PROTOCOL.md, "Control channel"): one write is one
// message, a little-endian u32 type word followed by the payload; the length is the write size.
// This file holds ids, structs and codecs only, as SystemTap's transport_msgs.h does.
//
// id  name                  sender -> receiver   when, and what comes back
//  1  STP_BUF_INFO          (legacy)             never sent in this model
//  2  STP_SUBBUFS_CONSUMED  (legacy)             never sent in this model
//  3  STP_REALTIME_DATA     module -> staprun    procfs mode: one flushed print record
//  4  STP_TRANSPORT_INFO    staprun -> module    init_stp: buf_size, target; the module
//                           module -> staprun    answers with mode and buffer geometry
//  5  STP_START             staprun -> module    after the TRANSPORT_INFO reply; the module
//                           module -> staprun    answers with probe_start()'s rc in `pid`
//  6  STP_EXIT              staprun -> module    path 1 (signal, target exit); no payload
//                           module -> staprun    end of _stp_cleanup_and_exit: i32 arg
//  7  STP_OOB_DATA          module -> staprun    "WARNING: "/"ERROR: " text for stderr
//  8  STP_SYSTEM            module -> staprun    not produced by this model's scripts

export const STP_BUF_INFO = 1;
export const STP_SUBBUFS_CONSUMED = 2;
export const STP_REALTIME_DATA = 3;
export const STP_TRANSPORT_INFO = 4;
export const STP_START = 5;
export const STP_EXIT = 6;
export const STP_OOB_DATA = 7;
export const STP_SYSTEM = 8;

const NAMES: Readonly<Record<number, string>> = {
  [STP_BUF_INFO]: 'STP_BUF_INFO',
  [STP_SUBBUFS_CONSUMED]: 'STP_SUBBUFS_CONSUMED',
  [STP_REALTIME_DATA]: 'STP_REALTIME_DATA',
  [STP_TRANSPORT_INFO]: 'STP_TRANSPORT_INFO',
  [STP_START]: 'STP_START',
  [STP_EXIT]: 'STP_EXIT',
  [STP_OOB_DATA]: 'STP_OOB_DATA',
  [STP_SYSTEM]: 'STP_SYSTEM',
};

/** The name a trace shows for a type word; unknown words show as their number. */
export function stp_type_name(type: number): string {
  return NAMES[type] ?? `type ${type}`;
}

export const STP_TRANSPORT_PROC = 1;
export const STP_TRANSPORT_RELAYFS = 2;
export type TransportMode = typeof STP_TRANSPORT_PROC | typeof STP_TRANSPORT_RELAYFS;

export const TYPE_BYTES = 4;
export const TRANSPORT_INFO_BYTES = 24;
export const START_BYTES = 4;
export const EXIT_ARG_BYTES = 4;
/** procfs-mode data: u32 record sequence, u32 cpu, then the record's bytes. */
export const REALTIME_HEADER_BYTES = 8;

export interface TransportInfo {
  readonly buf_size: number;
  readonly subbuf_size: number;
  readonly n_subbufs: number;
  readonly transport_mode: number;
  readonly merge: number;
  readonly target: number;
}

// Little-endian fixed-width fields, read and written in place: a DataView per message would cost
// more than the message in the simulator, which handles millions of them.

export function read_u32(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
}

export function read_i32(b: Uint8Array, at: number): number {
  return read_u32(b, at) | 0;
}

export function write_u32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function frame(type: number, payload_bytes: number): Uint8Array {
  const bytes = new Uint8Array(TYPE_BYTES + payload_bytes);
  write_u32(bytes, 0, type);
  return bytes;
}

export function encode_transport_info(info: TransportInfo): Uint8Array {
  const bytes = frame(STP_TRANSPORT_INFO, TRANSPORT_INFO_BYTES);
  write_u32(bytes, 4, info.buf_size);
  write_u32(bytes, 8, info.subbuf_size);
  write_u32(bytes, 12, info.n_subbufs);
  write_u32(bytes, 16, info.transport_mode);
  write_u32(bytes, 20, info.merge);
  write_u32(bytes, 24, info.target);
  return bytes;
}

/** Reads the struct from a payload already checked to be long enough. */
export function decode_transport_info(payload: Uint8Array): TransportInfo {
  return {
    buf_size: read_u32(payload, 0),
    subbuf_size: read_u32(payload, 4),
    n_subbufs: read_u32(payload, 8),
    transport_mode: read_i32(payload, 12),
    merge: read_i32(payload, 16),
    target: read_i32(payload, 20),
  };
}

/** STP_START: `pid` in the request, probe_start()'s return value in the reply. */
export function encode_start(pid_or_rc: number): Uint8Array {
  const bytes = frame(STP_START, START_BYTES);
  write_u32(bytes, 4, pid_or_rc);
  return bytes;
}

/** STP_EXIT from staprun carries no payload; from the module it carries the i32 arg. */
export function encode_exit(arg?: number): Uint8Array {
  if (arg === undefined) return frame(STP_EXIT, 0);
  const bytes = frame(STP_EXIT, EXIT_ARG_BYTES);
  write_u32(bytes, 4, arg);
  return bytes;
}

const utf8 = new TextEncoder();
const utf8_decode = new TextDecoder();

export function encode_oob(text: string): Uint8Array {
  const body = utf8.encode(text);
  const bytes = frame(STP_OOB_DATA, body.length);
  bytes.set(body, TYPE_BYTES);
  return bytes;
}

export function decode_text(payload: Uint8Array): string {
  return utf8_decode.decode(payload);
}

/** A parsed frame: the type word and a view of the payload (no copy). */
export interface Frame {
  readonly type: number;
  readonly payload: Uint8Array;
}

/** Splits a write into type and payload; null when it is shorter than the type word. */
export function split_frame(bytes: Uint8Array): Frame | null {
  if (bytes.length < TYPE_BYTES) return null;
  return { type: read_u32(bytes, 0), payload: bytes.subarray(TYPE_BYTES) };
}
