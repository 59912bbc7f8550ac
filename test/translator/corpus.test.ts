// The script corpus: every test/translator/corpus/NAME.stp runs on one booted machine (two
// CPUs), and its stdout and exit status must be exactly NAME.out and its `# status:` line.
// Header comments set what a case needs: `# args: a b`, `# define: MAXACTION=5`, and
// `# stderr: text` (repeatable), a line stderr must contain. A script that fails to translate
// runs nothing: status 1, empty stdout, its error on stderr.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import { TranslateErrors } from '../../src/translator/errors.ts';
import { source_of_bytes } from '../../src/translator/source.ts';
import { run_script } from '../helpers/script.ts';
import { UserError } from '../../src/shared/errors.ts';

const DIR = new URL('./corpus/', import.meta.url).pathname;
const CPUS = 2;

interface Case {
  readonly name: string;
  readonly status: number;
  readonly args: string[];
  readonly defines: string[];
  readonly stderr: string[];
  readonly stdout: string;
}

function header(text: string, key: string): string[] {
  const re = new RegExp(`^# ${key}: (.*)$`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1] as string);
}

function load_cases(): Case[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.stp'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      const text = readFileSync(join(DIR, f), 'utf8');
      const status = header(text, 'status')[0];
      if (status === undefined) throw new Error(`${f}: no '# status:' line`);
      return {
        name,
        status: Number(status),
        args: header(text, 'args').flatMap((a) => a.split(' ')),
        defines: header(text, 'define'),
        stderr: header(text, 'stderr'),
        stdout: readFileSync(join(DIR, `${name}.out`), 'utf8'),
      };
    });
}

const cases = load_cases();
let machine: Machine;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'stapsim-corpus-'));
  machine = await Machine.boot({ cpus: CPUS, log_level: 'error', logger: make_log('error', 'corpus').logger });
});

afterAll(async () => {
  await machine.shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

async function run_case(c: Case): Promise<{ code: number; stdout: string; stderr: string }> {
  const src = source_of_bytes(`${c.name}.stp`, readFileSync(join(DIR, `${c.name}.stp`)));
  try {
    const { r, stdout, stderr } = await run_script(machine, scratch, c.name, src, {
      args: c.args, defines: c.defines, over: { timeout_s: 20 },
    });
    return { code: r.code, stdout, stderr };
  } catch (e) {
    if (e instanceof TranslateErrors) return { code: 1, stdout: '', stderr: e.render() };
    if (e instanceof UserError) return { code: 1, stdout: '', stderr: e.message };
    throw e;
  }
}

describe('script corpus', () => {
  it('has at least 150 scripts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const r = await run_case(c);
      expect(r.stdout, r.stderr).toBe(c.stdout);
      expect(r.code, r.stderr).toBe(c.status);
      for (const line of c.stderr) expect(r.stderr).toContain(line);
    });
  }
});
