// The HTTP API of `labelmill serve` (see WEB-CONTRACT.md): one function per route.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the server answered ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.error || String(status);
  }
}

const enc = encodeURIComponent;

async function call(method, path, { json, text, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (text !== undefined) {
    init.body = text;
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: 'the server cannot be reached (is labelmill still running?)' });
  }
  const raw = await res.text();
  let body = null;
  try { body = raw ? JSON.parse(raw) : null; } catch { body = null; }
  if (!res.ok) throw new ApiError(res.status, body || { message: raw.slice(0, 200) });
  return { body, raw, res };
}

export const api = {
  async session() {
    try { return (await call('GET', '/api/session')).body; } catch (e) {
      if (e.status === 401) return null;
      throw e;
    }
  },
  async signin(credentials) { return (await call('POST', '/api/signin', { json: credentials })).body; },
  async signout() { return (await call('POST', '/api/signout', { json: {} })).body; },
  async projects() { return (await call('GET', '/api/projects')).body.projects || []; },
  async instructions(p) { return (await call('GET', `/api/projects/${enc(p)}/instructions`)).body; },
  async next(p) { return (await call('POST', `/api/projects/${enc(p)}/next`, { json: {} })).body; },
  async leave(p) { return (await call('POST', `/api/projects/${enc(p)}/leave`, { json: {} })).body; },
  async pages(p) { return (await call('GET', `/api/projects/${enc(p)}/pages`)).body.pages || []; },
  async page(p, page) {
    const { raw, res } = await call('GET', `/api/projects/${enc(p)}/pages/${enc(page)}`);
    return { text: raw, etag: res.headers.get('ETag') };
  },
  async putPage(p, page, text, etag) {
    const { body, res } = await call('PUT', `/api/projects/${enc(p)}/pages/${enc(page)}`,
      { text, headers: { 'If-Match': etag } });
    return { etag: res.headers.get('ETag') || body.etag };
  },
  async submit(p, page, etag) {
    const { body, res } = await call('POST', `/api/projects/${enc(p)}/pages/${enc(page)}/submit`,
      { json: {}, headers: { 'If-Match': etag } });
    return { ...body, etag: res.headers.get('ETag') || body.etag };
  },
  imageURL(p, page, n) { return `/api/projects/${enc(p)}/pages/${enc(page)}/images/${n}`; },
  events(p) { return new EventSource(`/api/projects/${enc(p)}/events`); },
};
