// A deep copy of a parse subtree that shares its tokens: each probe derived from a declaration
// (one per probe point, alias prologues joined in) gets its own nodes to annotate with symbols.

export function clone_tree<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n: unknown) => clone_tree(n)) as T;
  if (node === null || typeof node !== 'object' || typeof node === 'bigint') return node;
  // Tokens (they carry a location) and resolved symbols are shared, not copied.
  if ('loc' in node || 'scope' in node) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = clone_tree(v);
  return out as T;
}
