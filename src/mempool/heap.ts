/** A binary heap; the mempool uses it for fee-ordered block templates and for eviction. */

/** A binary heap where `before(a, b)` is true when `a` must come out before `b`. */
export class Heap<T> {
  private readonly items: T[];
  private readonly before: (a: T, b: T) => boolean;

  /** Takes ownership of `items` and heapifies them in O(n). */
  constructor(before: (a: T, b: T) => boolean, items: T[] = []) {
    this.before = before;
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** Number of items in the heap. */
  get size(): number {
    return this.items.length;
  }

  /** The next item to come out, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item in O(log n). */
  push(item: T): void {
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Restores order after the next item's key changed in place (cheaper than pop + push). */
  updateTop(): void {
    if (this.items.length > 1) this.down(0);
  }

  /** Removes and returns the next item in O(log n). */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(start: number): void {
    const items = this.items;
    const item = items[start] as T;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!this.before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  private down(start: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[start] as T;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.before(items[right] as T, items[left] as T)) child = right;
      const c = items[child] as T;
      if (!this.before(c, item)) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
