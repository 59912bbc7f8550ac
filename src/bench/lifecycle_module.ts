// The module `stapsim bench --lifecycle` loads again and again: a begin probe that says hello
// and calls exit(), so each cycle takes every step of start-up and of shutdown path 2.
import type { ProbeModuleDef } from '../shared/probe_module.ts';

const lifecycle: ProbeModuleDef = {
  probes: [
    {
      point: 'begin',
      handler: (ctx) => {
        ctx.print('hello\n');
        ctx.exit();
      },
    },
  ],
};

export default lifecycle;
