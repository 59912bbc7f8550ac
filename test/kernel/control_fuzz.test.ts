// PROTOCOL.md, "Control channel": the write handler rejects a short write, an unknown type, or a
// payload shorter than its struct, with a clear error to the writer, and keeps running. 100,000
// random and truncated frames go to the `.cmd` of a running module; then a normal exit follows
// and the trace still keeps every rule.
//
// STP_EXIT is left out of the generator: a well-formed STP_EXIT is handled as its type says, by
// starting the exit, which would end the module under test. The normal exit at the end is one.
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.ts';
import { load_module_file } from '../../src/machine/module_file.ts';
import { EBUSY, EINVAL } from '../../src/shared/errors.ts';
import {
  START_BYTES,
  STP_EXIT,
  STP_START,
  STP_TRANSPORT_INFO,
  TRANSPORT_INFO_BYTES,
} from '../../src/shared/messages.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { FIXTURES } from '../helpers/cli.ts';
import { run_options } from '../helpers/machine.ts';

const FRAMES = 100_000;

function frame(type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(4 + payload.length);
  new DataView(f.buffer).setUint32(0, type >>> 0, true);
  f.set(payload, 4);
  return f;
}

const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 0, maxLength: max });

const frames: fc.Arbitrary<Uint8Array> = fc.oneof(
  // anything at all, including writes shorter than the type word
  bytes(64).filter((b) => b.length < 4 || new DataView(b.buffer).getUint32(0, true) !== STP_EXIT),
  // a known type word with a payload of any length, short ones included
  fc
    .tuple(fc.integer({ min: 0, max: 12 }).filter((t) => t !== STP_EXIT), bytes(48))
    .map(([t, p]) => frame(t, p)),
  // well-formed and truncated handshake messages
  fc
    .tuple(fc.constantFrom(STP_TRANSPORT_INFO, STP_START), fc.integer({ min: 0, max: 40 }), bytes(40))
    .map(([t, n, p]) => frame(t, p.length >= n ? p.subarray(0, n) : new Uint8Array(n))),
  // huge and negative type words
  fc.tuple(fc.integer({ min: 9, max: 0xffffffff }), bytes(16)).map(([t, p]) => frame(t, p)),
);

/** What the write handler must answer to a frame written to a module that is running. */
function expected(f: Uint8Array): number {
  if (f.length < 4) return -EINVAL;
  const type = new DataView(f.buffer, f.byteOffset).getUint32(0, true);
  const payload = f.length - 4;
  if (type === STP_TRANSPORT_INFO) return payload < TRANSPORT_INFO_BYTES ? -EINVAL : -EBUSY;
  if (type === STP_START) return payload < START_BYTES ? -EINVAL : -EBUSY;
  return -EINVAL;
}

describe('the .cmd write handler under random frames', () => {
  const log = make_log('warn', 'fuzz');
  let machine: Machine | null = null;

  afterAll(async () => {
    await machine?.shutdown();
  });

  it(`rejects ${FRAMES} malformed or unexpected frames and keeps running`, { timeout: 300_000 }, async () => {
    machine = await Machine.boot({ cpus: 2, log_level: 'warn', logger: log.logger });
    const { run, done } = machine.start(run_options(await load_module_file(join(FIXTURES, 'forever.mjs'))));
    while (!run.probes_running()) await new Promise((r) => setTimeout(r, 5));

    let written = 0;
    await fc.assert(
      fc.asyncProperty(frames, async (f) => {
        const r = await run.write_cmd(f);
        written++;
        expect(r.rc).toBe(expected(f));
        expect(r.error?.length).toBeGreaterThan(10);
        expect(run.probes_running()).toBe(true);
      }),
      { numRuns: FRAMES, seed: 20261126 },
    );
    expect(written).toBe(FRAMES);

    run.signal('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.trace_lost).toBe(0);
    const events = result.events as unknown as TraceEvent[];
    expect(events.filter((e) => e.ev === 'write_rejected')).toHaveLength(FRAMES);
    expect(check_trace(events, { cpus: 2 }).map(format_violation)).toEqual([]);
  });
});
