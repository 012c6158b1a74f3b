// One page.json as the screen holds it: the text last read from or written to disk,
// edits applied to a copy and PUT at once with If-Match, one request in flight at a time.

import { api } from './api.js';
import { History } from './undo.js';

// ETag header values are quoted, server events carry the bare digest: compare them bare.
const bare = (etag) => (etag ? String(etag).replace(/^W\//, '').replace(/"/g, '') : etag);

export function serialize(doc) { return JSON.stringify(doc, null, 2) + '\n'; }

export function isImageLabeled(task, image) {
  if (task === 'multi-class') return Array.isArray(image.tags) && image.tags.length === 1;
  if (task === 'multi-label') return Array.isArray(image.tags) && image.tags.length >= 1;
  return Array.isArray(image.regions);
}

// The model's suggestion for a multi-class image (SPEC section 7: the daemon fills the top
// prelabel into `tags`): 'suggested' while the tags are still exactly that one tag, 'changed'
// once a person set another tag or cleared it. Derived from the file alone, as label_source is.
export function suggestionOf(task, image) {
  if (task !== 'multi-class' || !Array.isArray(image.prelabels) || !image.prelabels.length) return null;
  const top = image.prelabels[0];
  if (!top || typeof top.tag !== 'string') return null;
  const kept = Array.isArray(image.tags) && image.tags.length === 1 && image.tags[0] === top.tag;
  return { tag: top.tag, confidence: top.confidence, model: top.model, state: kept ? 'suggested' : 'changed', others: image.prelabels.slice(1) };
}

// A confidence as a percentage that never reads 100% short of certainty.
export function percent(confidence) {
  const c = Number(confidence) || 0;
  return `${c >= 1 ? 100 : Math.min(99, Math.round(c * 100))}%`;
}

export function labeledCount(doc) {
  return doc.images.filter((im) => isImageLabeled(doc.task, im)).length;
}

export class PageStore extends EventTarget {
  constructor(project, pageId, text, etag) {
    super();
    this.project = project;
    this.pageId = pageId;
    this.history = new History();
    this.unsaved = [];      // edits not yet acknowledged by the server, replayable after a conflict
    this.seq = 0;
    this.inFlight = false;
    this.status = 'saved';
    this.message = '';
    this.conflict = null;   // { mine, edits } after a 412
    this.closed = false;
    this.ours = new Set();  // ETags of versions this screen wrote or read: their events are echoes
    this.adopt(text, etag);
  }

  adopt(text, etag) {
    this.doc = JSON.parse(text);
    this.text = serialize(this.doc);
    this.diskText = text;
    this.savedText = this.text;
    this.etag = etag;
    this.remember(etag);
  }

  remember(etag) {
    if (!etag) return;
    this.ours.add(bare(etag));
    if (this.ours.size > 200) this.ours.delete(this.ours.values().next().value);
  }

  get pending() { return this.inFlight || this.text !== this.savedText; }
  get complete() { return this.doc.images.every((im) => isImageLabeled(this.doc.task, im)); }
  get editable() { return this.doc.status === 'open' || this.doc.status === 'rejected'; }

  emit(type, detail = {}) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  setStatus(status, message = '') {
    this.status = status;
    this.message = message;
    this.emit('status');
  }

  // Apply `change(doc)` to a copy; false from it means "nothing to do". Saved at once.
  edit(change, { coalesce = null } = {}) {
    if (this.closed || !this.editable) return false;
    const copy = structuredClone(this.doc);
    if (change(copy) === false) return false;
    const text = serialize(copy);
    if (text === this.text) return false;
    this.history.record(this.text, coalesce);
    this.unsaved.push({ seq: ++this.seq, change });
    this.replace(copy, text);
    return true;
  }

  undo() { return this.restore(this.history.undo(this.text)); }
  redo() { return this.restore(this.history.redo(this.text)); }

  restore(text) {
    if (text == null || this.closed || !this.editable) return false;
    const doc = JSON.parse(text);
    this.unsaved.push({ seq: ++this.seq, change: (d) => { Object.assign(d, structuredClone(doc)); } });
    this.replace(doc, text);
    return true;
  }

  replace(doc, text) {
    this.doc = doc;
    this.text = text;
    this.emit('change', { local: true });
    this.save();
  }

  async save() {
    if (this.inFlight || this.closed) return;
    while (this.text !== this.savedText && !this.closed) {
      const text = this.text;
      const upTo = this.seq;
      this.inFlight = true;
      if (!this.conflict) this.setStatus('saving', 'Saving…');
      try {
        const { etag } = await api.putPage(this.project, this.pageId, text, this.etag);
        this.etag = etag;
        this.remember(etag);
        this.savedText = text;
        this.diskText = text;
        this.unsaved = this.unsaved.filter((e) => e.seq > upTo);
      } catch (e) {
        this.inFlight = false;
        this.failed(e, text);
        return;
      }
      this.inFlight = false;
    }
    if (this.closed) return;
    if (this.conflict) this.setStatus('conflict', 'Conflict: the page changed on disk');
    else this.setStatus('saved', 'Saved');
  }

  failed(e, text) {
    if (e.status === 412) return this.conflicted(text);
    if (e.status === 422 || e.status === 400 || e.status === 413) {
      // The server refused this version: the screen goes back to what is on disk.
      const errs = (e.body.errors || []).map((x) => x.message).join('; ');
      this.history.undo(this.text);
      this.history.future = [];
      this.unsaved = [];
      this.doc = JSON.parse(this.savedText);
      this.text = this.savedText;
      this.emit('change', { local: false });
      this.setStatus('error', `Not saved: ${errs || e.message}`);
      return;
    }
    if (e.status === 409 || e.status === 404) {
      this.emit('lost', { mine: text, message: e.message });
      this.setStatus('error', 'Not saved: this page is no longer yours');
      return;
    }
    this.setStatus('error', `Not saved: ${e.message}`);
  }

  retry() { if (this.status === 'error') this.save(); }

  // The file changed on disk under an edit: show the disk version, keep ours aside.
  async conflicted(mine) {
    this.conflict = { mine: mine || this.text, edits: this.unsaved.slice() };
    this.unsaved = [];
    this.setStatus('conflict', 'Conflict: the page changed on disk');
    try { await this.reload(); } catch (e) { this.setStatus('error', `Not loaded: ${e.message}`); return; }
    this.setStatus('conflict', 'Conflict: the page changed on disk');
    this.emit('conflict', this.conflict);
  }

  async reload() {
    const { text, etag } = await api.page(this.project, this.pageId);
    const same = JSON.stringify(JSON.parse(text)) === JSON.stringify(this.doc);
    this.adopt(text, etag);
    if (same) return false;
    this.history.clear();
    this.emit('change', { local: false, reloaded: true });
    return true;
  }

  // Replay the edits the conflict set aside on top of the disk version.
  reapply() {
    const c = this.conflict;
    if (!c) return false;
    this.conflict = null;
    const copy = structuredClone(this.doc);
    try {
      for (const e of c.edits) e.change(copy);
    } catch (err) {
      this.conflict = c;
      this.setStatus('conflict', `Could not apply your change again: ${err.message}`);
      return false;
    }
    const text = serialize(copy);
    this.setStatus('saved', 'Saved');
    if (text === this.text) return true;
    this.history.record(this.text);
    this.unsaved.push({ seq: ++this.seq, change: (d) => { for (const e of c.edits) e.change(d); } });
    this.replace(copy, text);
    return true;
  }

  keepDisk() {
    this.conflict = null;
    this.setStatus('saved', 'Saved');
  }

  // A page-changed event: reload when nothing of ours is pending, else it is a conflict.
  async changedOnDisk(etag) {
    if (etag && this.ours.has(bare(etag))) return; // our own write coming back
    if (this.pending) {
      if (!this.inFlight) this.conflicted(this.text);
      return; // the PUT in flight comes back 412 if the disk really moved
    }
    const seq = this.seq;
    const { text, etag: now } = await api.page(this.project, this.pageId);
    if (this.closed || seq !== this.seq || this.pending) return; // edited meanwhile: its PUT decides
    const same = JSON.stringify(JSON.parse(text)) === JSON.stringify(this.doc);
    this.adopt(text, now);
    if (same) return;
    this.history.clear();
    this.emit('change', { local: false, reloaded: true });
    if (this.status !== 'conflict') this.setStatus('saved', 'Saved');
    this.emit('reloaded');
  }

  close() { this.closed = true; }
}

// Where an error of a rejected page points: {image, region} (0-based) or nulls for the page.
export function placeOf(pointer) {
  const m = /^\/images\/(\d+)(?:\/regions\/(\d+))?/.exec(pointer || '');
  return { image: m ? Number(m[1]) : null, region: m && m[2] != null ? Number(m[2]) : null };
}

// The errors of image i (0-based); with region given, only those of that region.
export function errorsAt(doc, i, region) {
  return (doc.errors || []).filter((e) => {
    const p = placeOf(e.pointer);
    if (p.image !== i) return false;
    return region === undefined ? true : p.region === region;
  });
}

export function pageErrors(doc) { return (doc.errors || []).filter((e) => placeOf(e.pointer).image == null); }
