// A scenario file's own mistakes, under explore and stress: one line naming the mistake and
// status 1, never a transport failure, a hang or a stack trace.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { refused, run_cli, scratch } from '../helpers/cli.ts';

const dir = scratch();
const MODULE = "module: () => ({ probes: [{ point: 'begin', handler: (ctx) => ctx.exit() }] })";
const IDLE = "module: () => ({ probes: [{ point: 'begin', handler: () => {} }] })";

function scenario(file: string, body: string): string {
  const path = join(dir, file);
  writeFileSync(path, `export default { name: '${file}', cpus: 1, transport: 'relay', ${body} };\n`);
  return path;
}

const cases: [string, string, RegExp][] = [
  [
    'actors() throws',
    scenario('actors_throw.mjs', `${MODULE}, actors() { throw new Error('actor boom'); }`),
    /scenario 'actors_throw\.mjs': actors\(\) threw: actor boom/,
  ],
  [
    'the module factory throws',
    scenario('module_throws.mjs', "module: () => { throw new Error('module boom'); }"),
    /module '.*module_throws\.mjs': the function returning it threw: module boom/,
  ],
  [
    // Without the check the action did nothing, and every run ended as a livelock.
    'a user task acts with an unknown action',
    scenario(
      'bogus_act.mjs',
      `${IDLE}, actors(ctx) { ctx.user('typo', function* () { yield* ctx.sleep(5); yield* ctx.act('sigkill'); }); }`,
    ),
    /scenario 'bogus_act\.mjs': ctx\.act\('sigkill'\): unknown action \(known: sigint, sigterm, rmmod, kill-staprun\)/,
  ],
  [
    // On real threads the sleeper kept the run from ending: 15 s, then exit 70.
    'one actor acts wrongly while another sleeps on',
    scenario(
      'typo_and_sleeper.mjs',
      `${IDLE}, actors(ctx) { ctx.user('sleeper', function* () { yield* ctx.sleep(30000); }); ctx.user('typo', function* () { yield* ctx.sleep(5); yield* ctx.act('sigkill'); }); }`,
    ),
    /scenario 'typo_and_sleeper\.mjs': ctx\.act\('sigkill'\): unknown action/,
  ],
  [
    // Its first two calls (the checks on the main thread) pass; a later load's call throws. On
    // real threads the CPU's load failed inside init_module: exit 70, or a module left half
    // inserted and a hang.
    'the module function throws on a later load',
    scenario('late_throw.mjs', "module: (() => { let n = 0; return () => { if (++n > 2) throw new Error('late boom'); return { probes: [{ point: 'begin', handler: (ctx) => ctx.exit() }] }; }; })()"),
    /module 'late_throw\.mjs': the function returning it threw: late boom/,
  ],
  [
    'the module function returns other probes on a later load',
    scenario('late_other.mjs', "module: (() => { let n = 0; return () => ({ probes: [{ point: ++n > 2 ? 'end' : 'begin', handler: (ctx) => ctx.exit() }] }); })()"),
    /module 'late_other\.mjs': a CPU's copy has other probes than the copy checked first/,
  ],
  [
    // It did nothing, was named in the report, and its saved schedules could not be replayed.
    'an unknown mutant',
    scenario('bad_mutant.mjs', `${MODULE}, mutant: 'bogus'`),
    /scenario file '.*bad_mutant\.mjs': 'mutant' must be one of: no-start-wait, /,
  ],
  [
    'an unknown fault',
    scenario('bad_fault.mjs', `${MODULE}, faults: ['cosmic_ray']`),
    /scenario file '.*bad_fault\.mjs': 'faults' must be an array of: /,
  ],
  [
    // It counted as the transport crashing: a failure saved for every schedule.
    "a user task's own code throws",
    scenario(
      'task_throws.mjs',
      `${IDLE}, actors(ctx) { ctx.user('oops', function* () { yield* ctx.sleep(5); null.x; }); }`,
    ),
    /scenario 'task_throws\.mjs': task 'oops' threw: Cannot read properties of null/,
  ],
  [
    // It ended as "internal error: timer in the past", status 70.
    'a task sleeps a negative time',
    scenario('neg_sleep.mjs', `${IDLE}, actors(ctx) { ctx.user('t', function* () { yield* ctx.sleep(-5); }); }`),
    /scenario 'neg_sleep\.mjs': ctx\.sleep\(-5\): ms must be a finite number, 0 or more/,
  ],
  [
    // The task waited for ever without a word: every schedule a livelock.
    'a task yields a step without the star',
    scenario('no_star.mjs', `${IDLE}, actors(ctx) { ctx.user('t', function* () { yield ctx.sleep(5); }); }`),
    /scenario 'no_star\.mjs': task 't' yielded a generator: write yield\* ctx\.sleep\(\.\.\.\), with the star/,
  ],
  [
    // It ended with a stack trace.
    'an async task body',
    scenario('async_body.mjs', `${IDLE}, actors(ctx) { ctx.user('t', async function () { throw new Error('async boom'); }); }`),
    /scenario 'async_body\.mjs': ctx\.user\('t', body\): body must be a generator function/,
  ],
  [
    'a choice among no options',
    scenario('choose_none.mjs', `${MODULE}, actors(ctx) { ctx.choose(0, 'delay'); }`),
    /scenario 'choose_none\.mjs': ctx\.choose\(0, 'delay'\): n must be a positive integer/,
  ],
];

describe('a scenario file with a mistake', () => {
  it.concurrent.each(cases)('explore: %s', async (_what, file, message) => {
    refused(await run_cli(['explore', file, '--schedules', '50', '--jobs', '2', '--out', join(dir, 'out')]), message);
  });

  it.concurrent.each(cases)('stress: %s', async (_what, file, message) => {
    refused(await run_cli(['stress', file, '--cycles', '3', '--out', join(dir, 'out')]), message);
  });
});
