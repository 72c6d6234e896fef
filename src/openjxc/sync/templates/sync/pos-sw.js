/* The till's service worker (scope /pos/): the page and its files come from the cache when the network
 * is away. The server fills CONFIG in (openjxc/sync/pos.py): the exact URLs to precache and a version
 * made from their contents, so a changed file is a new worker with a new cache.
 *
 * - the page (/pos/): network first with a short timeout (a fresh page, in the current language, while
 *   online), else the cached copy;
 * - the precached files: from the cache;
 * - the API (/api/…) and everything else: never touched here — sales go through the IndexedDB outbox. */
"use strict";

const CONFIG = /*CONFIG*/{};
const CACHE = "jxc-pos-" + CONFIG.version;
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // "reload": past the HTTP cache, so the files stored are the ones this version was made from
    await cache.addAll(CONFIG.precache.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("jxc-pos-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.ok) {
      await cache.put(CONFIG.page, response.clone());
      return response;
    }
    const cached = await cache.match(CONFIG.page);
    return cached || response;
  } catch (err) {
    const cached = await cache.match(CONFIG.page);
    if (cached) return cached;
    throw err;
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === CONFIG.page && (request.mode === "navigate" || request.destination === "document")) {
    event.respondWith(page(request));
  } else if (CONFIG.precache.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});
