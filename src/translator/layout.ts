// Where each global lives in the module's shared memory (runtime/store.ts draws the header),
// decided at translation: the module declares its `shared_bytes` before any CPU loads it. Arrays
// of statistics and statistics are per CPU, so the layout is for a given number of CPUs, the
// machine the module is built for (as a kernel module is built for a kernel).
import type { Sym } from './ast.ts';
import type { ScriptLimits } from './limits.ts';
import { map_bytes, type KeyType } from './runtime/map.ts';
import { hist_shape, Stat, StatArray, type HistShape } from './runtime/stats.ts';
import { align8, header_bytes, Store } from './runtime/store.ts';

export type GlobalSlot =
  | { kind: 'none' }
  | { kind: 'long' | 'string'; off: number }
  | { kind: 'stat'; off: number; hist: HistShape }
  | { kind: 'map'; off: number; keys: KeyType[]; value: 'l' | 's'; capacity: number }
  | { kind: 'statmap'; off: number; keys: KeyType[]; hist: HistShape; capacity: number };

export interface Layout {
  readonly slots: readonly GlobalSlot[];
  readonly bytes: number;
}

export function hist_of(g: Sym): HistShape {
  if (g.hist === null) return hist_shape('none');
  return hist_shape(g.hist.kind, g.hist.params.map(Number));
}

export function layout_globals(globals: readonly Sym[], limits: ScriptLimits, cpus: number): Layout {
  const str_max = limits.MAXSTRINGLEN - 1;
  let off = header_bytes(globals.length);
  const slots = globals.map((g): GlobalSlot => {
    const at = off;
    const capacity = g.max_entries > 0 ? g.max_entries : limits.MAXMAPENTRIES;
    const keys = g.key_types.map((t): KeyType => (t === 'string' ? 's' : 'l'));
    let slot: GlobalSlot;
    let bytes = 0;
    if (g.type === 'unknown' || g.arity < 0) {
      slot = { kind: 'none' };
    } else if (g.arity === 0 && g.type === 'stats') {
      slot = { kind: 'stat', off: at, hist: hist_of(g) };
      bytes = Stat.bytes(slot.hist, cpus);
    } else if (g.arity === 0) {
      slot = { kind: g.type === 'string' ? 'string' : 'long', off: at };
      bytes = g.type === 'string' ? Store.string_slot(str_max) : 8;
    } else if (g.type === 'stats') {
      slot = { kind: 'statmap', off: at, keys, hist: hist_of(g), capacity };
      bytes = StatArray.bytes(keys, capacity, slot.hist, cpus, str_max);
    } else {
      const value = g.type === 'string' ? 's' : 'l';
      slot = { kind: 'map', off: at, keys, value, capacity };
      bytes = map_bytes({ keys, value_bytes: value === 's' ? Store.string_slot(str_max) : 8, capacity }, str_max);
    }
    off = align8(off + bytes);
    return slot;
  });
  return { slots, bytes: off };
}

export { align8 };
