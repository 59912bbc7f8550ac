// stapsim's demo (`npm start`): every CPU samples a profile timer, cpu0 prints a heartbeat, and
// after half a second the script calls exit() itself (shutdown path 2): the end probe runs inside
// probe_exit and its output still reaches staprun before STP_EXIT.
let samples = 0;
let beats = 0;

export default {
  probes: [
    { point: 'begin', handler: (ctx) => ctx.println('demo: probes registered, sampling for 500 ms') },
    {
      point: 'timer.profile',
      handler(ctx) {
        samples++;
        if (samples % 100 === 0) ctx.printf('cpu%d: %d samples\n', ctx.cpu(), samples);
      },
    },
    {
      point: 'timer.ms(100)',
      handler(ctx) {
        beats++;
        ctx.printf('heartbeat %d from cpu%d\n', beats, ctx.cpu());
        if (beats === 5) ctx.exit();
      },
    },
    {
      point: 'end',
      handler(ctx) {
        ctx.printf('demo: end probe on cpu%d after %d heartbeats, %d samples here\n', ctx.cpu(), beats, samples);
      },
    },
  ],
};
