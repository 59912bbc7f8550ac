// src/shared/messages.ts: the control channel's wire format (PROTOCOL.md, "Control channel").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decode_text,
  decode_transport_info,
  encode_exit,
  encode_oob,
  encode_start,
  encode_transport_info,
  read_i32,
  split_frame,
  stp_type_name,
  STP_BUF_INFO,
  STP_EXIT,
  STP_OOB_DATA,
  STP_REALTIME_DATA,
  STP_START,
  STP_SUBBUFS_CONSUMED,
  STP_SYSTEM,
  STP_TRANSPORT_INFO,
  STP_TRANSPORT_PROC,
  STP_TRANSPORT_RELAYFS,
  TRANSPORT_INFO_BYTES,
  type TransportInfo,
} from '../../src/shared/messages.ts';

function frame_of(bytes: Uint8Array) {
  const f = split_frame(bytes);
  if (f === null) throw new Error('short frame');
  return f;
}

describe('message ids', () => {
  it('match era A', () => {
    expect([
      STP_BUF_INFO,
      STP_SUBBUFS_CONSUMED,
      STP_REALTIME_DATA,
      STP_TRANSPORT_INFO,
      STP_START,
      STP_EXIT,
      STP_OOB_DATA,
      STP_SYSTEM,
    ]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(STP_TRANSPORT_PROC).toBe(1);
    expect(STP_TRANSPORT_RELAYFS).toBe(2);
  });

  it('have names for traces; unknown words show as numbers', () => {
    expect(stp_type_name(4)).toBe('STP_TRANSPORT_INFO');
    expect(stp_type_name(6)).toBe('STP_EXIT');
    expect(stp_type_name(99)).toBe('type 99');
    expect(stp_type_name(0)).toBe('type 0');
  });
});

describe('STP_TRANSPORT_INFO', () => {
  const info: TransportInfo = {
    buf_size: 2,
    subbuf_size: 65536,
    n_subbufs: 16,
    transport_mode: STP_TRANSPORT_RELAYFS,
    merge: 0,
    target: 1234,
  };

  it('is 28 bytes: the type word and six little-endian 32-bit fields', () => {
    const bytes = encode_transport_info(info);
    expect(bytes.length).toBe(28);
    expect(TRANSPORT_INFO_BYTES).toBe(24);
    // Written out by hand: 4 | 2 | 65536 | 16 | 2 | 0 | 1234 (0x4d2), each u32/i32 LE.
    expect(Array.from(bytes)).toEqual([
      4, 0, 0, 0,
      2, 0, 0, 0,
      0, 0, 1, 0,
      16, 0, 0, 0,
      2, 0, 0, 0,
      0, 0, 0, 0,
      0xd2, 0x04, 0, 0,
    ]);
  });

  it('writes the signed fields in two\'s complement', () => {
    const bytes = encode_transport_info({ ...info, transport_mode: -1, merge: -2, target: -3 });
    expect(Array.from(bytes.subarray(16))).toEqual([
      0xff, 0xff, 0xff, 0xff,
      0xfe, 0xff, 0xff, 0xff,
      0xfd, 0xff, 0xff, 0xff,
    ]);
  });

  it('round-trips through split_frame and decode_transport_info', () => {
    const f = frame_of(encode_transport_info(info));
    expect(f.type).toBe(STP_TRANSPORT_INFO);
    expect(f.payload.length).toBe(TRANSPORT_INFO_BYTES);
    expect(decode_transport_info(f.payload)).toEqual(info);
  });

  it('round-trips any u32 geometry and i32 mode, merge and target', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(
        fc.record({ buf_size: u32, subbuf_size: u32, n_subbufs: u32, transport_mode: i32, merge: i32, target: i32 }),
        (i) => {
          const f = frame_of(encode_transport_info(i));
          expect(f.type).toBe(STP_TRANSPORT_INFO);
          expect(decode_transport_info(f.payload)).toEqual(i);
        },
      ),
    );
  });

  it('decodes a payload that sits inside a larger buffer', () => {
    const inner = encode_transport_info(info);
    const outer = new Uint8Array(inner.length + 13);
    outer.set(inner, 5);
    const f = frame_of(outer.subarray(5, 5 + inner.length));
    expect(f.type).toBe(STP_TRANSPORT_INFO);
    expect(decode_transport_info(f.payload)).toEqual(info);
  });
});

describe('STP_START and STP_EXIT', () => {
  it('STP_START carries one i32 (pid, or probe_start rc)', () => {
    const req = encode_start(4321);
    expect(Array.from(req)).toEqual([5, 0, 0, 0, 0xe1, 0x10, 0, 0]);
    const rep = frame_of(encode_start(-1));
    expect(rep.type).toBe(STP_START);
    expect(rep.payload.length).toBe(4);
    expect(read_i32(rep.payload, 0)).toBe(-1);
  });

  it('STP_EXIT from staprun has no payload', () => {
    const bytes = encode_exit();
    expect(Array.from(bytes)).toEqual([6, 0, 0, 0]);
    const f = frame_of(bytes);
    expect(f.type).toBe(STP_EXIT);
    expect(f.payload.length).toBe(0);
  });

  it('STP_EXIT from the module carries the i32 arg', () => {
    for (const arg of [0, 1]) {
      const bytes = encode_exit(arg);
      expect(bytes.length).toBe(8);
      const f = frame_of(bytes);
      expect(f.type).toBe(STP_EXIT);
      expect(read_i32(f.payload, 0)).toBe(arg);
    }
    expect(Array.from(encode_exit(1))).toEqual([6, 0, 0, 0, 1, 0, 0, 0]);
  });
});

describe('STP_OOB_DATA', () => {
  it('carries UTF-8 text after the type word', () => {
    const bytes = encode_oob('WARNING: café ☕\n');
    const f = frame_of(bytes);
    expect(f.type).toBe(STP_OOB_DATA);
    expect(f.payload.length).toBe(new TextEncoder().encode('WARNING: café ☕\n').length);
    expect(decode_text(f.payload)).toBe('WARNING: café ☕\n');
  });
});

describe('split_frame', () => {
  it('returns null for writes shorter than the type word', () => {
    for (let n = 0; n < 4; n++) expect(split_frame(new Uint8Array(n).fill(5))).toBeNull();
  });

  it('accepts exactly four bytes with an empty payload', () => {
    const f = split_frame(Uint8Array.of(8, 0, 0, 0));
    expect(f?.type).toBe(STP_SYSTEM);
    expect(f?.payload.length).toBe(0);
  });

  it('reads the type word as unsigned little-endian', () => {
    expect(split_frame(Uint8Array.of(0x01, 0x02, 0x03, 0x04))?.type).toBe(0x04030201);
    expect(split_frame(Uint8Array.of(0xff, 0xff, 0xff, 0xff))?.type).toBe(0xffffffff);
  });

  it('gives a view of the payload without copying, also for a subarray', () => {
    const outer = Uint8Array.of(9, 9, 3, 0, 0, 0, 10, 20, 30, 9);
    const f = split_frame(outer.subarray(2, 9));
    expect(f?.type).toBe(STP_REALTIME_DATA);
    expect(Array.from(f?.payload ?? [])).toEqual([10, 20, 30]);
    outer[7] = 99;
    expect(f?.payload[1]).toBe(99);
  });
});
