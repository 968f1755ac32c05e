/*
 * 沪券通 service worker: keeps the app shell (index.html and the hashed /assets/ files it
 * references) so the wallet opens and its dynamic QR codes keep refreshing offline.
 * The API is never cached here: voucher data lives in the page's localStorage, and only
 * for the signed-in holder.
 */
const CACHE = 'hqt-shell-v1';
const SHELL_URL = '/index.html';
const STATIC_URLS = ['/favicon.svg'];
const NAVIGATION_TIMEOUT_MS = 4000;

function assetsOf(html) {
  const urls = new Set();
  for (const match of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) urls.add(match[1]);
  return [...urls];
}

/** Stores this index.html and every asset it references; drops assets it no longer references. */
async function storeShell(response) {
  const cache = await caches.open(CACHE);
  const html = await response.clone().text();
  await cache.put(SHELL_URL, response);
  const wanted = assetsOf(html);
  const missing = [];
  for (const url of [...wanted, ...STATIC_URLS]) {
    if (!(await cache.match(url))) missing.push(url);
  }
  if (missing.length > 0) await cache.addAll(missing);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/assets/') && !wanted.includes(path)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fetch(SHELL_URL, { cache: 'no-store' })
      .then((response) => {
        if (!response.ok) throw new Error(`index.html answered ${response.status}`);
        return storeShell(response);
      })
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('hqt-shell-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Pages: the network first (so a deploy shows at once), the saved shell when offline. */
async function navigation(request) {
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
    const isHtml = (response.headers.get('Content-Type') || '').includes('text/html');
    if (response.ok && isHtml) storeShell(response.clone()).catch(() => undefined);
    return response;
  } catch (error) {
    const cached = await caches.match(SHELL_URL);
    if (cached) return cached;
    throw error;
  }
}

/** Hashed assets never change: the cache first, the network (and then the cache) on a miss. */
async function asset(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigation(request));
  } else if (url.pathname.startsWith('/assets/') || STATIC_URLS.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});
