// FieldAudit's service worker: keeps the field app's shell on the phone so it opens offline.
// The list below carries content-hashed URLs, so a changed file gives a new version (and cache).
// Nothing personal is stored: every copy is fetched without cookies or is a public answer, and
// an answer marked no-store or private (all answers to a signed-in user) is never kept, so after
// signing out the phone cannot show the previous user's page ("anon": caches of older workers,
// which kept signed-in pages, are deleted when this one activates).
const VERSION = {{ version|tojson }};
const LANG = {{ lang|tojson }};
const CACHE = `fieldaudit-anon-${VERSION}`;
const PRECACHE = {{ precache|tojson }};
const PAGES = {{ pages|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const DATA_URLS = {{ data_urls|tojson }};
const PRECACHED = new Set(PRECACHE);

function storable(response) {
  const control = (response.headers.get("Cache-Control") || "").toLowerCase();
  return response.ok && !/(^|[\s,])(no-store|private)([\s,=]|$)/.test(control);
}

// The shell as anyone would get it: no cookies (so no signed-in page), the pages in this
// worker's language. "reload": never fill the new cache from an old HTTP-cached copy.
async function storeAnonymousCopy(cache, url) {
  const source = PAGES.includes(url) ? `${url}?lang=${encodeURIComponent(LANG)}` : url;
  const response = await fetch(new Request(source, { cache: "reload", credentials: "omit" }));
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  if (storable(response)) await cache.put(url, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.all(PRECACHE.map((url) => storeAnonymousCopy(cache, url)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("fieldaudit-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

const NETWORK_TIMEOUT_MS = 4000;

// Pages: the network when it answers (fresh status, language, sign-in), else the stored copy.
// With one bar of signal the network may hang: after 4 s the stored copy is shown and the
// network's answer, when it comes, only updates the store. A server error (e.g. 503 while the
// database is away) is no answer either: the stored copy keeps the app and its outbox usable.
async function fromNetworkThenCache(event, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(event.request).then(async (response) => {
    if (storable(response)) await cache.put(key, response.clone());
    return response;
  });
  event.waitUntil(network.catch(() => undefined));
  const stored = () => cache.match(key).then((found) => found || cache.match(OFFLINE_URL));
  let timer;
  const slow = new Promise((resolve) => {
    timer = setTimeout(resolve, NETWORK_TIMEOUT_MS, "slow");
  });
  try {
    const first = await Promise.race([network, slow]);
    if (first !== "slow" && first.status < 500) return first;
    if (first !== "slow") return (await cache.match(key)) || first;
    return (await stored()) || (await network);
  } catch (error) {
    const found = await stored();
    if (found) return found;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function fromCacheThenNetwork(request) {
  const cache = await caches.open(CACHE);
  const stored = await cache.match(request);
  return stored || fetch(request);
}

async function staleWhileRevalidate(request, event) {
  const cache = await caches.open(CACHE);
  const stored = await cache.match(request.url);
  const refresh = fetch(request)
    .then(async (response) => {
      if (storable(response)) await cache.put(request.url, response.clone());
      return response;
    })
    .catch(() => stored);
  if (stored) {
    event.waitUntil(refresh);
    return stored;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // map tiles: the browser's own handling
  if (request.mode === "navigate") {
    if (PAGES.includes(url.pathname)) {
      event.respondWith(fromNetworkThenCache(event, url.pathname));
    } else {
      event.respondWith(fetch(request).catch(async () => (await caches.match(OFFLINE_URL)) || Response.error()));
    }
    return;
  }
  if (DATA_URLS.includes(url.pathname) && !url.search) {
    event.respondWith(staleWhileRevalidate(request, event));
    return;
  }
  if (PRECACHED.has(url.pathname + url.search)) {
    event.respondWith(fromCacheThenNetwork(request));
  }
});
