// What the resident pages for issues share: HTML escaping, JSON calls to /api/v1/ with the CSRF
// token, this browser's own storage (tracking keys, the anonymous client id), and a map fitted
// to the municipality with its wards outlined.
(function () {
  "use strict";

  function escapeHtml(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  }

  // A random UUID (version 4); crypto.randomUUID exists only on https and localhost.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Calls the API; resolves to {ok, status, body} (body parsed when JSON), rejects only when the
  // server could not be reached.
  async function api(url, { method = "GET", json, form, headers = {}, signal } = {}) {
    const options = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    if (json !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(json);
    } else if (form !== undefined) {
      options.body = form;
    }
    const response = await fetch(url, options);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (error) { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  // The first readable message of an API error body: {"detail": "..."} or {"field": ["..."]}.
  function errorText(result, fallback) {
    const body = result && result.body;
    if (body && typeof body === "object") {
      if (typeof body.detail === "string") return body.detail;
      for (const value of Object.values(body)) {
        if (Array.isArray(value) && value.length) return String(value[0]);
        if (typeof value === "string") return value;
      }
    }
    return fallback || interpolate(gettext("Something went wrong (error %(status)s); try again."), { status: result ? result.status : "?" }, true);
  }

  // localStorage may be unavailable (private windows, full storage): the pages work without it.
  const store = {
    get(key) { try { return window.localStorage.getItem(key); } catch (error) { return null; } },
    set(key, value) { try { window.localStorage.setItem(key, value); } catch (error) { /* not kept */ } },
    json(key, fallback) { try { return JSON.parse(store.get(key)) ?? fallback; } catch (error) { return fallback; } },
  };

  function trackingKey(reference) { return store.get("imbizo:tracking:" + reference) || ""; }

  function rememberReport(issue) {
    store.set("imbizo:tracking:" + issue.reference, issue.tracking_key);
    const reports = store.json("imbizo:reports", []).filter((r) => r.reference !== issue.reference);
    reports.unshift({ reference: issue.reference, category: issue.category ? issue.category.name : "", at: issue.created_at });
    store.set("imbizo:reports", JSON.stringify(reports.slice(0, 50)));
  }

  // The anonymous 'me too' voter: a random id this browser keeps.
  function clientId() {
    let id = store.get("imbizo:client-id");
    if (!id) { id = uuid(); store.set("imbizo:client-id", id); }
    return id;
  }

  // The street base map (data-tile-url, data-tile-attribution). Tiles that cannot be fetched (no signal,
  // a blocked host) leave the map grey under the ward outlines and pins: a base map is never required.
  function addBaseMap(map, element) {
    if (!element.dataset.tileUrl) return null;
    const layer = L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" });
    layer.on("tileerror", () => { element.dataset.tilesFailed = "true"; });
    layer.on("tileload", () => { element.dataset.tilesLoaded = "true"; });
    return layer.addTo(map);
  }

  // A Leaflet map fitted to the municipality (data-extent), with its current wards outlined.
  function municipalityMap(element, { wardsInteractive = false } = {}) {
    const map = L.map(element, { maxZoom: 19 });
    addBaseMap(map, element);
    const extent = (element.dataset.extent || "").split(",").map(Number);
    if (extent.length === 4 && extent.every(Number.isFinite)) {
      map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
    } else {
      map.setView([-26.5, 28.4], 9);
    }
    const wards = L.geoJSON(null, {
      interactive: wardsInteractive,
      style: { color: "#7d8b96", weight: 1, fillColor: "#ffffff", fillOpacity: 0.35 },
    }).addTo(map);
    fetch("/api/v1/wards/?municipality=" + encodeURIComponent(element.dataset.municipality))
      .then((response) => response.json())
      .then((collection) => {
        wards.addData(collection);
        element.dataset.wardsDrawn = String(collection.features.length);
      })
      .catch(() => { element.dataset.wardsDrawn = "0"; });
    return map;
  }

  function formatDistance(metres) {
    return metres < 1000 ? Math.round(metres) + " m" : (metres / 1000).toFixed(1) + " km";
  }

  window.Imbizo = { escapeHtml, csrfToken, uuid, api, errorText, store, trackingKey, rememberReport, clientId,
    municipalityMap, formatDistance, addBaseMap };
})();
