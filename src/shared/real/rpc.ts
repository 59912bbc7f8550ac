// Control-plane calls across threads: comlink, wrapped. Bare comlink leaves a call pending for
// ever when the worker on the other side dies (ecosystem.md, "comlink"), which is exactly the
// case an exit-race model must survive: here every pending call rejects when the worker emits
// `error` or `exit`, and calls are numbered from a counter for the logs.
import type { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { ActorDead, revived } from '../errors.ts';

type Method = (...args: never[]) => unknown;
type Methods<T> = { [K in keyof T as T[K] extends Method ? K : never]: T[K] };

/** A remote object whose calls reject once its worker is gone. */
export class RemoteEnd<T extends object> {
  private readonly remote: Comlink.Remote<T>;
  private readonly pending = new Map<number, (e: Error) => void>();
  private next_call = 0;
  private gone: Error | null = null;

  constructor(
    readonly name: string,
    endpoint: unknown,
    worker: Worker | null,
  ) {
    this.remote = Comlink.wrap<T>(nodeEndpoint(endpoint));
    worker?.once('exit', (code) => this.fail(new ActorDead(`${name} exited (code ${code})`)));
    worker?.once('error', (e) => this.fail(new ActorDead(`${name} died: ${e.message}`)));
  }

  /** Calls `method` on the other side; rejects if that side dies first. */
  call<K extends keyof Methods<T>>(
    method: K,
    ...args: Parameters<Extract<T[K], Method>>
  ): Promise<Awaited<ReturnType<Extract<T[K], Method>>>> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.next_call++;
    const fn = (this.remote as unknown as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[method];
    return new Promise((resolve, reject) => {
      this.pending.set(id, reject);
      (fn)(...(args as unknown[])).then(
        (v) => {
          this.pending.delete(id);
          resolve(v as Awaited<ReturnType<Extract<T[K], Method>>>);
        },
        (e: unknown) => {
          this.pending.delete(id);
          reject(revived(e));
        },
      );
    });
  }

  /** Calls in flight (a leak check after many cycles). */
  in_flight(): number {
    return this.pending.size;
  }

  dead(): boolean {
    return this.gone !== null;
  }

  /** Rejects every pending call and every later one (the peer is gone or being closed). */
  fail(e: Error): void {
    if (this.gone) return;
    this.gone = e;
    for (const reject of this.pending.values()) reject(e);
    this.pending.clear();
  }

  release(): void {
    this.remote[Comlink.releaseProxy]();
  }
}

/** Serves `api` on an endpoint (a worker's parentPort, a MessagePort). */
export function serve(api: object, endpoint: unknown): void {
  Comlink.expose(api, nodeEndpoint(endpoint));
}
