// `stapsim merge FILE_cpu0 FILE_cpu1 ... [-o OUT]`: the per-CPU files of a --bulk run merged by
// sequence number into one stream, as SystemTap's stap-merge does.
import { Command } from 'commander';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { merge_bulk } from '../../merge/bulk_merge.ts';
import { UserError, message_of } from '../../shared/errors.ts';
import { out_file } from '../parse.ts';

/** The reader of the output went away (`| head`): the merge stops, and that is no error. */
class OutputGone extends Error {}

export function merge_command(on_code: (code: number) => void): Command {
  return new Command('merge')
    .description('merge the per-CPU files of a --bulk run by sequence number into one output')
    .argument('<files...>', 'the files stapsim run --bulk wrote (FILE_cpu0, FILE_cpu1, ...)')
    .option('-o, --output <FILE>', 'write the merged output to FILE instead of stdout', out_file)
    .action(async (files: string[], flags: { output?: string }) => {
      const sink = flags.output === undefined ? process.stdout : createWriteStream(flags.output);
      let error: NodeJS.ErrnoException | null = null;
      sink.on('error', (e: NodeJS.ErrnoException) => (error ??= e));
      const write = async (data: Uint8Array): Promise<void> => {
        // once() rejects when the stream errs: the error itself is in `error`, said below.
        if (!sink.write(data)) await once(sink, 'drain').catch(() => undefined);
        if (error !== null) throw error.code === 'EPIPE' ? new OutputGone() : new UserError(`cannot write the output: ${message_of(error)}`);
      };
      try {
        const r = await merge_bulk(files, write);
        await finish(sink);
        if (r.missing > 0) process.stderr.write(`stapsim merge: ${r.missing} records missing from the sequence\n`);
      } catch (e) {
        if (!(e instanceof OutputGone)) throw e;
      }
      on_code(0);
    });
}

/** Ends a file stream and waits for it to close; stdout stays open. */
async function finish(sink: Writable): Promise<void> {
  if (sink === process.stdout) return;
  sink.end();
  await once(sink, 'finish');
}
