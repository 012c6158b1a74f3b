// Boxes and polygons: one image at a time on the surface; zoom, pan, draw, adjust; every
// change is one edit of page.json (coordinates in image pixels).

import { h, s, tagColour, toast } from './dom.js';
import { isImageLabeled, errorsAt } from './page.js';
import * as g from './geometry.js';

const HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];
const CURSORS = { nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' };

export class RegionView {
  constructor(store, ctx) {
    this.store = store;
    this.ctx = ctx;
    this.kind = store.doc.task === 'polygon' ? 'polygon' : 'bbox';
    this.cur = 0;
    this.selected = null;
    this.tool = this.kind === 'polygon' ? 'polygon' : 'draw';
    this.locked = false;
    this.activeTag = 0;
    this.view = { s: 1, tx: 0, ty: 0 };
    this.gesture = null;
    this.draft = null;       // polygon being drawn: [[x, y], ...]
    this.lastBoxSize = null;
    this.pointer = null;     // last pointer position in image pixels, or null when off the surface
    this.spaceDown = false;
    this.el = h('div', { class: 'lm-region-view' });
    this.build();
    this.resizeObserver = new ResizeObserver(() => { if (this.fitted !== false) this.fit(); });
    this.resizeObserver.observe(this.viewport);
    this.onKeyUp = (e) => { if (e.key === ' ') { this.spaceDown = false; this.viewport.classList.remove('lm-panning'); } };
    window.addEventListener('keyup', this.onKeyUp);
  }

  get doc() { return this.store.doc; }
  get image() { return this.doc.images[this.cur]; }
  get regions() { return this.image.regions || []; }
  get W() { return this.image.width; }
  get H() { return this.image.height; }
  get tag() { return this.doc.tags[this.activeTag] ?? this.doc.tags[0]; }

  // ---------- building ----------

  build() {
    this.thumbs = h('nav', { class: 'lm-thumbs', 'aria-label': 'Images of this page' });
    this.thumbTiles = this.doc.images.map((im, i) => {
      const badge = h('span', { class: 'lm-thumb-badge' });
      const el = h('button', {
        class: 'lm-thumb', dataset: { lmImage: String(i + 1), lmSelected: 'false' }, 'aria-label': `Image ${i + 1}: ${im.file}`,
        onclick: () => this.show(i),
      }, h('img', { src: this.ctx.imageURL(i + 1), alt: '', loading: 'lazy', draggable: 'false' }), h('span', { class: 'lm-num' }, String(i + 1)), badge);
      return { el, badge };
    });
    this.thumbs.append(...this.thumbTiles.map((t) => t.el));

    const tool = (id, key, label, title) => h('button', {
      class: 'lm-tool', dataset: { lmTool: id }, 'aria-label': `${title} (${key})`, title: `${title} (${key})`,
      onclick: () => this.setTool(id),
    }, h('kbd', {}, key), label);
    const tools = this.kind === 'polygon'
      ? [tool('polygon', 'P', 'Polygon', 'Draw a polygon'), tool('points', 'U', 'Points', 'Add or remove points'), tool('adjust', 'M', 'Adjust', 'Select and move')]
      : [tool('draw', 'R', 'Box', 'Draw boxes'), tool('adjust', 'M', 'Adjust', 'Adjust boxes'), tool('template', 'T', 'Template', 'Template box')];
    this.lockBtn = h('button', { class: 'lm-tool', dataset: { lmAction: 'lock' }, 'aria-label': 'Lock or unlock regions (L)', title: 'Lock or unlock regions (L)', onclick: () => this.toggleLock() }, h('kbd', {}, 'L'), 'Lock');
    this.toolButtons = tools;
    this.deleteBtn = h('button', { class: 'lm-btn', dataset: { lmAction: 'delete' }, 'aria-label': 'Delete the selected region (Delete)', onclick: () => this.deleteSelected() }, 'Delete');
    this.nothingBtn = h('button', { class: 'lm-btn', dataset: { lmAction: 'nothing-to-mark' }, 'aria-label': 'Nothing to mark on this image (N)', onclick: () => this.nothingToMark() }, 'Nothing to mark');
    this.acceptBtn = h('button', { class: 'lm-btn lm-suggest-btn', dataset: { lmAction: 'accept-prelabels' }, 'aria-label': 'Accept the suggested regions (A)', onclick: () => this.acceptPrelabels() }, 'Accept suggestions');
    const toolbar = h('div', { class: 'lm-toolbar', role: 'toolbar', 'aria-label': 'Tools' },
      h('div', { class: 'lm-segs' }, tools, this.lockBtn),
      h('span', { class: 'lm-sep' }),
      h('button', { class: 'lm-btn lm-icon', 'aria-label': 'Zoom out (-)', title: 'Zoom out (-)', onclick: () => this.zoomBy(1 / 1.25) }, '−'),
      h('button', { class: 'lm-btn', dataset: { lmAction: 'fit' }, 'aria-label': 'Fit the whole image (0)', title: 'Fit (0)', onclick: () => this.fit() }, 'Fit'),
      h('button', { class: 'lm-btn lm-icon', 'aria-label': 'Zoom in (+)', title: 'Zoom in (+)', onclick: () => this.zoomBy(1.25) }, '+'),
      h('span', { class: 'lm-sep' }),
      this.deleteBtn,
      h('button', { class: 'lm-btn', dataset: { lmAction: 'delete-all' }, 'aria-label': 'Delete all regions of this image', onclick: () => this.deleteAll() }, 'Delete all'),
      this.nothingBtn, this.acceptBtn);
    const nav = h('div', { class: 'lm-nav' },
      h('button', { class: 'lm-btn', dataset: { lmAction: 'prev-image' }, 'aria-label': 'Previous image (PageUp)', title: 'Previous image (PageUp)', onclick: () => this.show(this.cur - 1) }, '‹ Prev'),
      this.imageCounter = h('span', { class: 'lm-muted lm-small' }),
      h('button', { class: 'lm-btn', dataset: { lmAction: 'next-image' }, 'aria-label': 'Next image (PageDown)', title: 'Next image (PageDown)', onclick: () => this.show(this.cur + 1) }, 'Next ›'));

    this.img = h('img', { class: 'lm-surface-img', alt: '', draggable: 'false' });
    // Regions in one SVG; what moves under the pointer in another, on its own compositor
    // layer, so a drag repaints a few shapes, not all of them.
    this.svg = s('svg', { class: 'lm-overlay' });
    this.layerPre = s('g', { class: 'lm-prelabels' });
    this.layerRegions = s('g', { class: 'lm-regions' });
    this.svg.append(this.layerPre, this.layerRegions);
    this.top = s('svg', { class: 'lm-overlay lm-overlay-top' });
    this.layerLive = s('g', { class: 'lm-live' });
    this.layerSel = s('g', { class: 'lm-selection' });
    this.layerDraft = s('g', { class: 'lm-draft' });
    this.top.append(this.layerLive, this.layerSel, this.layerDraft);
    this.surface = h('div', { class: 'lm-surface', dataset: { lmSurface: '' } }, this.img, this.svg, this.top);
    this.viewport = h('div', { class: 'lm-viewport', tabindex: '-1', 'aria-label': 'Image to label' }, this.surface);
    this.readout = h('span', { class: 'lm-muted lm-readout' });
    this.zoomReadout = h('span', { class: 'lm-muted' });
    this.caption = h('span', { class: 'lm-file' });
    const stagebar = h('div', { class: 'lm-stagebar' }, nav, this.caption, h('span', { class: 'lm-spacer' }), this.readout, this.zoomReadout);
    const stage = h('section', { class: 'lm-stage' }, toolbar, this.viewport, stagebar);

    this.regionList = h('ol', { class: 'lm-region-list', 'aria-label': 'Regions of this image' });
    this.regionHead = h('h3', {}, 'Regions');
    this.imageErrors = h('div', { class: 'lm-errors' });
    this.imageComment = h('textarea', { class: 'lm-comment', rows: '2', placeholder: 'Comment on this image', 'aria-label': 'Comment on this image', dataset: { lmComment: 'image' } });
    this.imageComment.addEventListener('input', () => this.setComment(this.cur, this.imageComment.value));
    this.pageComment = h('textarea', { class: 'lm-comment', rows: '2', placeholder: 'Comment on this page', 'aria-label': 'Comment on this page', dataset: { lmComment: 'page' } });
    this.pageComment.addEventListener('input', () => this.setComment(null, this.pageComment.value));
    const side = h('aside', { class: 'lm-side' },
      this.imageErrors, this.suggestions = h('div', { class: 'lm-suggestions' }), this.regionHead, this.regionList,
      h('label', { class: 'lm-label' }, 'Image comment', this.imageComment),
      h('label', { class: 'lm-label' }, 'Page comment', this.pageComment));
    this.el.replaceChildren(this.thumbs, stage, side);

    this.viewport.addEventListener('pointerdown', (e) => this.pointerDown(e));
    this.viewport.addEventListener('pointermove', (e) => this.pointerMove(e));
    this.viewport.addEventListener('pointerup', (e) => this.pointerUp(e));
    this.viewport.addEventListener('pointercancel', () => this.cancelGesture());
    this.viewport.addEventListener('pointerleave', () => { this.pointer = null; this.readout.textContent = ''; this.renderDraft(); });
    this.viewport.addEventListener('dblclick', (e) => { e.preventDefault(); if (this.draft) this.finishPolygon(); });
    this.viewport.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.viewport.addEventListener('contextmenu', (e) => e.preventDefault());
    this.viewport.addEventListener('auxclick', (e) => e.preventDefault());
    this.show(0, { first: true });
  }

  // ---------- showing ----------

  show(i, { first = false } = {}) {
    if (i < 0 || i >= this.doc.images.length) return;
    if (!first && i === this.cur) return;
    this.cancelDraft();
    this.cur = i;
    this.selected = null;
    const im = this.image;
    this.surface.style.width = `${im.width}px`;
    this.surface.style.height = `${im.height}px`;
    for (const svg of [this.svg, this.top]) {
      svg.setAttribute('viewBox', `0 0 ${im.width} ${im.height}`);
      svg.setAttribute('width', im.width);
      svg.setAttribute('height', im.height);
    }
    this.img.src = this.ctx.imageURL(i + 1);
    this.img.width = im.width;
    this.img.height = im.height;
    this.caption.textContent = `${i + 1}. ${im.file} · ${im.width} × ${im.height}`;
    this.imageCounter.textContent = `Image ${i + 1} of ${this.doc.images.length}`;
    this.thumbTiles[i].el.scrollIntoView?.({ block: 'nearest' });
    this.imageComment.value = im.comment || '';
    requestAnimationFrame(() => this.fit());
    this.fit();
    this.render();
  }

  // Resolves once the image on the surface is decoded (or failed to load).
  whenDrawn() { return this.img.decode().catch(() => {}); }

  render() {
    if (this.cur >= this.doc.images.length) this.cur = 0;
    if (this.selected != null && this.selected >= this.regions.length) this.selected = null;
    const doc = this.doc;
    this.thumbTiles.forEach((t, i) => {
      const im = doc.images[i];
      t.el.dataset.lmSelected = String(i === this.cur);
      t.el.setAttribute('aria-current', i === this.cur ? 'true' : 'false');
      t.el.classList.toggle('lm-labeled', isImageLabeled(doc.task, im));
      t.el.classList.toggle('lm-has-error', errorsAt(doc, i).length > 0);
      t.badge.textContent = im.regions == null ? '' : im.regions.length === 0 ? '∅' : String(im.regions.length);
      t.badge.title = im.regions == null ? 'not labeled yet' : im.regions.length === 0 ? 'nothing to mark' : `${im.regions.length} regions`;
    });
    this.renderRegions();
    this.renderSide();
    this.renderTools();
    if (document.activeElement !== this.imageComment) this.imageComment.value = this.image.comment || '';
    if (document.activeElement !== this.pageComment) this.pageComment.value = doc.comment || '';
  }

  renderTools() {
    for (const b of this.toolButtons) b.setAttribute('aria-pressed', String(b.dataset.lmTool === this.tool));
    this.lockBtn.setAttribute('aria-pressed', String(this.locked));
    this.lockBtn.lastChild.textContent = this.locked ? 'Locked' : 'Lock';
    this.deleteBtn.disabled = this.selected == null || this.locked;
    this.acceptBtn.hidden = !(this.image.prelabels || []).some((p) => p.box || p.polygon);
    this.viewport.dataset.tool = this.tool;
    this.viewport.classList.toggle('lm-locked', this.locked);
    this.ctx.setActiveTag?.(this.activeTag);
  }

  shapeAttrs(region) {
    if (region.box) {
      const b = region.box;
      return ['rect', { x: b.x, y: b.y, width: b.width, height: b.height }];
    }
    return ['polygon', { points: region.polygon.map((p) => p.join(',')).join(' ') }];
  }

  renderRegions() {
    const doc = this.doc;
    const errs = new Set(errorsAt(doc, this.cur).map((e) => e.pointer && Number((/\/regions\/(\d+)/.exec(e.pointer) || [])[1])).filter((n) => Number.isInteger(n)));
    const frag = document.createDocumentFragment();
    this.shapes = this.regions.map((r, k) => {
      const [tag, attrs] = this.shapeAttrs(r);
      const colour = tagColour(doc.tags.indexOf(r.tag));
      const el = s(tag, { ...attrs, class: `lm-shape${r.prelabel ? ' lm-model' : ''}${errs.has(k) ? ' lm-error-shape' : ''}${k === this.selected ? ' lm-selected' : ''}`,
        'data-lm-region': k, 'data-lm-tag-name': r.tag, stroke: colour, fill: colour, 'vector-effect': 'non-scaling-stroke' });
      frag.append(el);
      return el;
    });
    // Tag names on the image while they can be read; past a few hundred the list and colours say it.
    if (this.regions.length <= 300) {
      this.regions.forEach((r, k) => {
        const [x, y] = r.box ? [r.box.x, r.box.y] : r.polygon.reduce((a, p) => (p[1] < a[1] ? p : a));
        const label = s('text', { x, y, class: 'lm-region-label', 'data-lm-label': k, fill: tagColour(doc.tags.indexOf(r.tag)) });
        label.textContent = r.tag;
        frag.append(label);
      });
    }
    this.layerRegions.replaceChildren(frag);
    const pre = document.createDocumentFragment();
    for (const p of this.pendingPrelabels()) {
      const [tag, attrs] = this.shapeAttrs(p);
      pre.append(s(tag, { ...attrs, class: 'lm-prelabel', 'vector-effect': 'non-scaling-stroke', 'data-lm-prelabel': p.tag }));
      const [x, y] = p.box ? [p.box.x, p.box.y] : p.polygon.reduce((a, q) => (q[1] < a[1] ? q : a));
      const label = s('text', { x, y, class: 'lm-region-label lm-prelabel-label' });
      label.textContent = `${p.tag}? ${Math.round((p.confidence || 0) * 100)}%`;
      pre.append(label);
    }
    this.layerPre.replaceChildren(pre);
    this.renderSelection();
    this.renderDraft();
  }

  // Prelabels with a shape that are not yet among the regions.
  pendingPrelabels() {
    const have = new Set(this.regions.map((r) => JSON.stringify([r.tag, r.box || r.polygon])));
    return (this.image.prelabels || []).filter((p) => (p.box || p.polygon) && !have.has(JSON.stringify([p.tag, p.box || p.polygon])));
  }

  renderSelection() {
    this.layerSel.replaceChildren();
    if (this.zoomVar !== this.view.s) { this.zoomVar = this.view.s; this.surface.style.setProperty('--zoom', String(this.view.s)); }
    const k = this.selected;
    if (k == null || !this.regions[k]) return;
    this.shapes?.forEach((el, i) => el.classList.toggle('lm-selected', i === k));
    const r = this.liveRegion || this.regions[k];
    const size = 8 / this.view.s;
    if (this.locked) return;
    if (r.box) {
      for (const [hx, hy] of Object.values(this.handlePoints(r.box))) {
        this.layerSel.append(s('rect', { x: hx - size / 2, y: hy - size / 2, width: size, height: size, class: 'lm-handle', 'vector-effect': 'non-scaling-stroke' }));
      }
    } else {
      for (const [px, py] of r.polygon) {
        this.layerSel.append(s('circle', { cx: px, cy: py, r: size / 2, class: 'lm-handle', 'vector-effect': 'non-scaling-stroke' }));
      }
    }
  }

  renderDraft() {
    this.layerDraft.replaceChildren();
    const size = 7 / this.view.s;
    if (this.draft && this.draft.length) {
      const pts = [...this.draft];
      if (this.pointer) pts.push([this.pointer.x, this.pointer.y]);
      this.layerDraft.append(s('polyline', { points: pts.map((p) => p.join(',')).join(' '), class: 'lm-draft-line', stroke: tagColour(this.activeTag), 'vector-effect': 'non-scaling-stroke' }));
      this.draft.forEach(([x, y], i) => this.layerDraft.append(s('circle', { cx: x, cy: y, r: (i === 0 ? 1.4 : 1) * size / 2, class: i === 0 ? 'lm-handle lm-first' : 'lm-handle', 'vector-effect': 'non-scaling-stroke' })));
    }
    if (this.gesture && this.gesture.type === 'draw' && this.gesture.box) {
      const b = this.gesture.box;
      this.layerDraft.append(s('rect', { x: b.x, y: b.y, width: b.width, height: b.height, class: 'lm-draft-box', stroke: tagColour(this.activeTag), 'vector-effect': 'non-scaling-stroke' }));
    }
  }

  renderSide() {
    const doc = this.doc;
    const regions = this.regions;
    const im = this.image;
    this.regionHead.textContent = im.regions == null ? 'Regions: not labeled yet' : regions.length === 0 ? 'Nothing to mark here' : `Regions (${regions.length})`;
    const pending = this.pendingPrelabels();
    this.suggestions.replaceChildren(...(pending.length ? [h('h3', {}, `Suggested by a model (${pending.length})`),
      h('p', { class: 'lm-muted lm-small' }, 'Dashed on the image; not labels until accepted (A).'),
      ...pending.slice(0, 20).map((p) => h('p', { class: 'lm-suggestion-row' }, `${p.tag} · ${Math.round((p.confidence || 0) * 100)}% · ${p.model}`))] : []));
    // A list of a thousand rows helps nobody and costs a lot to draw: the first ones and the selected one.
    const LIST = 200;
    const shown = regions.map((r, k) => k).filter((k) => k < LIST || k === this.selected);
    const items = shown.map((k) => {
      const r = regions[k];
      const rowErrs = errorsAt(doc, this.cur, k);
      const desc = r.box ? `${Math.round(r.box.width)} × ${Math.round(r.box.height)} at ${Math.round(r.box.x)}, ${Math.round(r.box.y)}` : `${r.polygon.length} points`;
      return h('li', { class: `lm-region-row${k === this.selected ? ' lm-selected' : ''}${rowErrs.length ? ' lm-has-error' : ''}`, dataset: { lmRegionRow: String(k) },
        onclick: () => { if (!this.locked) this.select(k); } },
      h('span', { class: 'lm-dot', style: `background: ${tagColour(doc.tags.indexOf(r.tag))}` }),
      h('span', { class: 'lm-row-tag' }, r.tag), r.prelabel ? h('small', { class: 'lm-muted' }, ' model') : null,
      h('span', { class: 'lm-row-desc' }, desc),
      h('button', { class: 'lm-x', 'aria-label': `Delete region ${k + 1} (${r.tag})`, onclick: (e) => { e.stopPropagation(); if (!this.locked) this.deleteRegion(k); } }, '×'),
      rowErrs.map((e) => h('p', { class: 'lm-error', dataset: { lmError: e.pointer } }, e.message)));
    });
    if (regions.length > LIST) items.push(h('li', { class: 'lm-muted lm-small' }, `… and ${regions.length - shown.length} more: click them on the image, or Tab through them`));
    this.regionList.replaceChildren(...items);
    const imgErrs = errorsAt(doc, this.cur).filter((e) => !/\/regions\/\d+/.test(e.pointer));
    this.imageErrors.replaceChildren(...imgErrs.map((e) => h('p', { class: 'lm-error', dataset: { lmError: e.pointer } }, e.message)));
  }

  // ---------- view: zoom and pan ----------

  applyView() {
    const { s: sc, tx, ty } = this.view;
    this.surface.style.transform = `translate(${tx}px, ${ty}px) scale(${sc})`;
    this.zoomReadout.textContent = `${Math.round(sc * 100)}%`;
    this.renderSelection();
    this.renderDraft();
  }

  fit() {
    const vw = this.viewport.clientWidth; const vh = this.viewport.clientHeight;
    if (!vw || !vh) return;
    const sc = Math.min((vw - 24) / this.W, (vh - 24) / this.H);
    this.view = { s: sc, tx: (vw - this.W * sc) / 2, ty: (vh - this.H * sc) / 2 };
    this.fitScale = sc;
    this.fitted = true;
    this.applyView();
  }

  zoomAt(factor, cx, cy) {
    const v = this.view;
    const min = (this.fitScale || v.s) / 4;
    const ns = Math.min(64, Math.max(min, v.s * factor));
    const f = ns / v.s;
    this.view = { s: ns, tx: cx - (cx - v.tx) * f, ty: cy - (cy - v.ty) * f };
    this.fitted = false;
    this.applyView();
  }

  zoomBy(factor) { this.zoomAt(factor, this.viewport.clientWidth / 2, this.viewport.clientHeight / 2); }

  wheel(e) {
    e.preventDefault();
    const r = this.viewport.getBoundingClientRect();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    this.zoomAt(Math.exp(-e.deltaY * unit * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }

  toImage(e) {
    const r = this.surface.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.W) / r.width, y: ((e.clientY - r.top) * this.H) / r.height };
  }

  // ---------- hit tests ----------

  get tol() { return 6 / this.view.s; }

  handlePoints(b) {
    const x2 = b.x + b.width; const y2 = b.y + b.height; const mx = b.x + b.width / 2; const my = b.y + b.height / 2;
    return { nw: [b.x, b.y], n: [mx, b.y], ne: [x2, b.y], e: [x2, my], se: [x2, y2], s: [mx, y2], sw: [b.x, y2], w: [b.x, my] };
  }

  handleAt(p) {
    const k = this.selected;
    if (k == null || this.locked) return null;
    const r = this.regions[k];
    if (!r || !r.box) return null;
    const t = this.tol;
    for (const [name, [hx, hy]] of Object.entries(this.handlePoints(r.box))) {
      if (Math.abs(p.x - hx) <= t && Math.abs(p.y - hy) <= t) return name;
    }
    const b = r.box; const inY = p.y >= b.y - t && p.y <= b.y + b.height + t; const inX = p.x >= b.x - t && p.x <= b.x + b.width + t;
    if (inY && Math.abs(p.x - b.x) <= t) return 'w';
    if (inY && Math.abs(p.x - (b.x + b.width)) <= t) return 'e';
    if (inX && Math.abs(p.y - b.y) <= t) return 'n';
    if (inX && Math.abs(p.y - (b.y + b.height)) <= t) return 's';
    return null;
  }

  vertexAt(p, k = this.selected) {
    const r = k == null ? null : this.regions[k];
    if (!r || !r.polygon || this.locked) return null;
    const t = this.tol;
    let best = null; let bd = Infinity;
    r.polygon.forEach(([x, y], i) => { const d = Math.hypot(p.x - x, p.y - y); if (d <= t && d < bd) { best = i; bd = d; } });
    return best;
  }

  edgeAt(p, k = this.selected) {
    const r = k == null ? null : this.regions[k];
    if (!r || !r.polygon || this.locked) return null;
    const pts = r.polygon; const t = this.tol;
    let best = null; let bd = Infinity;
    for (let i = 0; i < pts.length; i++) {
      const d = g.distToSegment(p.x, p.y, pts[i], pts[(i + 1) % pts.length]);
      if (d <= t && d < bd) { best = i; bd = d; }
    }
    return best;
  }

  regionAt(p) {
    if (this.locked) return null;
    let best = null; let area = Infinity;
    this.regions.forEach((r, k) => {
      let inside = false; let a = 0;
      if (r.box) { inside = g.boxContains(r.box, p.x, p.y); a = r.box.width * r.box.height; } else if (r.polygon) { inside = g.polygonContains(r.polygon, p.x, p.y); a = Math.abs(g.polygonArea(r.polygon)); }
      if (inside && a <= area) { best = k; area = a; }
    });
    return best;
  }

  // ---------- pointer ----------

  pointerDown(e) {
    this.flushMove();
    this.viewport.focus({ preventScroll: true });
    const p = this.toImage(e);
    if (e.button === 1 || (e.button === 0 && this.spaceDown)) {
      e.preventDefault();
      this.gesture = { type: 'pan', cx: e.clientX, cy: e.clientY, tx: this.view.tx, ty: this.view.ty };
      this.capture(e);
      this.viewport.classList.add('lm-panning');
      return;
    }
    if (e.button !== 0) return;
    e.preventDefault();
    this.capture(e);
    const base = { start: p, cx: e.clientX, cy: e.clientY, moved: false };
    const tool = this.tool;
    if (tool === 'polygon') { this.gesture = { ...base, type: 'click-point' }; return; }
    if (tool === 'template') { this.gesture = { ...base, type: 'click-template' }; return; }
    const sel = this.selected != null ? this.regions[this.selected] : null;
    if (sel && sel.box && !this.locked) {
      const handle = this.handleAt(p);
      if (handle) { this.gesture = { ...base, type: 'resize', handle, k: this.selected, orig: { ...sel.box } }; return; }
    }
    if (sel && sel.polygon && !this.locked && (tool === 'points' || tool === 'adjust')) {
      const v = this.vertexAt(p);
      if (v != null) { this.gesture = { ...base, type: 'vertex', k: this.selected, v, orig: sel.polygon.map((q) => [...q]) }; return; }
      if (tool === 'points') {
        const edge = this.edgeAt(p);
        if (edge != null) { this.gesture = { ...base, type: 'insert', k: this.selected, edge, orig: sel.polygon.map((q) => [...q]) }; return; }
      }
    }
    if (tool === 'draw') { this.gesture = { ...base, type: 'draw' }; return; }
    // adjust and points: pick a region, drag inside it to move it
    const k = this.regionAt(p);
    if (k == null) { this.gesture = { ...base, type: 'none' }; this.select(null); return; }
    this.select(k);
    const r = this.regions[k];
    this.gesture = { ...base, type: tool === 'points' ? 'none' : 'move', k, orig: r.box ? { ...r.box } : r.polygon.map((q) => [...q]) };
  }

  capture(e) {
    try { this.viewport.setPointerCapture(e.pointerId); } catch { /* a synthetic pointer: no capture needed */ }
  }

  // Pointer moves are applied once a frame: with a thousand regions drawn, a burst of
  // events must not queue up work the screen cannot show anyway.
  pointerMove(e) {
    this.pendingMove = e;
    if (this.moveFrame) return;
    this.moveFrame = requestAnimationFrame(() => {
      this.moveFrame = null;
      const last = this.pendingMove;
      this.pendingMove = null;
      if (last) this.applyMove(last);
    });
  }

  flushMove() {
    if (this.moveFrame) { cancelAnimationFrame(this.moveFrame); this.moveFrame = null; }
    const last = this.pendingMove;
    this.pendingMove = null;
    if (last) this.applyMove(last);
  }

  applyMove(e) {
    const p = this.toImage(e);
    const inside = p.x >= 0 && p.y >= 0 && p.x <= this.W && p.y <= this.H;
    this.pointer = inside ? p : null;
    this.readout.textContent = inside ? `${Math.round(p.x)}, ${Math.round(p.y)}` : '';
    const gs = this.gesture;
    if (!gs) {
      if (this.draft) this.renderDraft();
      this.hover(p);
      return;
    }
    if (gs.type === 'pan') {
      this.view.tx = gs.tx + (e.clientX - gs.cx); this.view.ty = gs.ty + (e.clientY - gs.cy);
      this.fitted = false;
      this.applyView();
      return;
    }
    if (Math.hypot(e.clientX - gs.cx, e.clientY - gs.cy) >= 3) gs.moved = true;
    if (!gs.moved) return;
    const dx = p.x - gs.start.x; const dy = p.y - gs.start.y;
    if (gs.type === 'draw') {
      gs.box = g.boxFromCorners(gs.start.x, gs.start.y, p.x, p.y, this.W, this.H);
      this.renderDraft();
    } else if (gs.type === 'move') {
      const r = this.regions[gs.k];
      this.live(gs.k, r.box ? { ...r, box: g.moveBox(gs.orig, dx, dy, this.W, this.H) } : { ...r, polygon: g.movePolygon(gs.orig, dx, dy, this.W, this.H) });
    } else if (gs.type === 'resize') {
      this.live(gs.k, { ...this.regions[gs.k], box: this.resized(gs.orig, gs.handle, p) });
    } else if (gs.type === 'vertex') {
      const pts = gs.orig.map((q) => [...q]);
      pts[gs.v] = g.clampPoint(p.x, p.y, this.W, this.H);
      this.live(gs.k, { ...this.regions[gs.k], polygon: pts });
    } else if (gs.type === 'insert') {
      const pts = gs.orig.map((q) => [...q]);
      pts.splice(gs.edge + 1, 0, g.clampPoint(p.x, p.y, this.W, this.H));
      this.live(gs.k, { ...this.regions[gs.k], polygon: pts });
    }
  }

  resized(b, handle, p) {
    let x1 = b.x; let y1 = b.y; let x2 = b.x + b.width; let y2 = b.y + b.height;
    if (handle.includes('w')) x1 = p.x;
    if (handle.includes('e')) x2 = p.x;
    if (handle.includes('n')) y1 = p.y;
    if (handle.includes('s')) y2 = p.y;
    return g.boxFromCorners(x1, y1, x2, y2, this.W, this.H) || b;
  }

  // Show a region's new geometry while dragging, without touching the others.
  live(k, region) {
    this.liveRegion = region;
    if (!this.liveShape) {
      const el = this.shapes[k];
      this.liveShape = el.cloneNode(false);
      this.liveShape.removeAttribute('data-lm-region');
      this.layerLive.replaceChildren(this.liveShape);
      el.style.visibility = 'hidden';
    }
    const [, attrs] = this.shapeAttrs(region);
    for (const [a, v] of Object.entries(attrs)) this.liveShape.setAttribute(a, v);
    this.renderSelection();
  }

  endLive() {
    this.liveRegion = null;
    if (this.liveShape) { this.liveShape = null; this.layerLive.replaceChildren(); }
  }

  pointerUp(e) {
    this.flushMove();
    const gs = this.gesture;
    this.gesture = null;
    const live = this.liveRegion;
    this.endLive();
    if (!gs) return;
    if (this.viewport.hasPointerCapture?.(e.pointerId)) this.viewport.releasePointerCapture(e.pointerId);
    if (gs.type === 'pan') { this.viewport.classList.toggle('lm-panning', this.spaceDown); return; }
    const p = this.toImage(e);
    switch (gs.type) {
      case 'click-point': this.clickPoint(p); break;
      case 'click-template': this.placeTemplate(p); break;
      case 'draw':
        if (gs.moved && gs.box) this.addRegion({ tag: this.tag, box: gs.box });
        else { const k = this.regionAt(p); this.select(k); }
        this.renderDraft();
        break;
      case 'move': case 'resize': case 'vertex': case 'insert':
        if (gs.type === 'vertex' && !gs.moved && this.tool === 'points') { this.removePoint(gs.k, gs.v); break; }
        if (gs.type === 'insert' && !gs.moved) {
          const pts = gs.orig.map((q) => [...q]);
          pts.splice(gs.edge + 1, 0, g.clampPoint(p.x, p.y, this.W, this.H));
          this.setGeometry(gs.k, { polygon: pts });
          break;
        }
        if (gs.moved && live) this.setGeometry(gs.k, live.box ? { box: live.box } : { polygon: live.polygon });
        else this.renderRegions();
        break;
      default: break;
    }
  }

  cancelGesture() {
    this.gesture = null;
    this.endLive();
    this.renderRegions();
  }

  hover(p) {
    let cursor = '';
    if (this.spaceDown) cursor = 'grab';
    else if (this.tool !== 'polygon' && this.tool !== 'template') {
      const handle = this.handleAt(p);
      if (handle) cursor = CURSORS[handle];
      else if (this.tool === 'points' && (this.vertexAt(p) != null)) cursor = 'pointer';
      else if (this.tool === 'points' && this.edgeAt(p) != null) cursor = 'copy';
      else if (this.tool === 'adjust' && this.regionAt(p) != null) cursor = 'move';
    }
    this.viewport.style.cursor = cursor;
  }

  // ---------- edits ----------

  select(k) {
    this.selected = k;
    if (k != null) {
      const r = this.regions[k];
      const idx = this.doc.tags.indexOf(r?.tag);
      if (idx >= 0) this.activeTag = idx;
    }
    this.shapes?.forEach((el, i) => el.classList.toggle('lm-selected', i === k));
    this.renderSelection();
    this.renderSide();
    this.renderTools();
  }

  addRegion(region) {
    const i = this.cur;
    const ok = this.store.edit((d) => { d.images[i].regions = [...(d.images[i].regions || []), region]; });
    if (ok) {
      if (region.box) this.lastBoxSize = { width: region.box.width, height: region.box.height };
      this.selected = this.regions.length - 1;
      this.render();
    }
  }

  setGeometry(k, geometry) {
    const i = this.cur;
    if (geometry.polygon) {
      const problem = g.polygonProblem(geometry.polygon, this.W, this.H);
      if (problem) { toast(`Not changed: ${problem}`, 'error'); this.renderRegions(); return false; }
    }
    if (geometry.box && !geometry.box) return false;
    const ok = this.store.edit((d) => {
      const r = d.images[i].regions[k];
      if (geometry.box) r.box = geometry.box;
      if (geometry.polygon) r.polygon = geometry.polygon;
    }, { coalesce: geometry.coalesce ? `${geometry.coalesce}:${i}:${k}` : null });
    if (!ok) this.renderRegions();
    return ok;
  }

  removePoint(k, v) {
    const pts = this.regions[k].polygon.filter((_, i) => i !== v);
    if (pts.length < 3) { toast('A polygon needs at least 3 points: delete the region instead (Delete).', 'error'); return; }
    this.setGeometry(k, { polygon: pts });
  }

  deleteRegion(k) {
    const i = this.cur;
    if (this.locked) { toast('Regions are locked (L to unlock).'); return; }
    this.store.edit((d) => { d.images[i].regions = d.images[i].regions.filter((_, j) => j !== k); });
    this.selected = null;
    this.render();
  }

  deleteSelected() { if (this.selected != null) this.deleteRegion(this.selected); }

  deleteAll() {
    const i = this.cur;
    this.cancelDraft();
    this.store.edit((d) => { if (Array.isArray(d.images[i].regions) && d.images[i].regions.length === 0) return false; d.images[i].regions = []; });
    this.selected = null;
    this.render();
  }

  nothingToMark() {
    const i = this.cur;
    if (this.regions.length) { toast('This image has regions: use Delete all to remove them first.'); return; }
    this.store.edit((d) => { if (Array.isArray(d.images[i].regions)) return false; d.images[i].regions = []; });
  }

  retag(k, tag) {
    const i = this.cur;
    this.store.edit((d) => { const r = d.images[i].regions[k]; if (r.tag === tag) return false; r.tag = tag; });
  }

  nudge(dx, dy) {
    const k = this.selected;
    if (k == null || this.locked) return;
    const r = this.regions[k];
    if (r.box) this.setGeometry(k, { box: g.moveBox(r.box, dx, dy, this.W, this.H), coalesce: 'nudge' });
    else this.setGeometry(k, { polygon: g.movePolygon(r.polygon, dx, dy, this.W, this.H), coalesce: 'nudge' });
  }

  templateSize() {
    if (this.lastBoxSize) return this.lastBoxSize;
    for (const im of [...this.doc.images].reverse()) {
      for (const r of [...(im.regions || [])].reverse()) if (r.box && r.box.width > 0 && r.box.height > 0) return { width: r.box.width, height: r.box.height };
    }
    return { width: 50, height: 50 };
  }

  placeTemplate(p) {
    if (this.kind !== 'bbox') return;
    const size = this.templateSize();
    const w = Math.min(size.width, this.W); const hh = Math.min(size.height, this.H);
    const box = g.moveBox({ x: 0, y: 0, width: w, height: hh }, p.x - w / 2, p.y - hh / 2, this.W, this.H);
    if (box) this.addRegion({ tag: this.tag, box });
  }

  clickPoint(p) {
    const pt = g.clampPoint(p.x, p.y, this.W, this.H);
    const t = this.tol;
    if (!this.draft) this.draft = [];
    const d = this.draft;
    if (d.length >= 3 && Math.hypot(pt[0] - d[0][0], pt[1] - d[0][1]) <= t) { this.finishPolygon(); return; }
    if (d.length && Math.hypot(pt[0] - d[d.length - 1][0], pt[1] - d[d.length - 1][1]) <= t) return; // second click of a double-click
    d.push(pt);
    this.select(null);
    this.renderDraft();
  }

  finishPolygon() {
    const pts = this.draft || [];
    if (!pts.length) return;
    const problem = g.polygonProblem(pts, this.W, this.H);
    if (problem) { toast(`Polygon not added: ${problem}. Backspace removes the last point, Esc starts over.`, 'error'); return; }
    this.draft = null;
    this.addRegion({ tag: this.tag, polygon: pts });
    this.renderDraft();
  }

  cancelDraft() { this.draft = null; this.renderDraft?.(); }

  acceptPrelabels() {
    const i = this.cur;
    const add = this.pendingPrelabels().filter((p) => this.doc.tags.includes(p.tag)).map((p) => ({ ...(p.box ? { tag: p.tag, box: g.fitBox(p.box, this.W, this.H) } : { tag: p.tag, polygon: p.polygon }), prelabel: { confidence: p.confidence, model: p.model } }))
      .filter((r) => (r.box ? true : !g.polygonProblem(r.polygon, this.W, this.H)) && (r.box !== null));
    if (!add.length) { toast('No suggestions to accept on this image'); return; }
    this.store.edit((d) => { d.images[i].regions = [...(d.images[i].regions || []), ...add]; });
    toast(`Accepted ${add.length} suggested region${add.length > 1 ? 's' : ''}`);
  }

  setComment(i, value) {
    this.store.edit((d) => {
      const target = i == null ? d : d.images[i];
      if (value.trim() === '') { if (!('comment' in target)) return false; delete target.comment; } else target.comment = value;
    }, { coalesce: `comment:${i}` });
  }

  setTool(tool) {
    if (tool !== 'polygon') this.cancelDraft();
    this.tool = tool;
    this.renderTools();
  }

  toggleLock() {
    this.locked = !this.locked;
    if (this.locked) this.selected = null;
    toast(this.locked ? 'Regions locked: new ones can be drawn over them' : 'Regions unlocked');
    this.render();
  }

  applyTag(k) {
    if (this.doc.tags[k] == null) return;
    this.activeTag = k;
    if (this.selected != null && !this.locked) this.retag(this.selected, this.doc.tags[k]);
    this.renderTools();
  }

  focusImage(i) { this.show(i); }

  onKey(e) {
    if (e.digit != null) { this.applyTag(e.digit - 1); return true; }
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const step = e.shiftKey ? 10 : 1;
    switch (key) {
      case ' ': this.spaceDown = true; this.viewport.classList.add('lm-panning'); return true;
      case 'r': if (this.kind === 'bbox') { this.setTool('draw'); return true; } return false;
      case 'm': this.setTool('adjust'); return true;
      case 't':
        if (this.kind !== 'bbox') return false;
        this.setTool('template');
        if (this.pointer) this.placeTemplate(this.pointer); else toast('Click where the template box goes');
        return true;
      case 'p': if (this.kind === 'polygon') { this.setTool('polygon'); return true; } return false;
      case 'u': if (this.kind === 'polygon') { this.setTool('points'); return true; } return false;
      case 'l': this.toggleLock(); return true;
      case 'n': this.nothingToMark(); return true;
      case 'a': this.acceptPrelabels(); return true;
      case 'Enter': if (this.draft) { this.finishPolygon(); return true; } return false;
      case 'Escape':
        if (this.gesture) { this.cancelGesture(); return true; }
        if (this.draft) { this.cancelDraft(); return true; }
        this.select(null); return true;
      case 'Delete': case 'Backspace':
        if (this.draft && this.draft.length) { this.draft.pop(); if (!this.draft.length) this.draft = null; this.renderDraft(); return true; }
        this.deleteSelected(); return true;
      case 'ArrowLeft': this.nudge(-step, 0); return true;
      case 'ArrowRight': this.nudge(step, 0); return true;
      case 'ArrowUp': this.nudge(0, -step); return true;
      case 'ArrowDown': this.nudge(0, step); return true;
      case 'Tab': {
        if (this.locked || !this.regions.length) return true;
        const n = this.regions.length;
        const cur = this.selected == null ? (e.shiftKey ? 0 : -1) : this.selected;
        this.select((cur + (e.shiftKey ? -1 : 1) + n) % n);
        return true;
      }
      case 'PageDown': case ']': this.show(this.cur + 1); return true;
      case 'PageUp': case '[': this.show(this.cur - 1); return true;
      case '0': this.fit(); return true;
      case '+': case '=': this.zoomBy(1.25); return true;
      case '-': this.zoomBy(1 / 1.25); return true;
      default: return false;
    }
  }

  destroy() {
    this.resizeObserver.disconnect();
    window.removeEventListener('keyup', this.onKeyUp);
  }
}
