// Counts profile ticks on every CPU; each CPU reports every 100 of its own ticks, and staprun
// merges the CPUs' output back into one ordered stream. Module-level state is per CPU: each CPU
// loads its own copy of this file.
let ticks = 0;

export default {
  probes: [
    { point: 'begin', handler: (ctx) => ctx.printf('counting on every cpu...\n') },
    {
      point: 'timer.profile',
      handler(ctx) {
        ticks++;
        if (ticks % 100 === 0) ctx.printf('cpu%d: %6d ticks\n', ctx.cpu(), ticks);
      },
    },
    { point: 'end', handler: (ctx) => ctx.printf('done (end probe on cpu%d)\n', ctx.cpu()) },
  ],
};
