// The public notices page: the areas of the active notices on the map (GeoJSON from
// /api/v1/notices, drawn by severity), a filter by kind, and "notices for where I am" by the
// browser's location or a point selected on the map (the API's lat/lon: ST_Covers in PostGIS).
(function () {
  "use strict";
  const { api, escapeHtml } = window.Imbizo;
  const t = window.gettext || ((text) => text);
  const mapElement = document.getElementById("map");
  const code = mapElement.dataset.municipality;
  const kindSelect = document.getElementById("filter-kind");
  const list = document.getElementById("notice-list");
  const statusLine = document.getElementById("notices-status");
  const everywhere = document.getElementById("everywhere");
  const map = Imbizo.municipalityMap(mapElement);
  window.imbizoMap = map;
  const COLOURS = { info: "#1f5f8b", warning: "#c77c02", critical: "#b3261e" };
  const areas = L.geoJSON(null, {
    style: (feature) => ({ color: COLOURS[feature.properties.severity] || "#1f5f8b", weight: 2, fillOpacity: 0.2 }),
    onEachFeature: (feature, layer) => {
      layer.bindPopup(`<a href="${noticeUrl(feature.id)}">${escapeHtml(feature.properties.title)}</a>`);
    },
  }).addTo(map);
  let pinned = null;
  let pin = null;

  function noticeUrl(id) { return `/m/${encodeURIComponent(code)}/notices/${id}/`; }

  function render(collection) {
    areas.clearLayers();
    areas.addData(collection);
    list.innerHTML = "";
    collection.features.forEach((feature) => {
      const item = document.createElement("li");
      item.className = "notice-item severity-" + feature.properties.severity;
      item.innerHTML = `<a href="${noticeUrl(feature.id)}">${escapeHtml(feature.properties.title)}</a>`;
      list.appendChild(item);
    });
    if (!collection.features.length) {
      const item = document.createElement("li");
      item.className = "muted";
      item.textContent = pinned ? t("No notices cover this point.") : t("No notices at the moment.");
      list.appendChild(item);
    }
    const count = collection.features.length;
    statusLine.textContent = (pinned ? interpolate(ngettext("%s notice covers this point.", "%s notices cover this point.", count), [count])
      : interpolate(ngettext("%s notice.", "%s notices.", count), [count]));
    mapElement.dataset.noticesDrawn = String(count);
  }

  async function load() {
    const params = new URLSearchParams({ municipality: code });
    if (kindSelect.value) params.set("kind", kindSelect.value);
    if (pinned) { params.set("lat", pinned.lat.toFixed(6)); params.set("lon", pinned.lng.toFixed(6)); }
    statusLine.textContent = t("Loading…");
    const result = await api("/api/v1/notices?" + params.toString());
    if (result.ok) render(result.body);
    else statusLine.textContent = Imbizo.errorText(result);
  }

  function pinAt(latlng) {
    pinned = latlng;
    if (pin) pin.remove();
    pin = L.marker(latlng, { title: t("Chosen point"), alt: t("Chosen point") }).addTo(map);
    everywhere.hidden = false;
    load();
  }

  // Without this, window.interpolate/ngettext exist only when the catalogue loaded.
  const ngettext = window.ngettext || ((one, many, count) => (count === 1 ? one : many));
  const interpolate = window.interpolate || ((text, values) => text.replace("%s", values[0]));

  map.on("click", (event) => pinAt(event.latlng));
  kindSelect.addEventListener("change", load);
  everywhere.addEventListener("click", () => {
    pinned = null;
    if (pin) pin.remove();
    everywhere.hidden = true;
    load();
  });
  document.getElementById("where-i-am").addEventListener("click", () => {
    if (!navigator.geolocation) { statusLine.textContent = t("This browser cannot tell where you are: select a point on the map."); return; }
    statusLine.textContent = t("Finding where you are…");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        map.setView(latlng, Math.max(map.getZoom(), 14));
        pinAt(latlng);
      },
      () => { statusLine.textContent = t("Your location is not available: select a point on the map."); },
      { timeout: 10000 });
  });
  load();
})();
