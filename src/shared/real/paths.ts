// Worker entries always run as compiled JS from dist/: Node 20 cannot start a .ts worker. When
// this file itself runs as TypeScript (under vitest), the entry is found in the built tree.

export function worker_url(name: 'cpu_worker' | 'staprun_worker'): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL(`../../../dist/src/shared/real/${name}.js`, here)
    : new URL(`./${name}.js`, here);
}
