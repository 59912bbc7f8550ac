// Which build of stapsim this is: a hash of its compiled code. A saved schedule replays bit for bit
// only on the code that found it, so schedule files carry this and replay refuses another build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The first 16 hex digits of the SHA-256 of every compiled .js file under dist/src. */
export function build_id(): string {
  if (cached !== null) return cached;
  const here = import.meta.url;
  // From src/ (under vitest) look at the built tree; from dist/src/ at our own directory.
  const dir = fileURLToPath(here.endsWith('.ts') ? new URL('../dist/src/', here) : new URL('./', here));
  const h = createHash('sha256');
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).sort();
  for (const f of files) h.update(f).update(readFileSync(`${dir}${f}`));
  cached = h.digest('hex').slice(0, 16);
  return cached;
}
