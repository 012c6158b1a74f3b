// The single-page app: sign-in, the project list, instructions, and the labeling screen,
// routed on location.pathname (/, /p/PROJECT, /p/PROJECT/instructions).

import { api } from './api.js';
import { h, toast } from './dom.js';
import { LabelingScreen } from './screen.js';

const main = document.getElementById('lm-main');
const crumbs = document.getElementById('lm-crumbs');
const right = document.getElementById('lm-header-right');

const app = {
  session: null,
  screen: null,
  signinError: null,
  signedOut() { this.session = null; go('/'); },
};

export function go(path) {
  if (location.pathname + location.search !== path) history.pushState(null, '', path);
  route();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-lm-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', () => route());

async function boot() {
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  if (token != null) {
    // The link's token must not stay in the address bar or the history.
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
    try { await api.signin({ token }); } catch (e) { app.signinError = `That sign-in link does not work: ${e.message}`; }
  }
  try { app.session = await api.session(); } catch (e) { app.session = null; app.signinError = app.signinError || e.message; }
  route();
}

function header(parts) {
  crumbs.replaceChildren(...parts.flatMap((p, i) => (i ? [h('span', { class: 'lm-crumb-sep', 'aria-hidden': 'true' }, '/'), p] : [p])));
  right.replaceChildren();
  if (app.session) {
    right.append(
      h('span', { class: 'lm-user', title: 'Signed in' }, h('span', { class: 'lm-avatar', 'aria-hidden': 'true' }, (app.session.name || '?').slice(0, 1).toUpperCase()), app.session.name),
      h('button', { class: 'lm-btn', dataset: { lmAction: 'sign-out' }, 'aria-label': 'Sign out (your held pages go back to the queue)', onclick: signOut }, 'Sign out'));
  }
}

async function signOut() {
  const screen = app.screen;
  if (screen && screen.store && screen.store.pending) {
    // Let the last edit land before the pages go back.
    for (let i = 0; i < 100 && screen.store && screen.store.pending && screen.store.status === 'saving'; i++) await new Promise((r) => setTimeout(r, 30));
  }
  try { await api.signout(); } catch (e) { if (e.status !== 401) { toast(`Could not sign out: ${e.message}`, 'error'); return; } }
  app.session = null;
  go('/');
  toast('Signed out: your pages went back to the queue, with their labels');
}

function route() {
  app.screen?.destroy();
  app.screen = null;
  document.querySelectorAll('dialog').forEach((d) => d.remove());
  main.replaceChildren();
  if (!app.session) { signIn(); return; }
  const m = /^\/p\/([^/]+)(\/instructions)?\/?$/.exec(location.pathname);
  if (m) {
    const project = decodeURIComponent(m[1]);
    if (m[2]) { instructions(project); return; }
    header([h('a', { href: '/', 'data-lm-link': '' }, 'Projects'), h('span', {}, project)]);
    document.title = `${project} · labelmill`;
    app.screen = new LabelingScreen(main, project, app);
    return;
  }
  projectList();
}

function signIn() {
  header([]);
  document.title = 'Sign in · labelmill';
  const input = h('input', { id: 'lm-name', type: 'text', name: 'name', autocomplete: 'username', required: true, maxlength: '64',
    placeholder: 'e.g. ann', 'aria-label': 'Your labeler name', dataset: { lmSignin: '' }, autofocus: true });
  const error = h('p', { class: 'lm-error', role: 'alert' }, app.signinError || '');
  const form = h('form', { class: 'lm-card lm-signin' },
    h('h1', {}, 'Sign in to label'),
    h('p', { class: 'lm-muted' }, 'Your name is the folder your pages go to (Watch/PROJECT/labelers/NAME): letters, digits, - _ and . only.'),
    h('label', { for: 'lm-name' }, 'Labeler name'), input, error,
    h('button', { class: 'lm-btn lm-primary', type: 'submit' }, 'Sign in'),
    h('p', { class: 'lm-muted lm-small' }, 'On a shared address, open the sign-in link your admin gave you (labelmill token add NAME).'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      app.session = await api.signin({ name });
      app.signinError = null;
      route();
    } catch (err) { error.textContent = err.message; input.focus(); }
  });
  main.replaceChildren(h('div', { class: 'lm-center' }, form));
  input.focus();
}

async function projectList() {
  header([h('span', {}, 'Projects')]);
  document.title = 'Projects · labelmill';
  const list = h('ul', { class: 'lm-projects' });
  main.replaceChildren(h('div', { class: 'lm-page' }, h('h1', {}, 'Projects'), h('p', { class: 'lm-muted' }, 'Choose a project to label. Pages are handed out one after another; every change is saved to the page’s page.json at once.'), list));
  let projects;
  try { projects = await api.projects(); } catch (e) {
    if (e.status === 401) { app.signedOut(); return; }
    list.replaceChildren(h('li', { class: 'lm-error' }, `Could not list the projects: ${e.message}`));
    return;
  }
  if (!projects.length) list.append(h('li', { class: 'lm-card lm-muted' }, 'No projects yet. An admin makes one with labelmill project create NAME --task T --tags A,B.'));
  for (const p of projects) {
    const li = h('li', { class: 'lm-card lm-project', dataset: { lmProject: p.name } });
    if (p.error) {
      li.append(h('h2', {}, p.name), h('p', { class: 'lm-error' }, p.error));
      list.append(li);
      continue;
    }
    const held = (p.held || []).length;
    const total = p.done + p.queued + held;
    const pct = total ? Math.round((100 * p.done) / total) : 0;
    li.append(
      h('div', { class: 'lm-project-head' },
        h('h2', {}, h('a', { href: `/p/${encodeURIComponent(p.name)}`, 'data-lm-link': '' }, p.name)),
        h('span', { class: 'lm-task' }, p.task)),
      h('p', { class: 'lm-muted' }, `${p.tags.length} tag${p.tags.length === 1 ? '' : 's'}: ${p.tags.slice(0, 6).join(', ')}${p.tags.length > 6 ? ', …' : ''} · ${p.page_size} image${p.page_size === 1 ? '' : 's'} a page`),
      h('div', { class: 'lm-progress lm-progress-wide', 'aria-label': `${pct}% of the pages done` }, h('span', { class: 'lm-bar' }, h('span', { class: 'lm-bar-fill', style: `width: ${pct}%` }))),
      h('p', { class: 'lm-counts' }, h('span', {}, h('b', {}, String(p.done)), ' done'), h('span', {}, h('b', {}, String(p.queued)), ' queued'), h('span', {}, h('b', {}, String(held)), ' held by you')),
      h('div', { class: 'lm-project-actions' },
        h('a', { class: 'lm-btn lm-primary', href: `/p/${encodeURIComponent(p.name)}`, 'data-lm-link': '', 'aria-label': `Start labeling ${p.name}` }, held ? 'Continue labeling' : 'Start labeling'),
        p.has_instructions ? h('a', { class: 'lm-btn', href: `/p/${encodeURIComponent(p.name)}/instructions`, 'data-lm-link': '', dataset: { lmAction: 'instructions' }, 'aria-label': `View detailed instructions for ${p.name}` }, 'Instructions') : null));
    list.append(li);
  }
}

async function instructions(project) {
  header([h('a', { href: '/', 'data-lm-link': '' }, 'Projects'), h('a', { href: `/p/${encodeURIComponent(project)}`, 'data-lm-link': '' }, project), h('span', {}, 'Instructions')]);
  document.title = `Instructions: ${project} · labelmill`;
  const body = h('div', { class: 'lm-markdown' }, 'Loading…');
  main.replaceChildren(h('div', { class: 'lm-page lm-card' }, h('h1', {}, `Instructions: ${project}`), body,
    h('a', { class: 'lm-btn lm-primary', href: `/p/${encodeURIComponent(project)}`, 'data-lm-link': '' }, 'Start labeling')));
  try {
    const { html } = await api.instructions(project);
    if (html) body.innerHTML = html; else body.textContent = 'This project has no detailed instructions.';
  } catch (e) {
    if (e.status === 401) { app.signedOut(); return; }
    body.textContent = `No instructions: ${e.message}`;
  }
}

boot();
