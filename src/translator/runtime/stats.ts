// Statistics (runtime/stat.c, stat-common.c): each CPU adds to its own record (count, sum, min,
// max and the histogram's buckets), so `<<<` needs only the shared side of the global's lock;
// reading @count, @sum, @hist_log... combines the CPUs' records under the exclusive side.
import { add, div, type Long } from './long.ts';
import { hash_keys, SharedMap, type Key, type KeyType, map_bytes } from './map.ts';
import { Store } from './store.ts';

export const HIST_LOG_BUCKETS = 128;
const HIST_LOG_BUCKET0 = 64;
const HIST_WIDTH = 50;
const HIST_ELISION = 2;

export interface HistShape {
  readonly kind: 'none' | 'log' | 'linear';
  readonly start: number;
  readonly stop: number;
  readonly interval: number;
  readonly buckets: number;
}

export function hist_shape(kind: 'none' | 'log' | 'linear', params: readonly number[] = []): HistShape {
  if (kind === 'log') return { kind, start: 0, stop: 0, interval: 0, buckets: HIST_LOG_BUCKETS };
  if (kind === 'none') return { kind, start: 0, stop: 0, interval: 0, buckets: 0 };
  const [start, stop, interval] = params as [number, number, number];
  return { kind, start, stop, interval, buckets: Math.trunc((stop - start) / interval) + 3 };
}

export function record_bytes(h: HistShape): number {
  return 32 + 8 * h.buckets;
}

export interface Agg {
  count: Long;
  sum: Long;
  min: Long;
  max: Long;
  hist: Long[];
}

/** _stp_val_to_bucket: 64 for 0, 65 + floor(log2 v) for v > 0, mirrored for v < 0. */
export function log_bucket(v: Long): number {
  if (v === 0 || v === 0n) return HIST_LOG_BUCKET0;
  const neg = v < 0;
  let m = BigInt.asUintN(64, neg ? -BigInt(v) : BigInt(v));
  let bits = 0;
  while (m > 0n) {
    m >>= 1n;
    bits++;
  }
  const res = HIST_LOG_BUCKET0 + bits;
  return neg ? HIST_LOG_BUCKETS - res : res;
}

function log_bucket_value(n: number): bigint {
  if (n === HIST_LOG_BUCKET0) return 0n;
  if (n < HIST_LOG_BUCKET0) return BigInt.asIntN(64, 1n << 63n) >> BigInt(n);
  return 1n << BigInt(n - HIST_LOG_BUCKET0 - 1);
}

function linear_bucket(h: HistShape, v: Long): number {
  const d = BigInt(v) - BigInt(h.start);
  let b = d < 0n ? 0 : Number(d / BigInt(h.interval)) + 1;
  if (b >= h.buckets - 1) b = h.buckets - 1;
  return b;
}

/** Adds v to the record at `off` (the running CPU's own). */
export function record_add(st: Store, off: number, h: HistShape, v: Long): void {
  const count = st.ld(off);
  if (count === 0) {
    st.st(off, 1);
    st.st(off + 8, v);
    st.st(off + 16, v);
    st.st(off + 24, v);
  } else {
    st.st(off, add(count, 1));
    st.st(off + 8, add(st.ld(off + 8), v));
    if (v < st.ld(off + 16)) st.st(off + 16, v);
    if (v > st.ld(off + 24)) st.st(off + 24, v);
  }
  if (h.kind === 'none') return;
  const b = off + 32 + 8 * (h.kind === 'log' ? log_bucket(v) : linear_bucket(h, v));
  st.st(b, add(st.ld(b), 1));
}

/** Adds a record into a running aggregate (_stp_stat_get's combination over CPUs). */
export function record_merge(st: Store, off: number, h: HistShape, into: Agg): void {
  const count = st.ld(off);
  if (count === 0) return;
  const min = st.ld(off + 16);
  const max = st.ld(off + 24);
  if (into.count === 0) {
    into.min = min;
    into.max = max;
  } else {
    if (min < into.min) into.min = min;
    if (max > into.max) into.max = max;
  }
  into.count = add(into.count, count);
  into.sum = add(into.sum, st.ld(off + 8));
  for (let i = 0; i < h.buckets; i++) into.hist[i] = add(into.hist[i] as Long, st.ld(off + 32 + 8 * i));
}

export function empty_agg(h: HistShape): Agg {
  return { count: 0, sum: 0, min: 0, max: 0, hist: new Array<Long>(h.buckets).fill(0) };
}

export function agg_avg(a: Agg): Long {
  return div(a.sum, a.count);
}

/** A global statistic: one record per CPU. */
export class Stat {
  readonly rec: number;
  constructor(
    private readonly st: Store,
    private readonly off: number,
    readonly hist: HistShape,
  ) {
    this.rec = record_bytes(hist);
  }

  static bytes(h: HistShape, cpus: number): number {
    return record_bytes(h) * cpus;
  }

  add(cpu: number, v: Long): void {
    record_add(this.st, this.off + cpu * this.rec, this.hist, v);
  }

  agg(cpus: number): Agg {
    const a = empty_agg(this.hist);
    for (let c = 0; c < cpus; c++) record_merge(this.st, this.off + c * this.rec, this.hist, a);
    return a;
  }

  clear(cpus: number): void {
    this.st.zero(this.off, this.rec * cpus);
  }
}

/** A global array of statistics: one map per CPU (SystemTap's pmap), combined when read. */
export class StatArray {
  readonly maps: SharedMap[];
  constructor(st: Store, off: number, keys: readonly KeyType[], capacity: number, readonly hist: HistShape, cpus: number) {
    const shape = { keys, value_bytes: record_bytes(hist), capacity };
    const per = map_bytes(shape, st.str_max);
    this.maps = Array.from({ length: cpus }, (_, c) => new SharedMap(st, off + c * per, shape));
  }

  static bytes(keys: readonly KeyType[], capacity: number, h: HistShape, cpus: number, str_max: number): number {
    return map_bytes({ keys, value_bytes: record_bytes(h), capacity }, str_max) * cpus;
  }

  /** Adds v under keys on this CPU's map; false when the map is full. */
  add(cpu: number, keys: readonly Key[], v: Long): boolean {
    const m = this.maps[cpu] as SharedMap;
    const e = m.find_or_add(keys);
    if (e < 0) return false;
    record_add(m.store, m.entry(e) + m.value_at, this.hist, v);
    return true;
  }

  /** The combined statistic of one element, or null when no CPU has it. */
  agg(keys_in: readonly Key[]): Agg | null {
    const keys = (this.maps[0] as SharedMap).fit(keys_in);
    const h = hash_keys(keys);
    let a: Agg | null = null;
    for (const m of this.maps) {
      const e = m.find(keys, h);
      if (e < 0) continue;
      a ??= empty_agg(this.hist);
      record_merge(m.store, m.entry(e) + m.value_at, this.hist, a);
    }
    return a;
  }

  /** Every element with its combined statistic: cpu0's in its order, then others' new ones. */
  all(): { keys: Key[]; agg: Agg }[] {
    const out = new Map<string, { keys: Key[]; agg: Agg }>();
    for (const m of this.maps) {
      for (const e of m.list()) {
        const keys = m.keys_of(e);
        const id = JSON.stringify(keys.map((k) => (typeof k === 'bigint' ? `${k}n` : k)));
        let item = out.get(id);
        if (!item) {
          item = { keys, agg: empty_agg(this.hist) };
          out.set(id, item);
        }
        record_merge(m.store, m.entry(e) + m.value_at, this.hist, item.agg);
      }
    }
    return [...out.values()];
  }

  has(keys_in: readonly Key[]): boolean {
    const keys = (this.maps[0] as SharedMap).fit(keys_in);
    const h = hash_keys(keys);
    return this.maps.some((m) => m.find(keys, h) >= 0);
  }

  remove(keys_in: readonly Key[]): void {
    const keys = (this.maps[0] as SharedMap).fit(keys_in);
    const h = hash_keys(keys);
    for (const m of this.maps) {
      const e = m.find(keys, h);
      if (e >= 0) m.remove(e);
    }
  }

  clear(): void {
    for (const m of this.maps) m.clear();
  }
}

function needed_space(v: bigint): number {
  if (v === 0n) return 1;
  return (v < 0n ? 1 : 0) + (v < 0n ? -v : v).toString().length;
}

/** _stp_stat_print_histogram_buf: the ASCII histogram of an aggregate. */
export function format_histogram(h: HistShape, a: Agg): string {
  const hist = a.hist.map((v) => BigInt(v));
  let low = -1;
  let high = 0;
  let valmax = 0n;
  hist.forEach((v, i) => {
    if (v > 0n && low === -1) low = i;
    if (v > 0n) high = i;
    if (v > valmax) valmax = v;
  });
  for (let i = 0; i < 2; i++) {
    if (h.kind === 'log') {
      if (low !== HIST_LOG_BUCKET0 && low > 0) low--;
    } else if (low > 0) {
      low--;
    }
    if (high < h.buckets - 1) high++;
  }
  let under = 0;
  let over = 0;
  if (h.kind === 'linear') {
    if (low === 0 && hist[0] === 0n) low++;
    if (high === h.buckets - 1 && hist[high] === 0n) high--;
    if (low === 0) under = 1;
    if (high === h.buckets - 1) over = 1;
  }
  const scale = valmax <= BigInt(HIST_WIDTH) ? 1n : (valmax + BigInt(HIST_WIDTH) - 1n) / BigInt(HIST_WIDTH);
  const cnt_space = needed_space(valmax);
  const start = BigInt(h.start);
  const interval = BigInt(h.interval);
  let val_space = h.kind === 'linear'
    ? Math.max(needed_space(start) + under, needed_space(start + interval * BigInt(high)) + over)
    : Math.max(needed_space(log_bucket_value(high)), needed_space(log_bucket_value(low)));
  val_space = Math.max(val_space, 5);
  let out = `${'value'.padStart(val_space)} |${'-'.repeat(HIST_WIDTH)} count\n`;
  let eliding = false;
  for (let i = low; i <= high; i++) {
    const lo = Math.max(low, i - Math.min(HIST_ELISION, h.buckets));
    const hi = Math.min(high, i + Math.min(HIST_ELISION, h.buckets));
    let elide = true;
    for (let k = lo; k <= hi; k++) if (hist[k] !== 0n) elide = false;
    if (elide) {
      eliding = true;
      continue;
    }
    if (eliding) {
      out += `${' '.repeat(val_space)} ~\n`;
      eliding = false;
    }
    let val: bigint;
    let prefix = '';
    if (h.kind === 'linear') {
      if (i === 0) {
        val = start;
        prefix = '<';
      } else if (i === h.buckets - 1) {
        val = start + BigInt(i - 2) * interval;
        prefix = '>';
      } else {
        val = start + BigInt(i - 1) * interval;
      }
    } else {
      val = log_bucket_value(i);
    }
    const count = hist[i] as bigint;
    const bar = Number(count / scale);
    out += `${prefix.padStart(val_space - needed_space(val))}${val} |${'@'.repeat(bar)}`;
    out += `${count.toString().padStart(HIST_WIDTH - bar + 1 + cnt_space)}\n`;
  }
  return `${out}\n`;
}

export { Store };
