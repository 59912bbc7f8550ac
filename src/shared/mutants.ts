// Real-world bugs the transport can be run with, one at a time (`--mutant NAME`), so users and
// tests can watch the checks catch them. Each is a flag the actor code tests at the one place the
// historical bug lived; with no mutant the code is the correct transport.

export const MUTANTS = {
  'no-start-wait':
    'the work queue exits without waiting for probe_start to finish (PR5963, 2008)',
  'double-cleanup': '_stp_cleanup_and_exit has no at-most-once guard: every path runs it again',
  'exit-before-flush': 'STP_EXIT is sent before the final relay flush, losing end-probe output',
  'no-cancel-on-rmmod': 'the rmmod path does not cancel the delayed work item (PR2391, 2006)',
  'rmmod-on-exit1': 'staprun removes a module that is already being removed (after STP_EXIT 1)',
  'early-start-flag': 'the "probe_start finished" flag is set before probe_start returns',
  'release-before-start': 'the -c child is released before the probes are registered',
} as const;

export type Mutant = keyof typeof MUTANTS;

export function is_mutant(name: unknown): name is Mutant {
  return typeof name === 'string' && Object.hasOwn(MUTANTS, name);
}
