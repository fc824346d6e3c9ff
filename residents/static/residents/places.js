// The profile page: saved places as pins, a new place pinned by a tap, saved through /api/v1/me/places.
(function () {
  "use strict";
  const { api, errorText, escapeHtml, municipalityMap } = window.Imbizo;
  const mapElement = document.getElementById("map");
  const map = municipalityMap(mapElement);
  window.imbizoMap = map;
  const gettext = window.gettext || ((text) => text);
  let pin = null;

  document.querySelectorAll("#places tr[data-place]").forEach((row) => {
    L.marker([Number(row.dataset.lat), Number(row.dataset.lon)], { title: row.cells[0].textContent.trim() }).addTo(map);
  });

  map.on("click", async (event) => {
    if (pin) pin.setLatLng(event.latlng); else pin = L.marker(event.latlng).addTo(map);
    const where = document.getElementById("place-where");
    const { lat, lng } = event.latlng;
    const found = await api(`/api/v1/areas/lookup?lat=${lat.toFixed(6)}&lon=${lng.toFixed(6)}`);
    where.textContent = found.ok
      ? [found.body.ward ? gettext("Ward") + " " + found.body.ward.number : "", found.body.suburb ? found.body.suburb.name : ""]
        .filter(Boolean).join(", ") || found.body.municipality.name
      : errorText(found);
  });

  document.getElementById("place-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("place-error");
    error.textContent = "";
    if (!pin) { error.textContent = gettext("Tap the map to pin the place first."); return; }
    const { lat, lng } = pin.getLatLng();
    const result = await api("/api/v1/me/places", { method: "POST", json: {
      name: document.getElementById("place-name").value,
      address: document.getElementById("place-address").value,
      is_home: document.getElementById("place-home").checked,
      point: { type: "Point", coordinates: [Number(lng.toFixed(7)), Number(lat.toFixed(7))] },
    } });
    if (result.ok) window.location.reload();
    else error.innerHTML = escapeHtml(errorText(result));
  });

  document.querySelectorAll(".delete-place").forEach((button) => {
    button.addEventListener("click", async () => {
      const result = await api(`/api/v1/me/places/${button.dataset.place}`, { method: "DELETE" });
      if (result.ok) window.location.reload();
    });
  });
})();
