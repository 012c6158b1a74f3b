// Undo and redo as whole page.json texts: restoring one is just another edit saved to disk.

const LIMIT = 200;
const COALESCE_MS = 1500;

export class History {
  constructor() { this.clear(); }

  clear() {
    this.past = [];
    this.future = [];
    this.lastKey = null;
    this.lastAt = 0;
  }

  // Remember `before` as the state to return to; typing in one comment field is one step.
  record(before, coalesceKey = null) {
    const now = Date.now();
    const same = coalesceKey && coalesceKey === this.lastKey && now - this.lastAt < COALESCE_MS;
    if (!same) {
      this.past.push(before);
      if (this.past.length > LIMIT) this.past.shift();
    }
    this.future = [];
    this.lastKey = coalesceKey;
    this.lastAt = now;
  }

  undo(current) {
    if (!this.past.length) return null;
    this.future.push(current);
    this.lastKey = null;
    return this.past.pop();
  }

  redo(current) {
    if (!this.future.length) return null;
    this.past.push(current);
    this.lastKey = null;
    return this.future.pop();
  }

  get canUndo() { return this.past.length > 0; }
  get canRedo() { return this.future.length > 0; }
}
