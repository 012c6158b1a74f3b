// Classification (multi-class, multi-label): the page's images in a grid, selection, keys 1-9.
//
// Model suggestions on multi-class pages (SPEC sections 7 and 9): the daemon fills an image's
// top prelabel into its tags; until a person changes or clears that tag it is drawn as a
// suggestion (dashed chip, "suggested", the confidence), apart from human labels. Marks for
// tests, on the image tile [data-lm-image="N"]:
//   data-lm-suggestion="TAG"                   the model's top suggestion for the image
//   data-lm-suggestion-state="suggested|changed"  suggested: tags are still [TAG]; changed: a
//                                              person set another tag or cleared it
// and [data-lm-assist-note] the page's note on how many images the model suggested a tag for.

import { h, tagColour, toast } from './dom.js';
import { isImageLabeled, errorsAt, suggestionOf, percent } from './page.js';

// Layouts by images per view; the first is the page's own (everything at once).
const LAYOUTS = [[1, 1, 1], [4, 2, 2], [6, 3, 2], [9, 3, 3], [16, 4, 4], [25, 5, 5], [36, 6, 6], [49, 7, 7], [64, 8, 8]];

function shapeFor(n) {
  if (n <= 1) return [1, 1];
  if (n === 2) return [2, 1];
  if (n === 3) return [3, 1];
  if (n <= 4) return [2, 2];
  if (n <= 6) return [3, 2];
  if (n <= 9) return [3, 3];
  const cols = Math.ceil(Math.sqrt(n));
  return [cols, Math.ceil(n / cols)];
}

export class GridView {
  constructor(store, ctx) {
    this.store = store;
    this.ctx = ctx;
    this.selected = new Set();
    this.perView = store.doc.images.length;
    this.offset = 0;
    this.tiles = [];
    this.el = h('div', { class: 'lm-grid-view' });
    this.build();
  }

  get doc() { return this.store.doc; }
  get count() { return this.doc.images.length; }
  get visible() {
    const out = [];
    for (let i = this.offset; i < Math.min(this.count, this.offset + this.perView); i++) out.push(i);
    return out;
  }

  build() {
    const n = this.count;
    const [cols, rows] = shapeFor(Math.min(n, this.perView));
    this.selectAllBtn = h('button', {
      class: 'lm-btn', dataset: { lmAction: 'select-all' }, 'aria-label': 'Select all images in view',
      onclick: () => this.toggleSelectAll(),
    }, 'Select all');
    const layoutButtons = [];
    const own = [n, ...shapeFor(n)];
    for (const [per, c, r] of [own, ...LAYOUTS.filter(([per]) => per < n)]) {
      const label = per === n ? `All ${n}` : `${r} × ${c}`;
      layoutButtons.push(h('button', {
        class: 'lm-seg', 'aria-pressed': String(per === this.perView),
        'aria-label': per === n ? `Show all ${n} images` : `Show ${per} image${per > 1 ? 's' : ''} at a time`,
        dataset: { lmLayout: String(per) }, onclick: () => this.setLayout(per),
      }, per === 1 ? '1' : label));
    }
    const paging = this.perView < n ? [
      h('button', { class: 'lm-btn', dataset: { lmAction: 'prev-image' }, 'aria-label': 'Previous images', onclick: () => this.turn(-1) }, '‹ Prev'),
      h('span', { class: 'lm-muted' }, `${this.offset + 1}–${Math.min(n, this.offset + this.perView)} of ${n}`),
      h('button', { class: 'lm-btn', dataset: { lmAction: 'next-image' }, 'aria-label': 'Next images', onclick: () => this.turn(1) }, 'Next ›'),
    ] : [];
    this.acceptBtn = h('button', {
      class: 'lm-btn lm-suggest-btn', dataset: { lmAction: 'accept-prelabels' }, 'aria-label': 'Accept the model’s suggestions (A)',
      onclick: () => this.acceptPrelabels(),
    }, 'Accept suggestions', h('kbd', {}, 'A'));
    const bar = h('div', { class: 'lm-gridbar' },
      this.selectAllBtn,
      h('div', { class: 'lm-segs', role: 'group', 'aria-label': 'Layout' }, h('span', { class: 'lm-muted' }, 'Layout'), layoutButtons),
      paging, h('span', { class: 'lm-spacer' }), this.acceptBtn);
    this.assistNote = h('p', { class: 'lm-assist-note', dataset: { lmAssistNote: '' }, role: 'note' });
    const grid = h('div', { class: 'lm-grid', style: `grid-template-columns: repeat(${cols}, minmax(0, 1fr)); grid-template-rows: repeat(${rows}, minmax(0, 1fr));` });
    this.tiles = this.visible.map((i) => this.tile(i));
    grid.append(...this.tiles.map((t) => t.el));
    this.pageComment = h('input', {
      class: 'lm-comment lm-page-comment', type: 'text', placeholder: 'Comment on this page (optional)',
      'aria-label': 'Comment on this page', dataset: { lmComment: 'page' },
    });
    this.pageComment.addEventListener('input', () => this.setComment(null, this.pageComment.value));
    this.el.replaceChildren(bar, this.assistNote, grid, h('div', { class: 'lm-pagecomment' }, this.pageComment));
    this.update();
  }

  tile(i) {
    const n = i + 1;
    const image = this.doc.images[i];
    const circle = h('button', { class: 'lm-circle', 'aria-label': `Select image ${n}` });
    const chips = h('div', { class: 'lm-chips' });
    const errors = h('div', { class: 'lm-errors' });
    const comment = h('input', {
      class: 'lm-comment', type: 'text', placeholder: 'Comment', 'aria-label': `Comment on image ${n}`, dataset: { lmComment: String(n) },
    });
    comment.addEventListener('input', () => this.setComment(i, comment.value));
    const el = h('figure', { class: 'lm-tile', dataset: { lmImage: String(n), lmSelected: 'false' } },
      circle,
      h('div', { class: 'lm-imgbox' }, h('img', { src: this.ctx.imageURL(n), alt: image.file, draggable: 'false', decoding: 'async' })),
      h('figcaption', {}, h('div', { class: 'lm-file', title: image.source || image.file }, h('span', { class: 'lm-num' }, String(n)), image.file), chips, errors, comment));
    el.addEventListener('click', (e) => {
      if (e.target.closest('button:not(.lm-circle), input, a')) return;
      this.toggle(i);
    });
    return { i, el, circle, chips, errors, comment };
  }

  update() {
    const doc = this.doc;
    for (const t of this.tiles) {
      const image = doc.images[t.i];
      const sel = this.selected.has(t.i);
      t.el.dataset.lmSelected = String(sel);
      t.circle.setAttribute('aria-pressed', String(sel));
      t.el.classList.toggle('lm-labeled', isImageLabeled(doc.task, image));
      const suggestion = suggestionOf(doc.task, image);
      if (suggestion) {
        t.el.dataset.lmSuggestion = suggestion.tag;
        t.el.dataset.lmSuggestionState = suggestion.state;
      } else {
        delete t.el.dataset.lmSuggestion;
        delete t.el.dataset.lmSuggestionState;
      }
      const chips = doc.task === 'multi-class' ? this.multiClassChips(t.i, image, suggestion) : this.multiLabelChips(t.i, image);
      if (!image.tags || image.tags.length === 0) chips.unshift(h('span', { class: 'lm-unlabeled' }, 'Not labeled'));
      t.chips.replaceChildren(...chips);
      const errs = errorsAt(doc, t.i);
      t.el.classList.toggle('lm-has-error', errs.length > 0);
      t.errors.replaceChildren(...errs.map((e) => h('p', { class: 'lm-error', dataset: { lmError: e.pointer } }, e.message)));
      if (document.activeElement !== t.comment) t.comment.value = image.comment || '';
    }
    if (document.activeElement !== this.pageComment) this.pageComment.value = doc.comment || '';
    const vis = this.visible;
    const all = vis.length > 0 && vis.every((i) => this.selected.has(i));
    this.selectAllBtn.textContent = all ? 'Deselect all' : 'Select all';
    this.selectAllBtn.setAttribute('aria-label', all ? 'Deselect all images in view' : 'Select all images in view');
    // Accepting fills only unlabeled images: shown while one with suggestions is unlabeled.
    this.acceptBtn.hidden = !doc.images.some((im) => (im.prelabels || []).length && !isImageLabeled(doc.task, im));
    this.updateAssistNote();
  }

  untagButton(i, tag) {
    return h('button', { class: 'lm-x', 'aria-label': `Remove tag ${tag} from image ${i + 1}`, dataset: { lmUntag: tag },
      onclick: (e) => { e.stopPropagation(); this.untag(i, tag); } }, '×');
  }

  // Multi-class: the tag, drawn as the model's suggestion while it is the one the model filled in;
  // once changed, a human chip and, smaller, what the model had suggested.
  multiClassChips(i, image, suggestion) {
    const doc = this.doc;
    const chips = [];
    const also = suggestion && suggestion.others.length
      ? `; next: ${suggestion.others.map((p) => `${p.tag} ${percent(p.confidence)}`).join(', ')}` : '';
    for (const tag of image.tags || []) {
      const k = doc.tags.indexOf(tag);
      if (suggestion && suggestion.state === 'suggested') {
        chips.push(h('span', {
          class: 'lm-chip lm-chip-suggested', style: `--c: ${tagColour(k)}`, dataset: { lmApplied: tag },
          title: `Suggested by the model ${suggestion.model || ''} with ${percent(suggestion.confidence)} confidence${also}. Keep it, or press a number key to change it.`,
        }, h('span', { class: 'lm-chip-kind' }, 'suggested'), tag, h('small', { class: 'lm-chip-confidence' }, percent(suggestion.confidence)),
        this.untagButton(i, tag)));
      } else {
        chips.push(h('span', { class: 'lm-chip', style: `--c: ${tagColour(k)}`, dataset: { lmApplied: tag } }, tag, this.untagButton(i, tag)));
      }
    }
    if (suggestion && suggestion.state === 'changed') {
      chips.push(h('span', { class: 'lm-suggested-note', title: `Suggested by the model ${suggestion.model || ''}${also}` },
        `suggested: ${suggestion.tag} ${percent(suggestion.confidence)}`));
    }
    return chips;
  }

  // Multi-label: the tags applied (dashed when the model suggested them) and the suggestions not applied.
  multiLabelChips(i, image) {
    const doc = this.doc;
    const suggested = new Map((image.prelabels || []).map((p) => [p.tag, p]));
    const chips = (image.tags || []).map((tag) => {
      const k = doc.tags.indexOf(tag);
      const p = suggested.get(tag);
      return h('span', { class: `lm-chip${p ? ' lm-chip-model' : ''}`, style: `--c: ${tagColour(k)}`, dataset: { lmApplied: tag },
        title: p ? `suggested by ${p.model} (${percent(p.confidence)})` : null },
      tag, this.untagButton(i, tag));
    });
    for (const p of image.prelabels || []) {
      if ((image.tags || []).includes(p.tag)) continue;
      chips.push(h('span', { class: 'lm-chip lm-suggestion', title: `suggested by ${p.model}`, dataset: { lmSuggestedTag: p.tag } },
        `${p.tag}?`, h('small', {}, ` ${percent(p.confidence)}`)));
    }
    return chips;
  }

  // "N suggestions from model M: check them before you submit", on pages the model prelabeled.
  updateAssistNote() {
    const doc = this.doc;
    const suggestions = doc.images.map((im) => suggestionOf(doc.task, im)).filter(Boolean);
    const prelabeled = !!(doc.assist && doc.assist.prelabeled);
    if (!suggestions.length && !prelabeled) { this.assistNote.hidden = true; return; }
    const models = [...new Set(suggestions.map((s) => s.model).filter(Boolean))];
    const model = (doc.assist && doc.assist.model) || models.join(', ') || 'the model';
    const n = suggestions.length;
    const changed = suggestions.filter((s) => s.state === 'changed').length;
    this.assistNote.hidden = false;
    const parts = [
      h('strong', {}, `${n} suggestion${n === 1 ? '' : 's'} from model ${model}`),
      ': check them before you submit. Dashed tags are the model’s; a number key or × makes the label yours.'];
    if (changed) parts.push(h('span', { class: 'lm-assist-changed' }, ` ${changed} changed by you.`));
    this.assistNote.replaceChildren(...parts);
  }

  render() { this.update(); }

  // Resolves once the images in view are decoded (or failed to load).
  whenDrawn() { return Promise.all(this.tiles.map((t) => t.el.querySelector('img').decode().catch(() => {}))); }

  toggle(i) {
    if (this.selected.has(i)) this.selected.delete(i); else this.selected.add(i);
    this.update();
  }

  toggleSelectAll() {
    const vis = this.visible;
    if (vis.every((i) => this.selected.has(i))) vis.forEach((i) => this.selected.delete(i));
    else vis.forEach((i) => this.selected.add(i));
    this.update();
  }

  setLayout(per) {
    this.perView = per;
    this.offset = Math.floor(this.offset / per) * per;
    this.build();
  }

  turn(dir) {
    if (this.perView >= this.count) return;
    const next = this.offset + dir * this.perView;
    if (next < 0 || next >= this.count) return;
    this.offset = next;
    this.build();
  }

  targets() {
    const sel = [...this.selected].sort((a, b) => a - b);
    if (sel.length) return sel;
    if (this.visible.length === 1) return this.visible;
    return [];
  }

  applyTag(k) {
    const doc = this.doc;
    const tag = doc.tags[k];
    if (tag == null) return;
    const targets = this.targets();
    if (!targets.length) { toast('Select images first: click them, or press Ctrl+A for all.'); return; }
    const multi = doc.task === 'multi-label';
    this.store.edit((d) => {
      for (const i of targets) {
        const im = d.images[i];
        if (multi) { if (!(im.tags || []).includes(tag)) im.tags = [...(im.tags || []), tag]; } else im.tags = [tag];
      }
    });
    if (multi) this.selected.clear();
    this.update();
  }

  untag(i, tag) {
    this.store.edit((d) => {
      const im = d.images[i];
      if (!im.tags || !im.tags.includes(tag)) return false;
      const left = im.tags.filter((t) => t !== tag);
      im.tags = left.length ? left : null;
    });
  }

  acceptPrelabels() {
    const doc = this.doc;
    const targets = this.selected.size ? [...this.selected] : doc.images.map((_, i) => i);
    let n = 0;
    this.store.edit((d) => {
      for (const i of targets) {
        const im = d.images[i];
        const pre = (im.prelabels || []).filter((p) => d.tags.includes(p.tag));
        if (!pre.length || (im.tags && im.tags.length)) continue;
        if (d.task === 'multi-class') im.tags = [pre.reduce((a, b) => (b.confidence > a.confidence ? b : a)).tag];
        else im.tags = [...new Set(pre.map((p) => p.tag))];
        n++;
      }
      return n > 0 ? undefined : false;
    });
    toast(n ? `Accepted the suggestions for ${n} image${n > 1 ? 's' : ''}` : 'No suggestions to accept on unlabeled images');
  }

  setComment(i, value) {
    this.store.edit((d) => {
      const target = i == null ? d : d.images[i];
      if (value.trim() === '') { if (!('comment' in target)) return false; delete target.comment; } else target.comment = value;
    }, { coalesce: `comment:${i}` });
  }

  focusImage(i) {
    if (!this.visible.includes(i)) { this.offset = Math.floor(i / this.perView) * this.perView; this.build(); }
    this.tiles.find((t) => t.i === i)?.el.scrollIntoView({ block: 'nearest' });
  }

  onKey(e) {
    const k = e.digit;
    if (k != null) { this.applyTag(k - 1); return true; }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') { this.visible.forEach((i) => this.selected.add(i)); this.update(); return true; }
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    if (e.key === 'Escape') { this.selected.clear(); this.update(); return true; }
    if (e.key === 'a' || e.key === 'A') { this.acceptPrelabels(); return true; }
    if (e.key === 'PageDown' || e.key === ']') { this.turn(1); return true; }
    if (e.key === 'PageUp' || e.key === '[') { this.turn(-1); return true; }
    return false;
  }

  destroy() {}
}
