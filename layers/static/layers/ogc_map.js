// The map on the OGC API HTML pages: the page's features (GeoJSON in #ogc-features) on Leaflet.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("ogc-features").textContent);
  const map = L.map("ogc-map");
  const drawn = L.geoJSON(data).addTo(map);
  if (drawn.getLayers().length) { map.fitBounds(drawn.getBounds()); } else { map.setView([-26.5, 28.4], 8); }
})();
