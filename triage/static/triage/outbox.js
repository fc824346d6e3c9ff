// The report outbox: reports made without a connection wait in IndexedDB (photos as Blobs) with the
// Idempotency-Key the device gave them, and are sent when the connection returns, when the app starts
// and on Background Sync. One script for the report page and the service worker (no DOM, no
// localStorage). Two tabs and the worker may all try at once: each send holds the "imbizo-outbox"
// Web Lock where the browser has one, and every report is first claimed in one IndexedDB transaction
// (waiting → sending), so only one of them sends it; the server's idempotency is the last guard.
//
// A report's state: waiting (not sent yet) → sending (claimed) → sent (filed, photos uploaded), or
// refused (the server said no: the message is kept to show). A report filed whose photos could not
// all be sent goes back to waiting with its reference, and only the missing photos are sent later.
(function (scope) {
  "use strict";
  const DATABASE = "imbizo-outbox";
  const STORE = "reports";
  const SYNC_TAG = "imbizo-outbox";
  const CLAIM_EXPIRES_MS = 120000; // a sender that vanished mid-send (a closed tab) gives its claim back
  const channel = "BroadcastChannel" in scope ? new BroadcastChannel("imbizo-outbox") : null;

  let opened = null;
  function database() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open(DATABASE, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opened;
  }

  // Runs `work(store)` in one transaction and resolves with what it returned once the transaction commits.
  async function inTransaction(mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      let result;
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
      work(transaction.objectStore(STORE), (value) => { result = value; });
    });
  }

  function announce(record) {
    if (channel) channel.postMessage({ key: record.key, state: record.state });
  }

  async function add(record) {
    const entry = { state: "waiting", createdAt: new Date().toISOString(), reference: "", trackingKey: "", error: "",
      ...record, photos: (record.photos || []).map((photo) => ({ ...photo, sent: false })) };
    await inTransaction("readwrite", (store) => store.put(entry));
    announce(entry);
    return entry;
  }

  function all() {
    return inTransaction("readonly", (store, done) => {
      const request = store.getAll();
      request.onsuccess = () => done(request.result.sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
    });
  }

  async function remove(key) {
    await inTransaction("readwrite", (store) => store.delete(key));
    announce({ key, state: "removed" });
  }

  async function update(key, changes) {
    const record = await inTransaction("readwrite", (store, done) => {
      const request = store.get(key);
      request.onsuccess = () => {
        if (!request.result) return;
        const changed = { ...request.result, ...changes };
        store.put(changed);
        done(changed);
      };
    });
    if (record) announce(record);
    return record;
  }

  // Waiting → sending in one transaction: of two senders, exactly one gets the record.
  async function claim(key) {
    const record = await inTransaction("readwrite", (store, done) => {
      const request = store.get(key);
      request.onsuccess = () => {
        const found = request.result;
        const stale = found && found.state === "sending" && Date.now() - (found.claimedAt || 0) > CLAIM_EXPIRES_MS;
        if (!found || (found.state !== "waiting" && !stale)) { done(null); return; }
        const claimed = { ...found, state: "sending", claimedAt: Date.now() };
        store.put(claimed);
        done(claimed);
      };
    });
    if (record) announce(record);
    return record;
  }

  function headersFor(record) {
    const headers = { Accept: "application/json", "Idempotency-Key": record.key, "X-Client-Id": record.clientId || "" };
    if (record.csrfToken) headers["X-CSRFToken"] = record.csrfToken;
    if (record.language) headers["Accept-Language"] = record.language;
    return headers;
  }

  async function readJson(response) {
    try { return await response.json(); } catch (error) { return null; }
  }

  function firstMessage(body, status) {
    if (body && typeof body === "object") {
      if (typeof body.detail === "string") return body.detail;
      for (const value of Object.values(body)) {
        if (Array.isArray(value) && value.length) return String(value[0]);
        if (typeof value === "string") return value;
      }
    }
    return `HTTP ${status}`;
  }

  // Sends one claimed report; resolves with its new state. Network failures put it back to waiting.
  async function send(record) {
    let { reference, trackingKey } = record;
    if (!reference) {
      let response;
      try {
        response = await fetch("/api/v1/issues", { method: "POST", credentials: "same-origin", headers:
          { ...headersFor(record), "Content-Type": "application/json" }, body: JSON.stringify(record.report) });
      } catch (error) {
        return update(record.key, { state: "waiting" });
      }
      const body = await readJson(response);
      if (response.status === 400 || response.status === 409 || response.status === 403) {
        return update(record.key, { state: "refused", error: firstMessage(body, response.status), errors: body });
      }
      if (!response.ok || !body || !body.reference) return update(record.key, { state: "waiting" });
      reference = body.reference;
      trackingKey = body.tracking_key || "";
      record = await update(record.key, { reference, trackingKey, category: body.category ? body.category.name : "" });
    }
    const photos = record.photos.slice();
    let unsent = 0;
    for (let index = 0; index < photos.length; index += 1) {
      if (photos[index].sent) continue;
      const data = new FormData();
      data.append("file", photos[index].blob, photos[index].name);
      try {
        const response = await fetch(`/api/v1/issues/${encodeURIComponent(reference)}/media`, { method: "POST",
          credentials: "same-origin", headers: { ...headersFor(record), "X-Tracking-Key": trackingKey }, body: data });
        // A photo the server refuses (type, size) is not tried again: the report stands without it.
        photos[index] = { ...photos[index], sent: true, refused: !response.ok && response.status < 500 && response.status !== 429 };
        if (!response.ok && !photos[index].refused) { photos[index].sent = false; unsent += 1; }
      } catch (error) {
        unsent += 1;
      }
      await update(record.key, { photos });
    }
    return update(record.key, { state: unsent ? "waiting" : "sent", photos });
  }

  async function sendAll() {
    const records = await all();
    for (const record of records) {
      if (record.state !== "waiting" && record.state !== "sending") continue;
      const claimed = await claim(record.key);
      if (claimed) await send(claimed);
    }
  }

  // Sends every waiting report, one sender at a time across tabs and the worker.
  function flush() {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request("imbizo-outbox", () => sendAll());
    }
    return sendAll();
  }

  // Asks the browser to flush from the worker when the connection returns, even with the page closed.
  async function requestSync() {
    try {
      const registration = await scope.navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register(SYNC_TAG);
    } catch (error) { /* no Background Sync here: the page flushes on "online" and at start */ }
  }

  function onChange(listener) {
    if (channel) channel.addEventListener("message", (event) => listener(event.data));
  }

  scope.ImbizoOutbox = { SYNC_TAG, add, all, remove, flush, requestSync, onChange, update };
})(self);
