// The explorer's progress bar, on stderr, only when stderr is a terminal.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progress_bar(total: number | null, seconds: number | null): Progress {
  const t0 = Date.now();
  if (total !== null) {
    const bar = new cliProgress.SingleBar(
      { format: 'exploring [{bar}] {value}/{total} schedules, {rate}/s, eta {eta}s', stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0 });
    return {
      update: (done) => bar.update(Math.min(done, total), { rate: Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  const span = seconds ?? 1;
  const bar = new cliProgress.SingleBar(
    { format: 'exploring [{bar}] {value}/{total} s, {done} schedules, {rate}/s', stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.ceil(span), 0, { done: 0, rate: 0 });
  return {
    update: (done) => {
      const s = (Date.now() - t0) / 1000;
      bar.update(Math.min(Math.floor(s), Math.ceil(span)), { done, rate: Math.round(done / Math.max(0.001, s)) });
    },
    stop: () => bar.stop(),
  };
}
