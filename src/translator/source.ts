// A script's text and where things are in it. SystemTap strings are bytes, so a script is held
// as a "byte string": one JS character per byte (latin1), read from the file's raw bytes; the
// values a script computes are byte strings too, and only printing turns them back into text.
import { Buffer } from 'node:buffer';

export interface Source {
  /** As errors name it: the path given, or `<input>` for `-e`. */
  readonly name: string;
  /** The script, one character per byte. */
  readonly text: string;
}

export interface Location {
  readonly source: Source;
  readonly line: number;
  readonly column: number;
}

/** A script given as (UTF-8) text, e.g. `-e '...'`, as a byte string. */
export function source_of_text(name: string, text: string): Source {
  return { name, text: Buffer.from(text, 'utf8').toString('latin1') };
}

/** A script file's raw bytes as a byte string. */
export function source_of_bytes(name: string, bytes: Uint8Array): Source {
  return { name, text: Buffer.from(bytes).toString('latin1') };
}

/** A byte string as the UTF-8 text it stands for (for messages and listings). */
export function bytes_to_text(s: string): string {
   
  return /[\x80-\xff]/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/** `file:line:column`, as SystemTap prints a token's place. */
export function where(loc: Location): string {
  return `${loc.source.name}:${loc.line}:${loc.column}`;
}

/**
 * The line of a location and a caret under its column, SystemTap's way
 * (`systemtap_session::print_error_source`): whitespace before the column is kept as it is, so
 * tabs line up, every other character becomes a space.
 */
export function source_excerpt(loc: Location, align: string): string {
  const lines = loc.source.text.split('\n');
  const line = lines[loc.line - 1] ?? '';
  let pad = '';
  for (let i = 0; i < loc.column - 1 && i < line.length; i++) pad += /\s/.test(line[i] as string) ? line[i] : ' ';
  return `${align}source: ${bytes_to_text(line)}\n${align}        ${pad}^\n`;
}
