// ^C during a campaign: the first asks it to stop and report what it found; a second quits at
// once. `timeout -s INT` signals the child and then its whole process group, so one request comes
// twice within microseconds: that pair must not count as "^C again" and lose the report.
const AGAIN_AFTER_MS = 300;

/** Catches SIGINT for `stop`; returns the function that lets go of it. */
export function catch_interrupt(stop: { requested: boolean }, notice: string | null): () => void {
  let first_at = 0;
  const on_sigint = (): void => {
    if (!stop.requested) {
      stop.requested = true;
      first_at = performance.now();
      if (notice !== null) process.stderr.write(notice);
    } else if (performance.now() - first_at >= AGAIN_AFTER_MS) {
      process.exit(130);
    }
  };
  process.on('SIGINT', on_sigint);
  return () => process.off('SIGINT', on_sigint);
}
