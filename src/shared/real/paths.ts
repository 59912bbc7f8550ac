// Worker entries always run as compiled JS from dist/: Node 20 cannot start a .ts worker. When
// this file itself runs as TypeScript (under vitest), the entry is found in the built tree.

/** A worker entry by its path under src/, without extension (e.g. 'shared/real/cpu_worker'). */
export function worker_url(entry: string): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL(`../../../dist/src/${entry}.js`, here)
    : new URL(`../../${entry}.js`, here);
}
