// Runs the built CLI as a user would: a real child process, with real signals.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const FIXTURES = join(ROOT, 'test/fixtures');
export const EXAMPLES = join(ROOT, 'examples');

export interface CliResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Sends this signal once stdout contains `after` (probes are running). */
  readonly signal?: { readonly name: NodeJS.Signals; readonly after: string };
  readonly timeout_ms?: number;
  readonly cwd?: string;
}

export function run_cli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stapsim ${args.join(' ')} did not end within ${opts.timeout_ms ?? 30_000} ms\n${stderr}`));
    }, opts.timeout_ms ?? 30_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.signal && !signalled && stdout.includes(opts.signal.after)) {
        signalled = true;
        child.kill(opts.signal.name);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A fresh directory for a test's trace and output files. */
export function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'stapsim-test-'));
}

export function read_text(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Bad input: nothing on stdout, one line on stderr naming the problem, status 1. */
export function refused(r: CliResult, message: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The one JSON object a `--json` command prints, checked to be alone on stdout. */
export function json_line<T>(r: CliResult): T {
  const lines = r.stdout.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return JSON.parse(lines[0] as string) as T;
}
