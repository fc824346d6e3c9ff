// "Near me": the nearest facilities to the resident's location (or a clicked point), from
// /api/v1/facilities/nearest, listed with distance and open/closed, and drawn on the map.
(function () {
  "use strict";
  const mapElement = document.getElementById("map");
  const list = document.getElementById("facility-list");
  const origin = document.getElementById("origin");
  const typeSelect = document.getElementById("facility-type");
  const openNow = document.getElementById("open-now");
  const map = L.map(mapElement);
  window.imbizoMap = map;
  if (mapElement.dataset.tileUrl) {
    L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 19, attribution: mapElement.dataset.tileAttribution || "" }).addTo(map);
  }
  const extent = mapElement.dataset.extent.split(",").map(Number);
  if (extent.length === 4 && extent.every(Number.isFinite)) {
    map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
  } else {
    map.setView([-26.5, 28.4], 9);
  }
  // Ward outlines give the map its bearings when no base map is configured.
  fetch("/api/v1/wards/?municipality=" + encodeURIComponent(mapElement.dataset.municipality))
    .then((response) => response.json())
    .then((wards) => L.geoJSON(wards, { interactive: false, style: { color: "#8a98a5", weight: 1, fillOpacity: 0 } }).addTo(map));
  const results = L.layerGroup().addTo(map);
  let here = null;
  let markers = {};

  function escapeHtml(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function formatDistance(metres) {
    return metres < 1000 ? Math.round(metres) + " m" : (metres / 1000).toFixed(metres < 10000 ? 1 : 0) + " km";
  }

  function search() {
    if (!here) return;
    const params = new URLSearchParams({ lat: here.lat.toFixed(6), lon: here.lng.toFixed(6), k: "10" });
    if (typeSelect.value) params.set("type", typeSelect.value);
    // "Open now" keeps the facilities whose hours nobody knows, flagged, rather than hiding them.
    if (openNow.checked) { params.set("open_now", "true"); params.set("include_unknown", "true"); }
    list.setAttribute("aria-busy", "true");
    fetch("/api/v1/facilities/nearest?" + params)
      .then((response) => response.json())
      .then((collection) => {
        results.clearLayers();
        markers = {};
        L.circleMarker(here, { radius: 7, color: "#fff", weight: 2, fillColor: "#d63384", fillOpacity: 1 })
          .bindTooltip(gettext("You are here")).addTo(results);
        list.innerHTML = "";
        if (!collection.features.length) {
          list.innerHTML = `<li class='muted'>${escapeHtml(gettext("No facilities match."))}</li>`;
        }
        const unknown = collection.features.filter((feature) => feature.properties.open_now === null).length;
        const hoursNote = document.getElementById("hours-note");
        hoursNote.hidden = !(openNow.checked && unknown);
        hoursNote.textContent = interpolate(ngettext(
          "%(count)s of these has unknown opening hours: it may be closed, call before you go.",
          "%(count)s of these have unknown opening hours: they may be closed, call before you go.", unknown),
        { count: unknown }, true);
        collection.features.forEach((feature, index) => {
          const p = feature.properties;
          const [lon, lat] = feature.geometry.coordinates;
          const state = p.open_now === null ? "hours-unknown" : (p.open_now ? "open" : "closed");
          const stateWords = { open: gettext("open"), closed: gettext("closed"), "hours-unknown": gettext("hours unknown") }[state];
          const marker = L.circleMarker([lat, lon], { radius: 8, color: "#fff", weight: 2,
            fillColor: p.open_now ? "#1b7f3b" : "#6c757d", fillOpacity: 0.95 })
            .bindPopup(`<strong>${escapeHtml(p.name)}</strong><br>${escapeHtml(p.type_name)} · ${formatDistance(p.distance_m)}`)
            .addTo(results);
          markers[feature.id] = marker;
          const item = document.createElement("li");
          item.className = "facility";
          item.dataset.id = feature.id;
          item.innerHTML =
            `<div class="facility-name">${index + 1}. ${escapeHtml(p.name)}</div>` +
            `<div class="facility-meta"><span class="distance">${formatDistance(p.distance_m)}</span> · ` +
            `${escapeHtml(p.type_name)} · <span class="state state-${state}">${escapeHtml(stateWords)}</span></div>` +
            (p.address ? `<div class="muted">${escapeHtml(p.address)}</div>` : "") +
            (p.opening_hours ? `<div class="muted">${escapeHtml(p.opening_hours)}</div>` : "") +
            (p.phone ? `<div><a href="tel:${escapeHtml(p.phone)}">${escapeHtml(p.phone)}</a></div>` : "");
          item.addEventListener("click", () => { marker.openPopup(); map.panTo([lat, lon]); });
          list.appendChild(item);
        });
        const bounds = results.getLayers().map((layer) => layer.getLatLng());
        if (bounds.length > 1) map.fitBounds(L.latLngBounds(bounds).pad(0.2), { animate: false });
        list.removeAttribute("aria-busy");
        list.dataset.loaded = String(collection.features.length);
      });
  }

  function setOrigin(latlng, how) {
    here = latlng;
    origin.textContent = `${how}: ${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`;
    search();
  }

  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) { origin.textContent = gettext("This browser cannot share its location; click the map."); return; }
    origin.textContent = gettext("Finding you…");
    navigator.geolocation.getCurrentPosition(
      (position) => setOrigin(L.latLng(position.coords.latitude, position.coords.longitude), gettext("Your location")),
      () => { origin.textContent = gettext("Your location is not available; click the map instead."); },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });
  map.on("click", (event) => setOrigin(event.latlng, gettext("Chosen point")));
  typeSelect.addEventListener("change", search);
  openNow.addEventListener("change", search);
})();
