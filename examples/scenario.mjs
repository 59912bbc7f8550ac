// A scenario of your own for `stapsim explore examples/scenario.mjs` (and `stapsim stress`): a
// probe module plus the outside world that races it. `module` is a function: each CPU gets a
// fresh copy of the module on every load. `actors(ctx)` starts the people around the run; every
// ctx.choose() and every step of theirs is a decision of the strategy, so a campaign tries them
// at every point of the lifecycle.
export default {
  name: 'two-exits',
  description: 'a probe calls exit() while a person presses ^C',
  cpus: 2,
  transport: 'relay',
  module: () => {
    let ticks = 0;
    return {
      probes: [
        { point: 'timer.ms(5)', handler: (ctx) => (++ticks === 3 ? ctx.exit() : undefined) },
        { point: 'end', handler: (ctx) => ctx.printf('%d ticks\n', ticks) },
      ],
    };
  },
  actors(ctx) {
    ctx.user('^C', function* () {
      yield* ctx.sleep(5 * ctx.choose(4, 'when ^C comes, in 5 ms units'));
      // Steps aside a chosen number of times: each time, the tasks ready then go first.
      yield* ctx.steps(ctx.choose(6, 'and a few rounds later'));
      yield* ctx.act('sigint');
    });
  },
};
