// Pending timers of the simulator, earliest first; ties fire in the order they were set, so a
// schedule never depends on the heap's layout.

export interface SimTimer {
  readonly due_ns: number;
  readonly order: number;
  readonly what: string;
  cancelled: boolean;
  fired: boolean;
}

function before(a: SimTimer, b: SimTimer): boolean {
  return a.due_ns < b.due_ns || (a.due_ns === b.due_ns && a.order < b.order);
}

export class TimerHeap<T extends SimTimer> {
  private readonly heap: T[] = [];

  push(t: T): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = h[p] as T;
      if (!before(t, hp)) break;
      h[i] = hp;
      i = p;
    }
    h[i] = t;
  }

  /** The earliest live timer, dropping cancelled ones; undefined when none is left. */
  peek(): T | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || !top.cancelled) return top;
      this.pop();
    }
  }

  pop(): T | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r] as T, h[l] as T) ? r : l;
      const hc = h[c] as T;
      if (!before(hc, last)) break;
      h[i] = hc;
      i = c;
    }
    h[i] = last;
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
