// npm only marks bins executable for installed packages; in the repository `npx stapsim` needs it.
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
