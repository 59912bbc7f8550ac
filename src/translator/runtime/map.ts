// An associative array in shared memory (runtime/map.c's design): a fixed pool of entries, a
// hash table of chains, and a list in insertion order, which is the order an unsorted foreach
// walks. The caller holds the array's lock; nothing here waits or allocates shared memory.
//
//   header (32 bytes)  count, head, tail, free, top    (entry numbers + 1; 0 is none)
//   buckets            nb words, nb a power of two >= capacity: first entry of each chain
//   entries            capacity x entry_bytes: hnext, prev, next, hash, keys..., value
import { hi32, lo32, type Long } from './long.ts';
import { align8, Store } from './store.ts';

export type KeyType = 'l' | 's';
export type Key = Long | string;

const H_COUNT = 0;
const H_HEAD = 1;
const H_TAIL = 2;
const H_FREE = 3;
const H_TOP = 4;
const HEADER = 32;
const E_HNEXT = 0;
const E_PREV = 1;
const E_NEXT = 2;
const E_HASH = 3;
const E_KEYS = 16;

export interface MapShape {
  readonly keys: readonly KeyType[];
  /** Bytes of the value slot. */
  readonly value_bytes: number;
  readonly capacity: number;
}

function buckets_for(capacity: number): number {
  let nb = 1;
  while (nb < capacity) nb *= 2;
  return nb;
}

/** Where each key starts in an entry, and the value. */
function key_offsets(keys: readonly KeyType[], str_max: number): { keys: number[]; value: number } {
  let off = E_KEYS;
  const offs = keys.map((k) => {
    const at = off;
    off += k === 'l' ? 8 : Store.string_slot(str_max);
    return at;
  });
  return { keys: offs, value: off };
}

export function map_bytes(shape: MapShape, str_max: number): number {
  const entry = align8(key_offsets(shape.keys, str_max).value + shape.value_bytes);
  return HEADER + align8(buckets_for(shape.capacity) * 4) + shape.capacity * entry;
}

export function hash_keys(keys: readonly Key[]): number {
  let h = 0x811c9dc5;
  for (const k of keys) {
    if (typeof k === 'string') {
      for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 16777619);
      h = Math.imul(h ^ 0xff, 16777619);
    } else {
      h = Math.imul(h ^ lo32(k), 16777619);
      h = Math.imul(h ^ hi32(k), 16777619);
    }
  }
  return h | 0;
}

export class SharedMap {
  private readonly w: number;
  private readonly nb: number;
  private readonly buckets_w: number;
  private readonly entries: number;
  private readonly entry_bytes: number;
  private readonly key_at: readonly number[];
  /** Offset of the value within an entry. */
  readonly value_at: number;

  constructor(
    readonly store: Store,
    readonly off: number,
    readonly shape: MapShape,
  ) {
    const k = key_offsets(shape.keys, store.str_max);
    this.key_at = k.keys;
    this.value_at = k.value;
    this.entry_bytes = align8(k.value + shape.value_bytes);
    this.w = off >> 2;
    this.nb = buckets_for(shape.capacity);
    this.buckets_w = (off + HEADER) >> 2;
    this.entries = off + HEADER + align8(this.nb * 4);
  }

  get count(): number {
    return this.store.i32[this.w + H_COUNT] as number;
  }

  /** Byte offset of entry e (0-based). */
  entry(e: number): number {
    return this.entries + e * this.entry_bytes;
  }

  private same(e: number, keys: readonly Key[]): boolean {
    const base = this.entry(e);
    const st = this.store;
    for (let i = 0; i < keys.length; i++) {
      const at = base + (this.key_at[i] as number);
      const k = keys[i] as Key;
      if (typeof k === 'string') {
        if (!st.eqs(at, k)) return false;
      } else if (st.i32[at >> 2] !== lo32(k) || st.i32[(at >> 2) + 1] !== hi32(k)) {
        return false;
      }
    }
    return true;
  }

  /** The keys as stored: strings cut to MAXSTRINGLEN - 1 bytes, as every string value is. */
  fit(keys: readonly Key[]): readonly Key[] {
    const max = this.store.str_max;
    if (!keys.some((k) => typeof k === 'string' && k.length > max)) return keys;
    return keys.map((k) => (typeof k === 'string' ? k.slice(0, max) : k));
  }

  /** The entry holding these keys, or -1. */
  find(keys_in: readonly Key[], h?: number): number {
    const keys = this.fit(keys_in);
    h ??= hash_keys(keys);
    const i32 = this.store.i32;
    let n = i32[this.buckets_w + (h & (this.nb - 1))] as number;
    while (n !== 0) {
      const e = n - 1;
      const w = this.entry(e) >> 2;
      if (i32[w + E_HASH] === h && this.same(e, keys)) return e;
      n = i32[w + E_HNEXT] as number;
    }
    return -1;
  }

  /** The entry for these keys, made (zero-valued, last in order) if absent; -1 when full. */
  find_or_add(keys_in: readonly Key[]): number {
    const keys = this.fit(keys_in);
    const h = hash_keys(keys);
    const found = this.find(keys, h);
    if (found >= 0) return found;
    const i32 = this.store.i32;
    const w = this.w;
    if ((i32[w + H_COUNT] as number) >= this.shape.capacity) return -1;
    let e: number;
    const free = i32[w + H_FREE] as number;
    if (free !== 0) {
      e = free - 1;
      i32[w + H_FREE] = i32[(this.entry(e) >> 2) + E_HNEXT] as number;
    } else {
      e = i32[w + H_TOP] as number;
      i32[w + H_TOP] = e + 1;
    }
    const base = this.entry(e);
    this.store.zero(base, this.entry_bytes);
    const ew = base >> 2;
    i32[ew + E_HASH] = h;
    keys.forEach((k, i) => {
      const at = base + (this.key_at[i] as number);
      if (typeof k === 'string') this.store.sts(at, k);
      else this.store.st(at, k);
    });
    const b = this.buckets_w + (h & (this.nb - 1));
    i32[ew + E_HNEXT] = i32[b] as number;
    i32[b] = e + 1;
    const tail = i32[w + H_TAIL] as number;
    i32[ew + E_PREV] = tail;
    if (tail !== 0) i32[(this.entry(tail - 1) >> 2) + E_NEXT] = e + 1;
    else i32[w + H_HEAD] = e + 1;
    i32[w + H_TAIL] = e + 1;
    i32[w + H_COUNT] = (i32[w + H_COUNT] as number) + 1;
    return e;
  }

  remove(e: number): void {
    const i32 = this.store.i32;
    const w = this.w;
    const ew = this.entry(e) >> 2;
    const b = this.buckets_w + ((i32[ew + E_HASH] as number) & (this.nb - 1));
    if (i32[b] === e + 1) {
      i32[b] = i32[ew + E_HNEXT] as number;
    } else {
      let n = i32[b] as number;
      while (n !== 0) {
        const nw = this.entry(n - 1) >> 2;
        if (i32[nw + E_HNEXT] === e + 1) {
          i32[nw + E_HNEXT] = i32[ew + E_HNEXT] as number;
          break;
        }
        n = i32[nw + E_HNEXT] as number;
      }
    }
    const prev = i32[ew + E_PREV] as number;
    const next = i32[ew + E_NEXT] as number;
    if (prev !== 0) i32[(this.entry(prev - 1) >> 2) + E_NEXT] = next;
    else i32[w + H_HEAD] = next;
    if (next !== 0) i32[(this.entry(next - 1) >> 2) + E_PREV] = prev;
    else i32[w + H_TAIL] = prev;
    i32[ew + E_HNEXT] = i32[w + H_FREE] as number;
    i32[w + H_FREE] = e + 1;
    i32[w + H_COUNT] = (i32[w + H_COUNT] as number) - 1;
  }

  clear(): void {
    this.store.zero(this.off, HEADER + this.nb * 4);
  }

  /** Every entry, in insertion order. */
  list(): number[] {
    const i32 = this.store.i32;
    const out: number[] = [];
    let n = i32[this.w + H_HEAD] as number;
    while (n !== 0) {
      out.push(n - 1);
      n = i32[(this.entry(n - 1) >> 2) + E_NEXT] as number;
    }
    return out;
  }

  keys_of(e: number): Key[] {
    const base = this.entry(e);
    return this.shape.keys.map((t, i) => {
      const at = base + (this.key_at[i] as number);
      return t === 's' ? this.store.lds(at) : this.store.ld(at);
    });
  }
}
