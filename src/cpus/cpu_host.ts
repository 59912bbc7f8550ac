// A CPU as the machine boots it: it exists before any module and outlives each one. It holds
// the module copy loaded on it, if any, and dispatches the kernel's calls to it by name.
import { strict as assert } from 'node:assert';
import type { ProbeModuleDef } from '../shared/probe_module.ts';
import type { Env } from '../shared/seam.ts';
import {
  CPU_OPS,
  Cpu,
  type CpuLoadArgs,
  type CpuOp,
  type CpuTransportArgs,
  type OnceKind,
  type RegisterArgs,
} from './cpu.ts';

export class CpuHost {
  private loaded: Cpu | null = null;

  constructor(readonly index: number) {}

  /** Kernel, insmod: this CPU's own copy of the module, with the run's env. */
  load(env: Env, def: ProbeModuleDef, args: CpuLoadArgs): void {
    if (this.loaded !== null) assert.fail(`cpu${this.index}: a module is already loaded`);
    this.loaded = new Cpu(env, this.index, def, args);
  }

  /** Runs one of the kernel's operations on the loaded module. */
  op(name: string, args: readonly unknown[]): unknown {
    if (!(CPU_OPS as readonly string[]).includes(name)) assert.fail(`cpu${this.index}: unknown op ${name}`);
    const cpu = this.loaded;
    if (cpu === null) {
      if (name !== 'unload') assert.fail(`cpu${this.index}: ${name} with no module loaded`);
      return undefined;
    }
    return this.dispatch(cpu, name as CpuOp, args);
  }

  private dispatch(cpu: Cpu, name: CpuOp, args: readonly unknown[]): unknown {
    switch (name) {
      case 'transport_open':
        return cpu.transport_open(args[0] as CpuTransportArgs);
      case 'register_probes':
        return cpu.register_probes(args[0] as RegisterArgs);
      case 'run_probes':
        return cpu.run_probes(args[0] as OnceKind, args[1] as number);
      case 'unregister_probes':
        return cpu.unregister_probes();
      case 'relay_flush':
        return cpu.relay_flush();
      case 'relay_close':
        return cpu.relay_close();
      case 'unload':
        this.loaded = null;
        return cpu.unload();
    }
  }

  /** Whether a module is loaded here (the leak check after many cycles). */
  busy(): boolean {
    return this.loaded !== null;
  }
}
