// The kernel's calls into the CPUs. A CPU that died (the cpu_crash fault: its worker is gone and
// every call to it fails) is offline from then on: the kernel notes it once and goes on without
// it, as a kernel goes on after a CPU is lost, instead of failing the operation in progress.
import { ActorDead, message_of } from '../shared/errors.ts';
import type { Proc } from '../shared/seam.ts';
import { call_effect, cpu_thread } from '../shared/seam.ts';
import type { Kernel } from './module.ts';

export function* cpu_call<R>(k: Kernel, cpu: number, op: string, ...args: unknown[]): Proc<R | undefined> {
  if (k.offline.has(cpu)) return undefined;
  try {
    // Yielded here rather than through `yield* call(...)`: the kernel calls into a CPU a dozen
    // times a schedule, and each would build a generator (and spread its arguments again) for
    // this one yield (1.7% of a schedule's instructions under cachegrind).
    return (yield call_effect(cpu_thread(cpu), op, args)) as R;
  } catch (e) {
    if (!(e instanceof ActorDead)) throw e;
    k.offline.add(cpu);
    k.env.trace('cpu_offline', { cpu, op, error: message_of(e) });
    return undefined;
  }
}

/** The same call on every CPU, one after the other. */
export function* all_cpus(k: Kernel, op: string, ...args: unknown[]): Proc<void> {
  for (const cpu of k.cpus()) yield* cpu_call(k, cpu, op, ...args);
}
