// read_trace: a `--trace FILE` back into a header and events sorted by seq, with errors that
// name the line.
import { describe, expect, it } from 'vitest';
import { check_trace } from '../../src/trace/check.ts';
import { read_trace } from '../../src/trace/read.ts';
import { run } from './scenarios.ts';

const HEADER = '{"stapsim_trace":1,"cpus":2,"transport":"relay","seed":7}';

function jsonl(...lines: string[]): string {
  return lines.join('\n');
}

describe('read_trace', () => {
  it('reads the header and sorts events by seq', () => {
    const t = read_trace(
      jsonl(
        HEADER,
        '{"seq":2,"ts":5,"th":"kernel","ev":"b","rc":0}',
        '{"seq":0,"ts":0,"th":"staprun","ev":"a"}',
        '{"seq":1,"ts":3,"th":"cpu0","ev":"c"}',
        '',
      ),
    );
    expect(t.header).toEqual({ stapsim_trace: 1, cpus: 2, transport: 'relay', seed: 7 });
    expect(t.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(t.events[2]).toEqual({ seq: 2, ts: 5, th: 'kernel', ev: 'b', rc: 0 });
  });

  it('accepts CRLF line ends and blank lines', () => {
    const t = read_trace(`${HEADER}\r\n\r\n${'{"seq":0,"ts":0,"th":"user","ev":"rmmod"}'}\r\n`);
    expect(t.events).toHaveLength(1);
  });

  it('reads back a simulated run, which checks clean with the header cpus', () => {
    const r = run({ module: 'exit_in_begin', cpus: 3 });
    const header = JSON.stringify({ stapsim_trace: 1, cpus: 3, transport: 'relay' });
    const body = r.trace.map((e) => JSON.stringify(e)).reverse();
    const t = read_trace([header, ...body].join('\n'));
    expect(t.events).toEqual(r.trace);
    expect(check_trace(t.events, { cpus: t.header.cpus })).toEqual([]);
  });

  const RMMOD = '{"seq":0,"ts":0,"th":"user","ev":"rmmod"}';
  const BAD: readonly [string, string, RegExp][] = [
    ['an empty file', '', /^trace line 1: empty: expected the header$/],
    ['a header that is not JSON', '{"stapsim_trace":1,', /^trace line 1: not JSON/],
    [
      'a header of another format',
      '{"version":1,"cpus":2,"transport":"relay"}',
      /^trace line 1: .*"stapsim_trace" must be 1/,
    ],
    [
      'a header with bad cpus',
      '{"stapsim_trace":1,"cpus":0,"transport":"relay"}',
      /^trace line 1: header "cpus"/,
    ],
    [
      'a header with a bad transport',
      '{"stapsim_trace":1,"cpus":1,"transport":"tcp"}',
      /^trace line 1: header "transport"/,
    ],
    ['an event that is not JSON', jsonl(HEADER, RMMOD, 'oops'), /^trace line 3: not JSON/],
    ['an event that is an array', jsonl(HEADER, '[1,2]'), /^trace line 2: not a JSON object$/],
    [
      'an event without seq',
      jsonl(HEADER, '{"ts":0,"th":"user","ev":"rmmod"}'),
      /^trace line 2: event "seq"/,
    ],
    [
      'a negative seq',
      jsonl(HEADER, '{"seq":-1,"ts":0,"th":"user","ev":"rmmod"}'),
      /^trace line 2: event "seq"/,
    ],
    [
      'an event without ts',
      jsonl(HEADER, '{"seq":0,"th":"user","ev":"rmmod"}'),
      /^trace line 2: event "ts"/,
    ],
    ['an event without th', jsonl(HEADER, '{"seq":0,"ts":0,"ev":"x"}'), /^trace line 2: event "th/],
    ['an event without ev', jsonl(HEADER, '{"seq":0,"ts":0,"th":"u"}'), /^trace line 2: event "ev/],
    [
      'a repeated seq',
      jsonl(HEADER, '{"seq":4,"ts":0,"th":"u","ev":"a"}', '', '{"seq":4,"ts":1,"th":"u","ev":"b"}'),
      /^trace line 4: seq 4 repeats the seq of line 2$/,
    ],
  ];

  for (const [what, text, message] of BAD) {
    it(`refuses ${what}, naming the line`, () => {
      expect(() => read_trace(text)).toThrow(message);
    });
  }
});
