// The Rng's streams are part of every saved schedule: a failure file replays only if seed S
// still draws what it drew when the file was saved. The figures below are those of the first
// generator (uint32 state, a closure per construction, before a51a17f), for seeds at the edges
// of int32 and uint32.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng.ts';

const STREAMS: readonly [number, readonly number[], readonly number[]][] = [
  [0, [4205396811, 3543653536, 1222415357, 3047368389], [90, 583, 171]],
  [1, [1828152527, 3394835397, 2967886022, 2251045104], [965, 944, 750]],
  [0x7fffffff, [3803216344, 3425584514, 392159176, 1689447961], [744, 927, 290]],
  [0x80000000, [3497283522, 1389284052, 3387863705, 1724742077], [155, 523, 109]],
  [0xffffffff, [1413747962, 91561161, 3282502067, 2190738929], [872, 894, 453]],
  [123456789, [2230556110, 1356862853, 2315437121, 2290487179], [274, 834, 865]],
];

describe('Rng', () => {
  it.each(STREAMS)('seed %i draws what it always drew', (seed, u32s, belows) => {
    const r = new Rng(seed);
    expect(Array.from({ length: 4 }, () => r.u32())).toEqual(u32s);
    expect(Array.from({ length: 3 }, () => r.below(1000))).toEqual(belows);
  });

  it('seed() starts a stream over, as a new Rng of that seed', () => {
    const r = new Rng(99);
    for (let i = 0; i < 50; i++) r.u32();
    for (const [seed, u32s] of STREAMS) {
      r.seed(seed);
      expect(Array.from({ length: 4 }, () => r.u32())).toEqual(u32s);
    }
  });
});
