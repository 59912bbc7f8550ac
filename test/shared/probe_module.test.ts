// src/shared/probe_module.ts: probe points and the checks on a module's default export.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HZ } from '../../src/shared/limits.ts';
import { ModuleError } from '../../src/shared/errors.ts';
import {
  describe_module,
  instantiate,
  parse_point,
  validate_module,
  type ProbeModuleDef,
} from '../../src/shared/probe_module.ts';

const noop = () => {};

function module_error(f: () => unknown): ModuleError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModuleError);
    return e as ModuleError;
  }
  throw new Error('did not throw');
}

/** A point as parse_point gives it, with the defaults for what `fields` leaves out. */
function pt(text: string, kind: string, fields: { period_ns?: number; priority?: number; randomize_ns?: number } = {}) {
  return { text, kind, period_ns: 0, priority: 0, randomize_ns: 0, ...fields };
}

describe('parse_point', () => {
  it('parses begin, end, error and never with no period', () => {
    for (const kind of ['begin', 'end', 'error', 'never']) expect(parse_point(kind)).toEqual(pt(kind, kind));
  });

  it('begin(N), end(N), error(N) carry a priority, negative or positive', () => {
    expect(parse_point('begin(-1)')).toEqual(pt('begin(-1)', 'begin', { priority: -1 }));
    expect(parse_point('end(100)')).toEqual(pt('end(100)', 'end', { priority: 100 }));
    expect(parse_point('error(0)')).toEqual(pt('error(0)', 'error'));
  });

  it('trims surrounding white space', () => {
    expect(parse_point('  begin\t')).toEqual(pt('begin', 'begin'));
    expect(parse_point(' timer.ms(5) ').text).toBe('timer.ms(5)');
  });

  it('parses timer.profile at HZ', () => {
    expect(parse_point('timer.profile')).toEqual(pt('timer.profile', 'profile', { period_ns: 1e9 / HZ }));
    expect(parse_point('timer.profile').period_ns).toBe(1_000_000);
  });

  it('parses the load generators: sim.spin, and sim.rate(N) at N per second per CPU', () => {
    expect(parse_point('sim.spin')).toEqual(pt('sim.spin', 'spin'));
    expect(parse_point('sim.rate(1000)')).toEqual(pt('sim.rate(1000)', 'rate', { period_ns: 1e6 }));
    expect(parse_point('sim.rate(100000000)').period_ns).toBe(10);
    expect(module_error(() => parse_point('sim.rate(100000001)')).message).toContain('at most sim.rate(100000000)');
  });

  it('.randomize(M) draws each period within M of N, in N\'s unit', () => {
    expect(parse_point('timer.ms(100).randomize(10)')).toEqual(
      pt('timer.ms(100).randomize(10)', 'timer', { period_ns: 100e6, randomize_ns: 10e6 }),
    );
    expect(parse_point('timer.jiffies(5).randomize(2)').randomize_ns).toBe(2e6);
    expect(module_error(() => parse_point('timer.ms(10).randomize(10)')).message).toContain('M smaller than the period N');
    expect(module_error(() => parse_point('timer.hz(10).randomize(1)')).message).toContain('timer.hz takes no .randomize');
  });

  it.each([
    ['timer.ms(1)', 1_000_000],
    ['timer.ms(250)', 250_000_000],
    ['timer.us(1)', 1_000],
    ['timer.us(1500)', 1_500_000],
    ['timer.hz(1)', 1e9],
    ['timer.hz(100)', 10_000_000],
    ['timer.hz(1000000)', 1_000],
    ['timer.ns(1000)', 1_000],
    ['timer.s(2)', 2e9],
    ['timer.sec(1)', 1e9],
    ['timer.jiffies(3)', 3e9 / HZ],
  ] as const)('%s has a period of %d ns', (text, ns) => {
    expect(parse_point(text)).toEqual(pt(text, 'timer', { period_ns: ns }));
  });

  it('timer.hz(3) has a period of a third of a second', () => {
    expect(parse_point('timer.hz(3)').period_ns).toBeCloseTo(1e9 / 3, 3);
  });

  it.each([
    'timer.ms(0)',
    'timer.us(0)',
    'timer.hz(0)',
    'timer.ms(-5)',
    'timer.ms()',
    'timer.ms(1.5)',
    'timer.ms(abc)',
    'timer.ms(5',
    'timer.ms(5)x',
    'timer.minutes(1)',
    'timer.ms(99999999999999999999)',
    'timer.ms(5).randomize()',
    'kernel.function("sys_open")',
    'begin(1.5)',
    'begin()',
    'never(1)',
    'sim.rate(0)',
    'sim.spin(1)',
    'BEGIN',
    '',
    'timer',
  ])('rejects %j, naming the point and the known points', (text) => {
    const e = module_error(() => parse_point(text));
    expect(e.message).toContain(`'${text}'`);
    expect(e.message).toContain('known: begin, end, error (each with an optional (N)), never, timer.ms|us|ns|s|sec|jiffies(N)');
  });

  it('rejects a timer faster than 1 us', () => {
    expect(module_error(() => parse_point('timer.ns(999)')).message).toContain('at least 1000 ns');
  });

  it('rejects timer.hz above 1000000', () => {
    const e = module_error(() => parse_point('timer.hz(1000001)'));
    expect(e.message).toContain("'timer.hz(1000001)'");
    expect(e.message).toContain('at most timer.hz(1000000)');
  });

  it('every positive N gives a positive period; ms, us and hz scale as they should', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        const ms = parse_point(`timer.ms(${n})`);
        const us = parse_point(`timer.us(${n})`);
        const hz = parse_point(`timer.hz(${n})`);
        expect(ms.period_ns).toBe(n * 1e6);
        expect(us.period_ns).toBe(n * 1e3);
        expect(hz.period_ns * n).toBeCloseTo(1e9, 0);
        for (const p of [ms, us, hz]) {
          expect(p.kind).toBe('timer');
          expect(p.period_ns).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('validate_module', () => {
  const good: ProbeModuleDef = {
    probes: [
      { point: 'begin', handler: noop },
      { point: 'timer.ms(10)', handler: noop },
      { point: 'end', handler: noop },
    ],
  };

  it('returns the probe points in order for an object export', () => {
    expect(validate_module(good, 'm').map((p) => [p.kind, p.period_ns])).toEqual([
      ['begin', 0],
      ['timer', 10_000_000],
      ['end', 0],
    ]);
  });

  it('accepts a factory export and calls it', () => {
    let calls = 0;
    const factory = () => {
      calls++;
      return good;
    };
    expect(validate_module(factory, 'm').map((p) => p.text)).toEqual(['begin', 'timer.ms(10)', 'end']);
    expect(calls).toBe(1);
  });

  it.each([
    [undefined, "module 'mod' must default-export { probes: [...] } or a function returning it"],
    [null, "module 'mod' must default-export"],
    [42, "module 'mod' must default-export"],
    ['probes', "module 'mod' must default-export"],
    [() => null, "module 'mod' must default-export"],
  ])('rejects the export %j, naming the module', (exported, msg) => {
    expect(module_error(() => validate_module(exported, 'mod')).message).toContain(msg);
  });

  it('rejects a module without a probes array', () => {
    expect(module_error(() => validate_module({}, 'hello')).message).toBe("module 'hello' has no 'probes' array");
    expect(module_error(() => validate_module({ probes: 'begin' }, 'hello')).message).toBe(
      "module 'hello' has no 'probes' array",
    );
    expect(module_error(() => validate_module(() => ({ probes: {} }), 'hello')).message).toBe(
      "module 'hello' has no 'probes' array",
    );
  });

  it('rejects an empty probes array', () => {
    expect(module_error(() => validate_module({ probes: [] }, 'empty')).message).toBe("module 'empty' defines no probes");
  });

  it('rejects a probe without a point string, naming its index', () => {
    const e = module_error(() => validate_module({ probes: [{ point: 'begin', handler: noop }, { handler: noop }] }, 'x'));
    expect(e.message).toBe("module 'x': probe #1 has no 'point' string");
    expect(module_error(() => validate_module({ probes: [null] }, 'x')).message).toBe(
      "module 'x': probe #0 has no 'point' string",
    );
    expect(module_error(() => validate_module({ probes: [{ point: 5, handler: noop }] }, 'x')).message).toContain(
      "probe #0 has no 'point' string",
    );
  });

  it('rejects a probe without a handler function, naming its point', () => {
    expect(module_error(() => validate_module({ probes: [{ point: 'end' }] }, 'nh')).message).toBe(
      "module 'nh': probe 'end' has no handler function",
    );
    expect(
      module_error(() => validate_module({ probes: [{ point: 'begin', handler: 'print' }] }, 'nh')).message,
    ).toBe("module 'nh': probe 'begin' has no handler function");
  });

  it('rejects a bad probe point, naming the module and the point', () => {
    const e = module_error(() =>
      validate_module({ probes: [{ point: 'begin', handler: noop }, { point: 'timer.ms(0)', handler: noop }] }, 'bad'),
    );
    expect(e.message).toMatch(/^module 'bad': unknown probe point 'timer\.ms\(0\)'/);
    const hz = module_error(() => validate_module({ probes: [{ point: 'timer.hz(2000000)', handler: noop }] }, 'fast'));
    expect(hz.message).toBe("module 'fast': probe point 'timer.hz(2000000)': at most timer.hz(1000000)");
  });
});

describe('describe_module', () => {
  const probes = [{ point: 'begin', handler: noop }];

  it('gives the shared memory a module asks for, 0 when it asks for none', () => {
    expect(describe_module({ probes }, 'm').shared_bytes).toBe(0);
    expect(describe_module({ probes, shared_bytes: 4096, attach: noop }, 'm').shared_bytes).toBe(4096);
    expect(describe_module(() => ({ probes, shared_bytes: 8 }), 'm').shared_bytes).toBe(8);
  });

  it.each([-1, 1.5, '64', 2 ** 31, NaN])('refuses shared_bytes %j', (bytes) => {
    expect(module_error(() => describe_module({ probes, shared_bytes: bytes }, 'g')).message).toContain(
      "module 'g': 'shared_bytes' must be a whole number of bytes",
    );
  });

  it('refuses an attach that is not a function', () => {
    expect(module_error(() => describe_module({ probes, attach: 5 }, 'g')).message).toBe(
      "module 'g': 'attach' must be a function",
    );
  });
});

describe('instantiate', () => {
  const OTHER_PROBES = "a CPU's copy has other probes than the copy checked first (every copy must have the same probes)";
  const spec = { url: 'builtin:m', name: 'm', points: [parse_point('begin')] };

  it('returns an object export itself and a fresh copy from a factory', () => {
    const def = { probes: [{ point: 'begin', handler: noop }] };
    expect(instantiate(def, spec)).toBe(def);
    const factory = () => ({ probes: [{ point: 'begin', handler: noop }] });
    const a = instantiate(factory, spec);
    const b = instantiate(factory, spec);
    expect(a).not.toBe(b);
    expect(a).toEqual(b);
  });

  it('names the module when a later call of its function throws', () => {
    let loads = 0;
    const factory = () => {
      if (++loads > 1) throw new Error('late boom');
      return { probes: [{ point: 'begin', handler: noop }] };
    };
    instantiate(factory, spec);
    expect(module_error(() => instantiate(factory, spec)).message).toBe(
      "module 'm': the function returning it threw: late boom",
    );
  });

  it('refuses a copy with other probes than the spec was checked with, from a factory or an object', () => {
    const others: unknown[] = [
      undefined,
      { probes: [] },
      { probes: [{ point: 'end', handler: noop }] },
      { probes: [{ point: 'begin' }] },
      { probes: [{ point: 'begin', handler: noop }, { point: 'end', handler: noop }] },
    ];
    for (const other of others) {
      const e = module_error(() => instantiate((() => other) as () => ProbeModuleDef, spec));
      expect(e.message).toBe(`module 'm': ${OTHER_PROBES}`);
    }
    const object_export = { probes: [{ point: 'end', handler: noop }] };
    expect(module_error(() => instantiate(object_export, spec)).message).toBe(`module 'm': ${OTHER_PROBES}`);
    // The spec holds the trimmed point, as parse_point gives it.
    expect(instantiate(() => ({ probes: [{ point: ' begin ', handler: noop }] }), spec).probes).toHaveLength(1);
  });
});
