// src/cpus/print_buffer.ts: a handler's output leaves in records of at most 8192 bytes whose
// concatenation is exactly the UTF-8 of everything written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrintBuffer } from '../../src/cpus/print_buffer.ts';
import { STP_PRINT_BUF_BYTES } from '../../src/shared/limits.ts';

const encoder = new TextEncoder();

/** Byte equality without vitest's slow deep diff of large arrays; names the first difference. */
function expect_bytes(got: Uint8Array | undefined, want: Uint8Array): void {
  expect(got).toBeDefined();
  if (got === undefined) return;
  expect(got.length).toBe(want.length);
  if (Buffer.compare(got, want) !== 0) {
    const i = got.findIndex((b, k) => b !== want[k]);
    expect.fail(`bytes differ first at offset ${i}: ${got[i]} !== ${want[i]}`);
  }
}

/** A PrintBuffer whose records are copied out (the callback's bytes are only valid during it). */
function recording(): { pb: PrintBuffer; records: Uint8Array[] } {
  const records: Uint8Array[] = [];
  const pb = new PrintBuffer((r, len) => records.push(r.u8.slice(0, len)));
  return { pb, records };
}

function emitted(records: readonly Uint8Array[]): number {
  return records.reduce((n, r) => n + r.length, 0);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('PrintBuffer', () => {
  it('the print buffer is 8192 bytes, as STP_BUFFER_SIZE', () => {
    expect(STP_PRINT_BUF_BYTES).toBe(8192);
  });

  it('ASCII, non-ASCII after ASCII, and ASCII again come out as their UTF-8', () => {
    const { pb, records } = recording();
    pb.write('abc');
    pb.write('x\u00e9y\u20ac');
    pb.write('\u00e9');
    pb.write('plain');
    pb.flush();
    expect(new TextDecoder().decode(records[0])).toBe('abcx\u00e9y\u20ac\u00e9plain');
    expect(records[0]?.length).toBe(3 + 1 + 2 + 1 + 3 + 2 + 5);
  });

  it('the record\'s words view holds the same bytes (the relay writer copies by words)', () => {
    const words: number[] = [];
    const pb = new PrintBuffer((r, len) => words.push(...Array.from(r.i32.subarray(0, Math.ceil(len / 4)))));
    pb.write('ABCDEFGH');
    pb.flush();
    expect(words).toEqual([0x44434241, 0x48474645]);
  });

  it('a long string printed again and again comes out right, aligned or not (its kept bytes)', () => {
    const { pb, records } = recording();
    const line = 'the same 32-byte record, again\n'; // 31 chars
    for (let i = 0; i < 4; i++) {
      pb.write(line);
      pb.flush();
    }
    pb.write('x');
    pb.write(line); // at 1: not word-aligned
    pb.write(line);
    pb.flush();
    pb.write('0123456789abcdefghij'); // another long string replaces the kept one
    pb.write('0123456789abcdefghij');
    pb.write(line);
    pb.flush();
    const text = records.map((r) => new TextDecoder().decode(r));
    expect(text).toEqual([line, line, line, line, `x${line}${line}`, `0123456789abcdefghij0123456789abcdefghij${line}`]);
  });

  it('write_int writes a safe integer\'s digits, as String() does', () => {
    const { pb, records } = recording();
    const ns = [0, 7, -7, 10, 99, 100, 2147483647, 2147483648, -2147483649, 10000000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (const n of ns) {
      pb.write_int(n);
      pb.write(' ');
    }
    pb.flush();
    expect(new TextDecoder().decode(records[0])).toBe(`${ns.join(' ')} `);
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const r = recording();
        r.pb.write_int(n);
        r.pb.flush();
        expect(new TextDecoder().decode(r.records[0])).toBe(String(n));
      }),
    );
  });

  it('write_int near the end of the buffer runs on into the next record, as a string does', () => {
    const { pb, records } = recording();
    pb.write('a'.repeat(STP_PRINT_BUF_BYTES - 5));
    pb.write_int(123456789);
    pb.flush();
    expect(records.map((r) => r.length)).toEqual([STP_PRINT_BUF_BYTES, 4]);
    expect(new TextDecoder().decode(concat(records))).toBe(`${'a'.repeat(STP_PRINT_BUF_BYTES - 5)}123456789`);
  });

  it('mark and reset_to take back what was written after the mark', () => {
    const { pb, records } = recording();
    pb.write('kept ');
    const m = pb.mark();
    pb.write('taken back');
    pb.reset_to(m);
    pb.write('end');
    pb.flush();
    expect(new TextDecoder().decode(records[0])).toBe('kept end');
  });

  it('keeps writes until flush, then emits them as one record', () => {
    const { pb, records } = recording();
    pb.write('hello, ');
    pb.write('world\n');
    expect(records).toHaveLength(0);
    pb.flush();
    expect(records).toHaveLength(1);
    expect(new TextDecoder().decode(records[0])).toBe('hello, world\n');
  });

  it('flush of an empty buffer emits nothing, also right after a flush', () => {
    const { pb, records } = recording();
    pb.flush();
    expect(records).toHaveLength(0);
    pb.write('x');
    pb.flush();
    pb.flush();
    expect(records).toHaveLength(1);
  });

  it('an empty write adds nothing', () => {
    const { pb, records } = recording();
    pb.write('');
    pb.flush();
    expect(records).toHaveLength(0);
  });

  it('discard forgets buffered output and the buffer is reusable afterwards', () => {
    const { pb, records } = recording();
    pb.write('lost');
    pb.discard();
    pb.flush();
    expect(records).toHaveLength(0);
    pb.write('kept');
    pb.flush();
    expect(records.map((r) => new TextDecoder().decode(r))).toEqual(['kept']);
  });

  it('exactly 8192 bytes stay in one record; one more byte starts a second', () => {
    const { pb, records } = recording();
    pb.write('a'.repeat(8192));
    expect(records).toHaveLength(0);
    pb.write('b');
    expect(records).toHaveLength(1);
    expect(records[0]).toHaveLength(8192);
    pb.flush();
    expect(records).toHaveLength(2);
    expect(Array.from(records[1] ?? [])).toEqual([0x62]);
  });

  it('a string longer than 8192 bytes is split into full records', () => {
    const { pb, records } = recording();
    const text = 'z'.repeat(8192 * 2 + 100);
    pb.write(text);
    pb.flush();
    expect(records.map((r) => r.length)).toEqual([8192, 8192, 100]);
    expect_bytes(concat(records), encoder.encode(text));
  });

  it('never splits a multi-byte character across records', () => {
    const { pb, records } = recording();
    pb.write('a'.repeat(8191)); // one byte free
    pb.write('é'); // two bytes: does not fit, goes to the next record
    pb.flush();
    expect(records.map((r) => r.length)).toEqual([8191, 2]);
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (const r of records) expect(() => strict.decode(r)).not.toThrow();
  });

  it('a 4-byte character (surrogate pair) moves whole to the next record', () => {
    const { pb, records } = recording();
    pb.write('a'.repeat(8190)); // two bytes free
    pb.write('😀');
    pb.flush();
    expect(records.map((r) => r.length)).toEqual([8190, 4]);
    expect(new TextDecoder().decode(records[1])).toBe('😀');
  });

  it('records are never larger than 8192 bytes and concatenate to the UTF-8 of all writes', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 50 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc
        .tuple(fc.constantFrom('a', 'é', '€', '😀'), fc.integer({ min: 0, max: 9000 }))
        .map(([c, n]) => c.repeat(n)),
    );
    const op = fc.oneof(
      { weight: 8, arbitrary: piece.map((text) => ({ k: 'write' as const, text })) },
      { weight: 1, arbitrary: fc.constant({ k: 'flush' as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { pb, records } = recording();
        let all = '';
        for (const o of ops) {
          if (o.k === 'write') {
            pb.write(o.text);
            all += o.text;
          } else {
            pb.flush();
          }
        }
        pb.flush();
        for (const r of records) {
          expect(r.length).toBeGreaterThan(0);
          expect(r.length).toBeLessThanOrEqual(STP_PRINT_BUF_BYTES);
        }
        expect_bytes(concat(records), encoder.encode(all));
      }),
      { numRuns: 200 },
    );
  });

  it('a record is flushed early only when the next write would overflow', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 80 }), (texts) => {
        const { pb, records } = recording();
        let written = 0;
        for (const t of texts) {
          const before = records.length;
          const buffered = written - emitted(records);
          const bytes = encoder.encode(t).length;
          pb.write(t);
          written += bytes;
          if (buffered + bytes <= STP_PRINT_BUF_BYTES) expect(records).toHaveLength(before);
          else expect(records.length).toBeGreaterThan(before);
        }
        pb.flush();
        expect_bytes(concat(records), encoder.encode(texts.join('')));
      }),
      { numRuns: 200 },
    );
  });
});
