// Imbizo's service worker, served at /sw.js by gisplatform/pwa.py, which writes self.IMBIZO_WORKER
// (version, app shell, outbox script) in front of this file.
//
// - The app shell (scripts, styles, icons, the language catalogues) is cached at install, in a cache
//   named for the version: a hash of those files, so each deploy that changes them is a new worker.
// - Resident pages (/, /m/…, /track/…) are network-first: a fresh page when online, the last copy seen
//   when not; tracking pages a resident opened stay readable offline. Their cache carries the version
//   too, so a new worker never serves an old page beside new scripts: activate deletes old caches.
// - The public API reads the report page needs offline (categories, ward outlines) are network-first,
//   cached. Everything else goes to the network untouched; writes are never cached.
// - Reports filed offline wait in the outbox (triage/outbox.js, shared with the page) and are sent
//   here too on Background Sync.
/* global IMBIZO_WORKER, ImbizoOutbox */
"use strict";

const { version, shell, outbox } = self.IMBIZO_WORKER;
const SHELL = `imbizo-shell-${version}`;
const PAGES = `imbizo-pages-${version}`;
const DATA = `imbizo-data-${version}`;
const OURS = [SHELL, PAGES, DATA];

importScripts(outbox);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(shell)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("imbizo-") && !OURS.includes(name)).map((name) => caches.delete(name)));
    await self.clients.claim();
    // A worker starting up is an app start: anything still waiting is sent now.
    ImbizoOutbox.flush().catch(() => {});
  })());
});

function isResidentPage(url) {
  return url.pathname === "/" || url.pathname.startsWith("/m/") || url.pathname.startsWith("/track/");
}

function isCachedData(url) {
  return url.pathname === "/api/v1/categories" || url.pathname === "/api/v1/wards/";
}

// The network's answer, kept in `cacheName` when it is good; the kept copy when the network fails.
// Vary (Accept, Accept-Language, Cookie) is ignored: offline, the last copy is better than none.
async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request, { cacheName: SHELL, ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(SHELL);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // base-map tiles and anything else: the browser's own way
  if (request.mode === "navigate" && isResidentPage(url)) {
    event.respondWith(networkFirst(request, PAGES).catch(() => offlinePage()));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/jsi18n/") {
    event.respondWith(cacheFirst(request));
  } else if (isCachedData(url)) {
    event.respondWith(networkFirst(request, DATA));
  } else if (url.pathname.endsWith("/manifest.webmanifest")) {
    event.respondWith(networkFirst(request, DATA));
  }
});

async function offlinePage() {
  return new Response(
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>" +
    "<title>Offline</title><p>You are offline, and this page was not opened on this device before. " +
    "Reports you file on the report page are kept and sent when you are back online.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("sync", (event) => {
  if (event.tag === ImbizoOutbox.SYNC_TAG) event.waitUntil(ImbizoOutbox.flush());
});

// Pages ask for themselves (and the data they name) to be kept: a page is cached when it is opened.
async function remember(urls) {
  for (const path of urls) {
    const url = new URL(path, self.location.origin);
    if (url.origin !== self.location.origin) continue;
    const cacheName = isResidentPage(url) ? PAGES : isCachedData(url) ? DATA : null;
    if (!cacheName) continue;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) await (await caches.open(cacheName)).put(url, response);
    } catch (error) { /* offline now: kept next time */ }
  }
}

self.addEventListener("message", (event) => {
  if (event.data === "flush-outbox") event.waitUntil(ImbizoOutbox.flush());
  else if (event.data && Array.isArray(event.data.remember)) event.waitUntil(remember(event.data.remember.slice(0, 10)));
});
