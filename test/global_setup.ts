import { execFileSync } from 'node:child_process';

/** Builds dist/ once per test run, so worker threads and the CLI run the code under test. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
