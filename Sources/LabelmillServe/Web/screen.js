// The labeling screen of one project: the work queue (next, submit, the next held page),
// the header, the tag bar, server events, and the view for the page's task.

import { api } from './api.js';
import { h, toast, download, tagColour } from './dom.js';
import { PageStore, labeledCount, pageErrors } from './page.js';
import { GridView } from './grid.js';
import { RegionView } from './regions.js';
import { isTyping, digitOf, helpDialog } from './keys.js';

export class LabelingScreen {
  constructor(root, project, app) {
    this.root = root;
    this.project = project;
    this.app = app;
    this.store = null;
    this.view = null;
    this.submitted = new Set();   // pages handed in from this screen, until the daemon settles them
    this.state = 'loading';
    this.el = h('div', { class: 'lm-screen', dataset: { lmScreen: project } });
    root.replaceChildren(this.el);
    this.onKey = (e) => this.key(e);
    document.addEventListener('keydown', this.onKey);
    this.onBeforeUnload = (e) => { if (this.store && this.store.pending) { e.preventDefault(); e.returnValue = ''; } };
    window.addEventListener('beforeunload', this.onBeforeUnload);
    this.message('Loading…');
    this.start();
  }

  async start() {
    try {
      this.listen();
      // `next` signs in and fills the queue; a page already held can open before it answers.
      const next = api.next(this.project);
      next.catch(() => {});
      let held = [];
      try { held = await api.pages(this.project); } catch { held = []; }
      for (const id of held) {
        if (await this.open(id)) {
          next.catch((e) => { if (e.status !== 401) toast(`Could not take more pages: ${e.message}`, 'error'); });
          return;
        }
      }
      await this.nextPage({ pending: next });
    } catch (e) {
      if (e.status === 401) { this.app.signedOut(); return; }
      this.message(`Could not start: ${e.message}`, { back: true });
    }
  }

  listen() {
    this.events = api.events(this.project);
    const on = (name, fn) => this.events.addEventListener(name, (ev) => {
      let data = {};
      try { data = JSON.parse(ev.data || '{}'); } catch { /* a keepalive or a malformed line */ }
      fn(data);
    });
    on('page-changed', (d) => { if (this.store && d.page === this.store.pageId) this.store.changedOnDisk(d.etag); });
    on('page-accepted', (d) => this.settled(d.page, 'accepted'));
    on('page-rejected', (d) => this.settled(d.page, 'rejected'));
    on('page-removed', (d) => this.removed(d.page));
    on('page-added', (d) => {
      // The stream may start watching a page after the screen read it: look once more.
      if (this.store && d.page === this.store.pageId && !this.store.pending) this.store.changedOnDisk(null).catch(() => {});
      this.pageMayHaveArrived();
    });
    this.events.addEventListener('open', () => {
      // What changed before the stream was (re)opened has no event: look once.
      if (this.store && !this.store.pending) this.store.changedOnDisk(null).catch(() => {});
      this.pageMayHaveArrived();
    });
  }

  // The daemon fills a labeler's folder too, so a page can arrive while `next`
  // is being answered, after its listing and before the stream watched the
  // folder: such a page has no event. So the stream's opening, like a page
  // added, means "look again": at once when the screen has no page, or once
  // the look in progress ends.
  pageMayHaveArrived() {
    if (this.state === 'loading' || this.looking) this.lookAgain = true;
    else if (this.state === 'waiting' || this.state === 'no-more') this.nextPage();
  }

  // ---------- the queue ----------

  async nextPage({ after, pending } = {}) {
    this.looking = true;
    try {
      for (;;) {
        const found = await this.takeNext({ after, pending });
        if (found !== 'none' && found !== 'waiting') return;
        if (this.lookAgain) { this.lookAgain = false; pending = null; continue; }
        if (found === 'none') this.noMorePages(); else this.waiting();
        return;
      }
    } finally {
      this.looking = false;
    }
  }

  // Asks for pages and opens the first one not handed in. 'opened', 'failed'
  // (a message is shown), 'none' (nothing held) or 'waiting' (only pages
  // handed in, being checked).
  async takeNext({ after, pending }) {
    let held;
    try {
      held = await (pending || api.next(this.project));
    } catch (e) {
      if (e.status === 401) { this.app.signedOut(); return 'failed'; }
      this.events?.close();
      this.message(e.status === 404 ? `There is no project “${this.project}”.` : `No page to label: ${e.message}`, { back: true });
      return 'failed';
    }
    const pages = (held.pages || []).filter((p) => !this.submitted.has(p) && p !== after);
    for (const id of pages) {
      if (await this.open(id)) return 'opened';
    }
    return (held.pages || []).length === 0 ? 'none' : 'waiting';
  }

  async open(id) {
    let got;
    try { got = await api.page(this.project, id); } catch (e) {
      if (e.status === 404) return false;
      throw e;
    }
    let doc;
    try { doc = JSON.parse(got.text); } catch {
      this.message(`Page ${id} is not valid JSON on disk (see ERRORS.txt beside it). Fix it in an editor; the screen reloads it when it changes.`);
      this.brokenPage = id;
      return true;
    }
    if (doc.status === 'submitted') { this.submitted.add(id); return false; }
    this.close();
    this.store = new PageStore(this.project, id, got.text, got.etag);
    this.state = 'page';
    this.lookAgain = false;
    this.layout();
    return true;
  }

  close() {
    this.view?.destroy();
    this.view = null;
    this.store?.close();
    this.store = null;
  }

  async settled(page, how) {
    const mine = this.store && this.store.pageId === page;
    if (how === 'rejected') {
      this.submitted.delete(page);
      if (mine && this.store.pending) return; // its reload shows the errors once our save lands
      if (mine || this.state === 'waiting' || this.state === 'no-more') {
        toast(`Page ${page} needs fixing: see the errors shown at its images`, 'error');
        await this.open(page);
        this.showBanner();
      }
      return;
    }
    this.submitted.delete(page);
    if (how === 'accepted') toast(`Page ${page} was accepted`);
    if (mine || this.state === 'waiting') {
      if (mine) this.close();
      await this.nextPage();
    }
  }

  async removed(page) {
    this.submitted.delete(page);
    if (!(this.store && this.store.pageId === page)) return;
    const pending = this.store.pending ? this.store.text : null;
    this.close();
    this.state = 'loading';
    if (pending) {
      this.lostCopy = { page, text: pending };
    }
    toast(`Page ${page} was taken back (its lease ran out or it was returned)`, 'error');
    await this.nextPage();
  }

  async submit() {
    const store = this.store;
    if (!store || !store.complete || store.status === 'conflict') return;
    this.submitBtn.disabled = true;
    if (store.pending) {
      store.setStatus('saving', 'Saving before submit…');
      while (store.pending && !store.closed && store.status !== 'error' && store.status !== 'conflict') await new Promise((r) => setTimeout(r, 20));
      if (store.status === 'error' || store.status === 'conflict') { this.updateHeader(); return; }
    }
    try {
      await api.submit(this.project, store.pageId, store.etag);
    } catch (e) {
      if (e.status === 412) { store.conflicted(store.text); return; }
      const errs = e.body.errors || [];
      this.showSubmitErrors(errs, e.message);
      this.updateHeader();
      return;
    }
    const id = store.pageId;
    this.submitted.add(id);
    this.close();
    toast(`Page ${id} submitted`);
    this.state = 'loading';
    await this.nextPage({ after: id });
  }

  // ---------- what is shown ----------

  message(text, { back = false } = {}) {
    this.el.replaceChildren(h('div', { class: 'lm-empty' }, h('p', {}, text), back ? h('a', { class: 'lm-btn', href: '/', 'data-lm-link': '' }, 'Back to the projects') : null));
  }

  noMorePages() {
    this.close();
    this.state = 'no-more';
    this.el.replaceChildren(h('div', { class: 'lm-empty', dataset: { lmMessage: 'no-more-pages' } },
      h('h2', {}, 'No more pages'),
      h('p', {}, `Every page of ${this.project} is labeled or held by someone else. New pages appear here as soon as the daemon makes them.`),
      this.lostNote(),
      h('a', { class: 'lm-btn lm-primary', href: '/', 'data-lm-link': '' }, 'Back to the projects')));
    this.ready();
  }

  waiting() {
    this.close();
    this.state = 'waiting';
    this.el.replaceChildren(h('div', { class: 'lm-empty', dataset: { lmMessage: 'waiting' } },
      h('h2', {}, 'Submitted'),
      h('p', {}, 'The daemon is checking your page. The next page opens as soon as it is accepted.'),
      this.lostNote()));
  }

  lostNote() {
    if (!this.lostCopy) return null;
    const { page, text } = this.lostCopy;
    return h('p', { class: 'lm-warn' }, `Your last change to ${page} could not be saved before it was taken back. `,
      h('button', { class: 'lm-btn', onclick: () => download(`${page}.mine.json`, text) }, 'Download my version'));
  }

  layout() {
    const store = this.store;
    const doc = store.doc;
    this.pageLabel = h('span', { class: 'lm-page-id', dataset: { lmPage: store.pageId } }, store.pageId);
    this.progressText = h('span', { class: 'lm-progress-text' });
    this.progressBar = h('span', { class: 'lm-bar-fill' });
    this.statusEl = h('span', { class: 'lm-status', dataset: { lmStatus: 'saved' }, role: 'status', 'aria-live': 'polite' });
    this.undoBtn = h('button', { class: 'lm-btn', dataset: { lmAction: 'undo' }, 'aria-label': 'Undo (Ctrl+Z)', title: 'Undo (Ctrl+Z)', onclick: () => this.store?.undo() }, '↶ Undo');
    this.redoBtn = h('button', { class: 'lm-btn', dataset: { lmAction: 'redo' }, 'aria-label': 'Redo (Ctrl+Shift+Z)', title: 'Redo (Ctrl+Shift+Z)', onclick: () => this.store?.redo() }, '↷ Redo');
    this.submitBtn = h('button', { class: 'lm-btn lm-primary', dataset: { lmAction: 'submit' }, 'aria-label': 'Submit this page', onclick: () => this.submit() }, 'Submit');
    const bar = h('div', { class: 'lm-pagebar' },
      h('div', { class: 'lm-pagebar-title' },
        h('span', { class: 'lm-project-name' }, this.project),
        h('span', { class: 'lm-task' }, doc.task),
        this.pageLabel),
      h('div', { class: 'lm-progress', 'aria-label': 'Images labeled' }, h('span', { class: 'lm-bar' }, this.progressBar), this.progressText),
      this.statusEl,
      h('span', { class: 'lm-spacer' }),
      this.undoBtn, this.redoBtn,
      h('button', { class: 'lm-btn', dataset: { lmAction: 'instructions' }, 'aria-label': 'View detailed instructions', onclick: () => this.instructions() }, 'View detailed instructions'),
      h('button', { class: 'lm-btn lm-icon', dataset: { lmAction: 'keys' }, 'aria-label': 'Keyboard shortcuts (?)', title: 'Keyboard shortcuts (?)', onclick: () => this.help() }, '?'),
      this.submitBtn);
    this.banner = h('div', { class: 'lm-banner-area' });
    this.tagbar = h('div', { class: 'lm-tagbar', role: 'toolbar', 'aria-label': 'Tags' },
      doc.tags.map((tag, k) => h('button', {
        class: 'lm-tag', style: `--c: ${tagColour(k)}`, dataset: { lmTag: tag }, 'aria-label': k < 9 ? `Tag ${tag} (key ${k + 1})` : `Tag ${tag}`,
        onclick: () => this.view?.applyTag(k),
      }, k < 9 ? h('kbd', {}, String(k + 1)) : null, h('span', {}, tag))));
    const ctx = {
      imageURL: (n) => api.imageURL(this.project, store.pageId, n),
      setActiveTag: (k) => this.tagbar.querySelectorAll('.lm-tag').forEach((b, i) => b.setAttribute('aria-pressed', String(i === k))),
    };
    const View = doc.task === 'bbox' || doc.task === 'polygon' ? RegionView : GridView;
    this.view = new View(store, ctx);
    this.work = h('div', { class: 'lm-work' }, this.view.el);
    this.el.replaceChildren(bar, this.banner, this.tagbar, this.work);
    store.addEventListener('change', (e) => { this.view?.render(); this.updateHeader(); if (e.detail.reloaded) this.showBanner(); });
    store.addEventListener('status', () => this.updateHeader());
    store.addEventListener('conflict', () => this.showBanner());
    store.addEventListener('reloaded', () => toast('The page changed on disk: the screen shows the new version'));
    store.addEventListener('lost', (e) => { this.lostCopy = { page: store.pageId, text: e.detail.mine }; this.showBanner(); });
    this.view.render();
    this.updateHeader();
    this.showBanner();
    this.ready();
  }

  // Marks the screen drawn and interactive (tests and the benchmark wait on it).
  async ready() {
    const el = this.el;
    const view = this.view;
    if (view && view.whenDrawn) await view.whenDrawn();
    if (this.view !== view) return;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      el.dataset.lmReady = 'true';
      if (!performance.getEntriesByName('lm-ready').length) performance.mark('lm-ready');
    }));
  }

  updateHeader() {
    const store = this.store;
    if (!store) return;
    const doc = store.doc;
    const done = labeledCount(doc); const n = doc.images.length;
    this.progressText.textContent = `${done} of ${n} labeled`;
    this.progressBar.style.width = `${(100 * done) / n}%`;
    this.statusEl.dataset.lmStatus = store.status;
    this.statusEl.textContent = store.message || { saved: 'Saved', saving: 'Saving…', conflict: 'Conflict', error: 'Not saved' }[store.status];
    this.statusEl.title = store.message;
    const canSubmit = store.complete && store.editable && store.status !== 'conflict';
    this.submitBtn.disabled = !canSubmit;
    this.submitBtn.title = canSubmit ? 'Submit this page (Ctrl+Enter)' : `Label every image first (${n - done} to go)`;
    this.undoBtn.disabled = !store.history.canUndo;
    this.redoBtn.disabled = !store.history.canRedo;
    if (store.status === 'error' && !this.retryShown) this.showBanner();
  }

  showBanner() {
    const store = this.store;
    if (!store || !this.banner) return;
    const parts = [];
    if (store.conflict) {
      const c = store.conflict;
      parts.push(h('div', { class: 'lm-banner lm-banner-conflict', dataset: { lmConflict: '' }, role: 'alert' },
        h('strong', {}, 'This page changed on disk while you were editing it. '),
        h('span', {}, 'The screen now shows the version on disk. Your change was not saved; nothing is lost:'),
        h('span', { class: 'lm-banner-actions' },
          h('button', { class: 'lm-btn lm-primary', dataset: { lmAction: 'reapply' }, onclick: () => { store.reapply(); this.showBanner(); } }, 'Apply my change again'),
          h('button', { class: 'lm-btn', dataset: { lmAction: 'download-mine' }, onclick: () => download(`${store.pageId}.mine.json`, c.mine) }, 'Download my version'),
          h('button', { class: 'lm-btn', dataset: { lmAction: 'keep-disk' }, onclick: () => { store.keepDisk(); this.showBanner(); } }, 'Keep the disk version'))));
    }
    if (store.status === 'error') {
      parts.push(h('div', { class: 'lm-banner lm-banner-error', role: 'alert' }, h('span', {}, store.message),
        h('button', { class: 'lm-btn', onclick: () => { store.retry(); this.showBanner(); } }, 'Try again')));
    }
    if (this.lostCopy && this.lostCopy.page === store.pageId) {
      parts.push(h('p', { class: 'lm-banner lm-banner-error' }, 'This page is no longer yours: your last change could not be saved. ',
        h('button', { class: 'lm-btn', onclick: () => download(`${store.pageId}.mine.json`, this.lostCopy.text) }, 'Download my version')));
    }
    if (store.doc.status === 'rejected' || (store.doc.errors || []).length) {
      const n = (store.doc.errors || []).length;
      parts.push(h('div', { class: 'lm-banner lm-banner-rejected', dataset: { lmRejected: '' } },
        h('strong', {}, 'This page was returned. '),
        `Fix the ${n === 1 ? 'problem' : `${n} problems`} shown at the images, then submit again.`,
        h('ul', {}, pageErrors(store.doc).map((e) => h('li', { class: 'lm-error', dataset: { lmError: e.pointer } }, e.message)),
          (store.doc.errors || []).filter((e) => /^\/images\/\d+/.test(e.pointer)).slice(0, 8).map((e) => {
            const i = Number(/^\/images\/(\d+)/.exec(e.pointer)[1]);
            return h('li', {}, h('button', { class: 'lm-link', onclick: () => this.view?.focusImage(i) }, `Image ${i + 1}`), `: ${e.message}`);
          }))));
    }
    if (this.submitErrors) parts.push(this.submitErrors);
    this.banner.replaceChildren(...parts);
  }

  showSubmitErrors(errs, message) {
    this.submitErrors = h('div', { class: 'lm-banner lm-banner-error', role: 'alert' }, h('strong', {}, 'Not submitted: '), message,
      h('ul', {}, errs.map((e) => h('li', { class: 'lm-error' }, `${e.pointer}: ${e.message}`))));
    this.showBanner();
    setTimeout(() => { this.submitErrors = null; this.showBanner(); }, 15000);
  }

  async instructions() {
    let html = null;
    try { html = (await api.instructions(this.project)).html; } catch (e) { toast(`No instructions: ${e.message}`, 'error'); return; }
    const dialog = h('dialog', { class: 'lm-dialog', 'aria-label': 'Instructions' });
    const body = h('div', { class: 'lm-markdown' });
    if (html) body.innerHTML = html; else body.textContent = 'This project has no detailed instructions.';
    dialog.append(h('h2', {}, `Instructions: ${this.project}`), body,
      h('form', { method: 'dialog' }, h('button', { class: 'lm-btn lm-primary', 'aria-label': 'Close the instructions' }, 'Close')));
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }

  help() {
    const open = document.querySelector('dialog[data-lm-help]');
    if (open) { open.close(); return; }
    const dialog = helpDialog(this.view instanceof RegionView ? 'regions' : 'classification');
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }

  key(e) {
    if (isTyping(e)) return;
    if (document.querySelector('dialog[open]')) {
      if (e.key === '?') { e.preventDefault(); this.help(); }
      return;
    }
    if (e.key === '?') { e.preventDefault(); this.help(); return; }
    if (!this.store) return;
    const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && (e.key === 'z' || e.key === 'Z')) { e.preventDefault(); if (e.shiftKey) this.store.redo(); else this.store.undo(); return; }
    if (ctrl && (e.key === 'y' || e.key === 'Y')) { e.preventDefault(); this.store.redo(); return; }
    if (ctrl && e.key === 'Enter') { e.preventDefault(); this.submit(); return; }
    const ev = { key: e.key, code: e.code, shiftKey: e.shiftKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, digit: digitOf(e) };
    if (this.view && this.view.onKey(ev)) e.preventDefault();
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('beforeunload', this.onBeforeUnload);
    this.events?.close();
    this.close();
  }
}
