// The tapset functions a script may call (stapfuncs), with their types. A user's function of the
// same name takes precedence, as a script's own definitions do in stap.
import type { Type } from './ast.ts';

export interface Builtin {
  readonly ret: Type | 'void';
  readonly params: readonly Type[];
}

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  exit: { ret: 'void', params: [] },
  error: { ret: 'void', params: ['string'] },
  warn: { ret: 'void', params: ['string'] },
  cpu: { ret: 'long', params: [] },
  num_online_cpus: { ret: 'long', params: [] },
  pid: { ret: 'long', params: [] },
  tid: { ret: 'long', params: [] },
  execname: { ret: 'string', params: [] },
  pp: { ret: 'string', params: [] },
  target: { ret: 'long', params: [] },
  gettimeofday_s: { ret: 'long', params: [] },
  gettimeofday_ms: { ret: 'long', params: [] },
  gettimeofday_us: { ret: 'long', params: [] },
  gettimeofday_ns: { ret: 'long', params: [] },
  jiffies: { ret: 'long', params: [] },
  strlen: { ret: 'long', params: ['string'] },
  substr: { ret: 'string', params: ['string', 'long', 'long'] },
  stringat: { ret: 'long', params: ['string', 'long'] },
  isinstr: { ret: 'long', params: ['string', 'string'] },
  strtol: { ret: 'long', params: ['string', 'long'] },
  text_str: { ret: 'string', params: ['string'] },
  string: { ret: 'string', params: ['long'] },
};
