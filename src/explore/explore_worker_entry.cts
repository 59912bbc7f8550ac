// piscina's entry for the explorer's workers. piscina require()s its entry first; for an ES module
// on Node 20.19+ that goes through require(esm), which now and then aborts the whole process in V8
// ("v8::Module::IsGraphAsync must be used on an instantiated module", a bug of that path). A
// CommonJS entry that import()s the ES module never takes it.
type Worker = typeof import('./explore_worker.ts');

let loaded: Promise<Worker> | undefined;

export = function task(t: Parameters<Worker['default']>[0]): ReturnType<Worker['default']> {
  loaded ??= import('./explore_worker.ts');
  return loaded.then((m) => m.default(t));
};
