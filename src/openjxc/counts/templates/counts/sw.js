/* The count page's service worker (scope /counts/): a count page opened once still opens without a network,
 * so a counter can reload it while offline and see the entries still waiting in the outbox (IndexedDB).
 * Network first (a weak network gets {{ timeout_ms }} ms), the last good copy otherwise. Only GETs of count
 * pages and static files; the API and every POST go to the network untouched. */
"use strict";
const CACHE = "jxc-counts-v1";
const PAGE = /^\/counts\/\d+\/$/;
const STATIC = {{ static_url_json }};
const TIMEOUT_MS = {{ timeout_ms }};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const page = request.mode === "navigate" && PAGE.test(url.pathname);
  if (!page && !url.pathname.startsWith(STATIC)) return;
  // a page is kept only without a query (a search result is not the page to show offline)
  event.respondWith(networkFirst(request, page ? url.pathname : request.url, !page || url.search === ""));
});

async function networkFirst(request, key, keep) {
  const cache = await caches.open(CACHE);
  const fromNetwork = fetch(request).then(async (response) => {
    if (keep && response.ok && !response.redirected && response.type === "basic") {
      await cache.put(key, response.clone());
    }
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), TIMEOUT_MS));
  try {
    const first = await Promise.race([fromNetwork, timeout]);
    if (first) return first;
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw err;
  }
  // slow network: the kept copy now, or wait for the network if there is none
  return (await cache.match(key)) || fromNetwork;
}
