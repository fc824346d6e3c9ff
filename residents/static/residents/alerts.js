// The alerts page: a ward, a suburb, a radius around a saved place, or a polygon tapped out on the
// map, saved through /api/v1/me/alerts (the server computes and checks the area).
(function () {
  "use strict";
  const { api, errorText, escapeHtml, municipalityMap } = window.Imbizo;
  const form = document.getElementById("alert-form");
  const map = municipalityMap(document.getElementById("map"));
  window.imbizoMap = map;
  const gettext = window.gettext || ((text) => text);
  let corners = [];
  const outline = L.polygon([], { color: "#b3261e", weight: 2 }).addTo(map);

  function kind() { return form.querySelector("input[name=kind]:checked").value; }
  function showKind() {
    form.querySelectorAll("[data-kind]").forEach((field) => { field.hidden = field.dataset.kind !== kind(); });
  }
  form.querySelectorAll("input[name=kind]").forEach((radio) => radio.addEventListener("change", showKind));
  showKind();

  map.on("click", (event) => {
    if (kind() !== "drawn") return;
    corners.push([event.latlng.lng, event.latlng.lat]);
    outline.setLatLngs(corners.map(([lon, lat]) => [lat, lon]));
  });
  document.getElementById("alert-clear").addEventListener("click", () => { corners = []; outline.setLatLngs([]); });

  function area() {
    switch (kind()) {
      case "ward": return { ward: document.getElementById("alert-ward").value };
      case "suburb": return { suburb: Number(document.getElementById("alert-suburb").value) };
      case "place": return { place: Number(document.getElementById("alert-place").value),
        radius_m: Number(document.getElementById("alert-radius").value) };
      default: return corners.length < 3 ? null : { type: "Polygon", coordinates: [[...corners, corners[0]]] };
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("alert-error");
    error.textContent = "";
    const chosen = area();
    if (!chosen) { error.textContent = gettext("Tap at least three corners on the map."); return; }
    const result = await api("/api/v1/me/alerts", { method: "POST", json: {
      area: chosen, municipality: form.dataset.municipality, digest: document.getElementById("alert-digest").value } });
    if (result.ok) { window.location.reload(); return; }
    const body = result.body || {};
    const inner = body.area && !Array.isArray(body.area) ? { body: body.area, status: result.status } : result;
    error.innerHTML = escapeHtml(errorText(inner));
  });

  document.querySelectorAll(".delete-alert").forEach((button) => {
    button.addEventListener("click", async () => {
      const result = await api(`/api/v1/me/alerts/${button.dataset.alert}`, { method: "DELETE" });
      if (result.ok) window.location.reload();
    });
  });
})();
