// The only source of randomness of the explorer and of stress runs: sfc32, seeded through splitmix32, so a schedule is a
// function of its seed on every machine. Never Math.random.

// The state is kept as int32 (`| 0`), not as uint32 (`>>> 0`): a uint32 above 2^31 is no small
// integer to V8, so each of the four fields would hold a boxed double and every draw would cost
// several times its arithmetic. The bits, and so every stream, are the same.
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed: number) {
    this.seed(seed);
  }

  /**
   * Starts the stream of `seed` over, as `new Rng(seed)` would: a strategy reseeds one Rng at
   * every schedule instead of building one (and a closure) each time.
   */
  seed(seed: number): void {
    this.a = splitmix32(seed, 1);
    this.b = splitmix32(seed, 2);
    this.c = splitmix32(seed, 3);
    this.d = splitmix32(seed, 4);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const t = (((a + b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }

  /** True with probability 1/n. */
  one_in(n: number): boolean {
    return this.below(n) === 0;
  }
}

/** The `i`th output of splitmix32 seeded with `seed`, as int32 (i * gamma stays exact). */
function splitmix32(seed: number, i: number): number {
  let z = ((seed | 0) + i * 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return z ^ (z >>> 16);
}

/** The seed of schedule `index` of a campaign with master seed `master`. */
export function schedule_seed(master: number, index: number): number {
  let z = (Math.imul(master >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) >>> 0;
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}
