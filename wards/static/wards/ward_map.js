// The public ward map: draws the municipality's current wards (GeoJSON built by PostGIS) and
// answers "which ward is this?" for any click through /api/v1/areas/lookup.
(function () {
  "use strict";
  const mapElement = document.getElementById("map");
  const code = mapElement.dataset.municipality;
  const result = document.getElementById("lookup-result");
  const map = L.map(mapElement, { zoomControl: true });
  window.imbizoMap = map; // for the browser tests and for debugging in the console

  const switcher = document.getElementById("municipality-switch");
  if (switcher) switcher.addEventListener("change", () => { window.location.href = "/m/" + switcher.value + "/"; });

  if (mapElement.dataset.tileUrl) {
    L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 19, attribution: mapElement.dataset.tileAttribution || "" }).addTo(map);
  }
  const extent = mapElement.dataset.extent.split(",").map(Number);
  if (extent.length === 4 && extent.every(Number.isFinite)) {
    map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
  } else {
    map.setView([-26.5, 28.4], 9);
  }

  const brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#1f5f8b";
  let highlighted = null;
  const wardStyle = { color: brand, weight: 1.5, fillOpacity: 0.08 };
  const wards = L.geoJSON(null, {
    style: () => wardStyle,
    onEachFeature: (feature, layer) => {
      layer.bindTooltip("Ward " + feature.properties.number, { sticky: true });
    },
  }).addTo(map);

  fetch("/api/v1/wards/?municipality=" + encodeURIComponent(code))
    .then((response) => response.json())
    .then((collection) => {
      wards.addData(collection);
      mapElement.dataset.wardsDrawn = String(collection.features.length);
      document.getElementById("ward-count").textContent = collection.features.length + " wards drawn.";
    });

  function show(html) { result.innerHTML = html; }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  map.on("click", (event) => {
    const { lat, lng } = event.latlng;
    show(escapeHtml(gettext("Looking up…")));
    fetch(`/api/v1/areas/lookup?lat=${lat.toFixed(6)}&lon=${lng.toFixed(6)}`)
      .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
      .then(({ ok, body }) => {
        if (highlighted) { wards.resetStyle(highlighted); highlighted = null; }
        if (!ok) { show(`<p class="outside">${escapeHtml(body.detail || gettext("No area here."))}</p>`); return; }
        const ward = body.ward;
        const suburb = body.suburb;
        show(
          `<dl><dt>${escapeHtml(gettext("Municipality"))}</dt><dd>${escapeHtml(body.municipality.name)} (${escapeHtml(body.municipality.code)})</dd>` +
          `<dt>${escapeHtml(gettext("Ward"))}</dt><dd id="lookup-ward">${ward ? escapeHtml(interpolate(gettext("Ward %(number)s"), { number: ward.number }, true)) + " (" + escapeHtml(ward.code) + ")" : escapeHtml(gettext("none"))}</dd>` +
          `<dt>${escapeHtml(gettext("Suburb"))}</dt><dd>${suburb ? escapeHtml(suburb.name) : "—"}</dd></dl>`
        );
        if (ward) {
          wards.eachLayer((layer) => {
            if (layer.feature.properties.code === ward.code) {
              highlighted = layer;
              layer.setStyle({ weight: 3, fillOpacity: 0.3 });
            }
          });
        }
      })
      .catch(() => show(escapeHtml(gettext("The lookup failed; try again."))));
  });
})();
