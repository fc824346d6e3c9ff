// The public issues map. PostgreSQL groups the issues in view on a grid sized for the zoom
// (/api/v1/issues/clusters); each group is drawn as a circle sized by its count (select it to
// zoom in), each lone issue as a dot that links to its track page. Redrawn after every move.
(function () {
  "use strict";
  const { api, escapeHtml } = window.Imbizo;
  const mapElement = document.getElementById("map");
  const categorySelect = document.getElementById("filter-category");
  const statusSelect = document.getElementById("filter-status");
  const inView = document.getElementById("in-view");
  const list = document.getElementById("issue-list");
  const map = Imbizo.municipalityMap(mapElement);
  window.imbizoMap = map;
  const drawn = L.layerGroup().addTo(map);
  const STATUS_LABELS = { submitted: gettext("Submitted"), acknowledged: gettext("Acknowledged"), assigned: gettext("Assigned"),
    in_progress: gettext("In progress"), resolved: gettext("Resolved"), closed: gettext("Closed"), rejected: gettext("Rejected"),
    reopened: gettext("Reopened") };
  let controller = null;

  function viewBox() {
    const bounds = map.getBounds();
    const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
    return [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 85), clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 85)]
      .map((value) => value.toFixed(6)).join(",");
  }

  function trackUrl(reference) { return "/track/" + encodeURIComponent(reference) + "/"; }

  function zoomInto(properties, latlng) {
    const [west, south, east, north] = properties.bbox;
    const bounds = L.latLngBounds([south, west], [north, east]);
    const fitted = west === east && south === north ? map.getZoom() + 3 : map.getBoundsZoom(bounds.pad(0.3));
    map.setView(bounds.isValid() ? bounds.getCenter() : latlng, Math.min(Math.max(fitted, map.getZoom() + 1), map.getMaxZoom()));
  }

  // Fixed and open issues differ in shape and symbol, not only in colour (a tick in a square, "!" in a circle).
  const FIXED = new Set(["resolved", "closed"]);
  function markerGlyph(status) {
    return `<span aria-hidden="true">${FIXED.has(status) ? "✓" : status === "rejected" ? "×" : "!"}</span>`;
  }

  function clusterSize(count) { return Math.min(76, Math.round(30 + 14 * Math.log10(count))); }

  function draw(collection) {
    drawn.clearLayers();
    list.innerHTML = "";
    let clusters = 0;
    let singles = 0;
    collection.features.forEach((feature) => {
      const [lon, lat] = feature.geometry.coordinates;
      const properties = feature.properties;
      const item = document.createElement("li");
      if (properties.count === 1) {
        singles += 1;
        const label = STATUS_LABELS[properties.status] || properties.status;
        L.marker([lat, lon], {
          icon: L.divIcon({ className: `issue-marker status-${properties.status}`, iconSize: [22, 22], html: markerGlyph(properties.status) }),
          title: `${properties.reference}: ${properties.category_name} (${label})`,
          alt: properties.reference,
        }).bindPopup(`<strong>${escapeHtml(properties.category_name)}</strong><br>${escapeHtml(label)}<br>` +
          `<a href="${trackUrl(properties.reference)}">${escapeHtml(properties.reference)}</a>`).addTo(drawn);
        item.innerHTML = `<a href="${trackUrl(properties.reference)}">${escapeHtml(properties.reference)}</a> ` +
          `<span class="muted">${escapeHtml(properties.category_name)} · ${escapeHtml(label)}</span>`;
      } else {
        clusters += 1;
        const size = clusterSize(properties.count);
        const marker = L.marker([lat, lon], {
          icon: L.divIcon({ className: "cluster-marker", iconSize: [size, size], html: `<span>${properties.count}</span>` }),
          title: interpolate(gettext("%(count)s issues here: select to zoom in"), { count: properties.count }, true),
          alt: interpolate(gettext("%(count)s issues"), { count: properties.count }, true),
        }).addTo(drawn);
        marker.on("click", () => zoomInto(properties, L.latLng(lat, lon)));
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = interpolate(gettext("%(count)s issues close together: zoom in"), { count: properties.count }, true);
        button.addEventListener("click", () => zoomInto(properties, L.latLng(lat, lon)));
        item.appendChild(button);
      }
      list.appendChild(item);
    });
    const total = collection.numberMatched;
    inView.textContent = total ? interpolate(ngettext("%(count)s issue in view.", "%(count)s issues in view.", total), { count: total }, true)
      : gettext("No issues in view.");
    mapElement.dataset.matched = String(total);
    mapElement.dataset.clusters = String(clusters);
    mapElement.dataset.singles = String(singles);
  }

  async function refresh() {
    if (controller) controller.abort();
    controller = new AbortController();
    const params = new URLSearchParams({ municipality: mapElement.dataset.municipality, bbox: viewBox(),
      zoom: String(Math.round(map.getZoom())), status: statusSelect.value });
    if (categorySelect.value) params.set("category", categorySelect.value);
    mapElement.dataset.ready = "false";
    let result;
    try {
      result = await api("/api/v1/issues/clusters?" + params, { signal: controller.signal });
    } catch (error) {
      if (error.name === "AbortError") return; // a newer view replaced this one
      inView.textContent = gettext("The issues could not be loaded; move the map to try again.");
      return;
    }
    if (!result.ok) {
      inView.textContent = Imbizo.errorText(result, gettext("The issues could not be loaded."));
      return;
    }
    draw(result.body);
    mapElement.dataset.ready = "true";
  }

  map.on("moveend", refresh);
  categorySelect.addEventListener("change", refresh);
  statusSelect.addEventListener("change", refresh);
  refresh();
})();
