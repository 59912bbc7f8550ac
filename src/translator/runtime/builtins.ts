// The tapset functions whose work is more than a call on the probe context (stapfuncs):
// strings are byte strings, capped at MAXSTRINGLEN - 1 bytes like every string value.
import { format_histogram, agg_avg, type Agg, type HistShape } from './stats.ts';
import { norm, StapError, type Long } from './long.ts';

/** stringat(str, index): the byte at a 0-based index. */
export function stringat(s: string, i: Long): Long {
  if (i < 0 || i >= s.length) throw new StapError('Invalid index', null);
  return s.charCodeAt(Number(i));
}

/** substr(str, start, length): `length` bytes from 0-based `start`; "" when out of range. */
export function substr(s: string, start: Long, length: Long): string {
  if (start < 0 || length <= 0 || start >= s.length) return '';
  const from = Number(start);
  return s.slice(from, from + Number(length < s.length ? length : s.length));
}

/** strtol(str, base): the kernel's simple_strtol: sign, 0x/0 prefixes, digits until the first bad one. */
export function strtol(s: string, base_l: Long): Long {
  let base = Number(base_l);
  if (base !== 0 && (base < 2 || base > 36)) throw new StapError('invalid base for strtol');
  let i = 0;
  let neg = false;
  if (s[i] === '-') {
    neg = true;
    i++;
  } else if (s[i] === '+') {
    i++;
  }
  const hex = s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '');
  if (base === 0) base = hex ? 16 : s[i] === '0' ? 8 : 10;
  if (base === 16 && hex) i += 2;
  let v = 0n;
  const b = BigInt(base);
  for (; i < s.length; i++) {
    const d = parseInt(s[i] as string, 36);
    if (Number.isNaN(d) || d >= base) break;
    v = v * b + BigInt(d);
  }
  return norm(neg ? -v : v);
}

/**
 * A statistic's extractor: @count and @sum of nothing are 0 (since stap 1.5); @min, @max and
 * @avg of nothing are the run-time error "empty aggregate".
 */
export function stat_value(op: 'count' | 'sum' | 'min' | 'max' | 'avg', a: Agg | null, near: string): Long {
  if (op === 'count') return a === null ? 0 : a.count;
  if (op === 'sum') return a === null ? 0 : a.sum;
  if (a === null || a.count === 0) throw new StapError('empty aggregate', near);
  switch (op) {
    case 'min':
      return a.min;
    case 'max':
      return a.max;
    default:
      return agg_avg(a);
  }
}

export function histogram(h: HistShape, a: Agg | null, near: string): string {
  if (a === null || a.count === 0) throw new StapError('empty aggregate', near);
  return format_histogram(h, a);
}

/** Compares two foreach rows on one column (longs or strings), for sorting. */
export function compare(a: Long | string, b: Long | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A foreach's rows in the order asked: `col` (0-based row column) ascending (dir 1) or
 * descending (-1), ties in the array's own order; at most `limit` rows.
 */
export function order_rows<T extends (Long | string | Agg)[]>(rows: T[], col: number, dir: number, limit: Long | null): T[] {
  if (dir !== 0) {
    const key = (r: T): Long | string => {
      const v = r[col] as Long | string | Agg;
      return typeof v === 'object' ? (v).count : v;
    };
    rows.sort((x, y) => dir * compare(key(x), key(y)));
  }
  if (limit !== null) {
    const n = limit < 0 ? 0 : Number(limit);
    if (n < rows.length) rows.length = n;
  }
  return rows;
}

export function error_call(msg: string): never {
  throw new StapError(msg, null);
}

export { norm };
