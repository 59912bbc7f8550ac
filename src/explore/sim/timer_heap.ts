// Pending timers of the simulator, earliest first; ties fire in the order they were set, so a
// schedule never depends on the heap's layout.

export interface SimTimer {
  readonly due_ns: number;
  readonly order: number;
  readonly what: string;
  readonly fire: () => void;
  cancelled: boolean;
  fired: boolean;
  /** The task a fired `after` timer started, so a cancel can still stop it before it steps. */
  task?: unknown;
}

function before(a: SimTimer, b: SimTimer): boolean {
  return a.due_ns < b.due_ns || (a.due_ns === b.due_ns && a.order < b.order);
}

export class TimerHeap {
  private readonly heap: SimTimer[] = [];

  push(t: SimTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = h[p] as SimTimer;
      if (!before(t, hp)) break;
      h[i] = hp;
      i = p;
    }
    h[i] = t;
  }

  /** The earliest live timer, dropping cancelled ones; undefined when none is left. */
  peek(): SimTimer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || !top.cancelled) return top;
      this.pop();
    }
  }

  pop(): SimTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r] as SimTimer, h[l] as SimTimer) ? r : l;
      const hc = h[c] as SimTimer;
      if (!before(hc, last)) break;
      h[i] = hc;
      i = c;
    }
    h[i] = last;
    return top;
  }

  live(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  pending(): readonly SimTimer[] {
    return this.heap.filter((t) => !t.cancelled);
  }
}
