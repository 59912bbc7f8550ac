// A script's array of longs or strings, over a SharedMap: reading an absent element gives 0 or
// "" and makes nothing; writing one past the array's capacity is stap's "Array overflow".
import { type Long, StapError } from './long.ts';
import { SharedMap, type Key, type KeyType } from './map.ts';
import { Store } from './store.ts';

export class ScriptArray {
  readonly map: SharedMap;
  private readonly is_string: boolean;

  constructor(
    st: Store,
    off: number,
    keys: readonly KeyType[],
    value: 'l' | 's',
    capacity: number,
    /** The overflow message: which limit to raise. */
    private readonly overflow: string,
  ) {
    const value_bytes = value === 's' ? Store.string_slot(st.str_max) : 8;
    this.map = new SharedMap(st, off, { keys, value_bytes, capacity });
    this.is_string = value === 's';
  }

  get(keys: readonly Key[]): Long | string {
    const e = this.map.find(keys);
    if (e < 0) return this.is_string ? '' : 0;
    return this.read(e);
  }

  private read(e: number): Long | string {
    const at = this.map.entry(e) + this.map.value_at;
    return this.is_string ? this.map.store.lds(at) : this.map.store.ld(at);
  }

  set<T extends Long | string>(keys: readonly Key[], v: T, near: string): T {
    const e = this.map.find_or_add(keys);
    if (e < 0) throw new StapError(this.overflow, near);
    const at = this.map.entry(e) + this.map.value_at;
    if (typeof v === 'string') this.map.store.sts(at, v);
    else this.map.store.st(at, v);
    return v;
  }

  has(keys: readonly Key[]): boolean {
    return this.map.find(keys) >= 0;
  }

  remove(keys: readonly Key[]): void {
    const e = this.map.find(keys);
    if (e >= 0) this.map.remove(e);
  }

  clear(): void {
    this.map.clear();
  }

  /** Every element as [key..., value], in insertion order. */
  items(): (Long | string)[][] {
    return this.map.list().map((e) => [...this.map.keys_of(e), this.read(e)]);
  }
}
