// One notice's page: its target area on the municipality's map.
(function () {
  "use strict";
  const element = document.getElementById("notice-map");
  if (!element) return;
  const map = Imbizo.municipalityMap(element);
  if (element.dataset.area) {
    const area = L.geoJSON(JSON.parse(element.dataset.area), { style: { color: "#b3261e", weight: 2, fillOpacity: 0.2 } }).addTo(map);
    if (area.getBounds().isValid()) map.fitBounds(area.getBounds().pad(0.2));
  }
})();
