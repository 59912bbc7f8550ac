// The smallest probe module: say hello when the probes start, then ask to exit.
export default {
  probes: [
    {
      point: 'begin',
      handler(ctx) {
        ctx.println('hello world');
        ctx.exit();
      },
    },
  ],
};
