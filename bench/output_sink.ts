// staprun's output sink alone, per record: what put() costs on the drain path for 32-byte
// records from two CPUs, into chunks a writer takes at once, against a plain word copy of the
// same bytes into a buffer (the floor: any sink copies them). Prints figures; never fails on them.
//   npm run build && node dist/bench/output_sink.js [--records N]
import { OutputSink } from '../src/staprun/output_sink.ts';

const RECORD = 32;
const ROUNDS = 5;
const arg = process.argv.indexOf('--records');
const N = arg > 0 ? Number(process.argv[arg + 1]) : 2e7;

const src = new Uint8Array(64 * 1024);
const src32 = new Int32Array(src.buffer);
const slots = src.length / RECORD;

function ns_per_record(run: () => void): number {
  const t0 = process.cpuUsage();
  run();
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / N;
}

function sink(): OutputSink {
  const counts = new Float64Array(new SharedArrayBuffer(8 * 128));
  return new OutputSink(
    counts,
    { notify: () => undefined },
    { write: (_chunk, len, _file, done) => done(len, null) },
    { chunk_bytes: 1 << 20, backlog_max: 8 << 20, rotate_bytes: 0, headers: false },
    () => undefined,
  );
}

// Word by word, as the sink copies an aligned record.
const out32 = new Int32Array(1 << 18);
const copy = (): void => {
  for (let i = 0, at = 0; i < N; i++) {
    if (at + RECORD / 4 > out32.length) at = 0;
    const from = ((i % slots) * RECORD) >> 2;
    for (let j = 0; j < RECORD / 4; j++) out32[at + j] = src32[from + j] as number;
    at += RECORD / 4;
  }
};
const s = sink();
const put = (): void => {
  for (let i = 0; i < N; i++) s.put(i & 1, i, src, (i % slots) * RECORD, RECORD, src32);
  s.flush();
};

// Turns taken in alternation, after one of each to warm up: the machine's speed moves.
ns_per_record(copy);
ns_per_record(put);
const copies: number[] = [];
const puts: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  copies.push(ns_per_record(copy));
  puts.push(ns_per_record(put));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
console.log(`plain copy: ${median(copies).toFixed(1)} ns per record (median of ${ROUNDS})`);
console.log(`OutputSink.put: ${median(puts).toFixed(1)} ns per record, ${(median(puts) / median(copies)).toFixed(2)}x the copy`);
