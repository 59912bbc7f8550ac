// Worker entries always run as compiled JS from dist/: Node 20 cannot start a .ts worker. When
// this file itself runs as TypeScript (under vitest), the entry is found in the built tree.

/** The compiled file a worker can import for this module's URL (itself, when already JS). */
export function compiled_url(url: string): string {
  return url.endsWith('.ts') ? url.replace(/\/src\/(.*)\.ts$/, '/dist/src/$1.js') : url;
}

/**
 * A worker entry by its path under src/, without extension (e.g. 'shared/real/cpu_worker'); `ext`
 * 'cjs' for a CommonJS entry (a .cts source).
 */
export function worker_url(entry: string, ext: 'js' | 'cjs' = 'js'): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL(`../../../dist/src/${entry}.${ext}`, here)
    : new URL(`../../${entry}.${ext}`, here);
}
