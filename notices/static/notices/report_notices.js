// On the report page: the active notices whose area covers the pin ("Known water outage here
// until 15:00"), so residents need not report what the municipality already knows.
(function () {
  "use strict";
  const box = document.getElementById("known-notices");
  const mapElement = document.getElementById("map");
  if (!box || !mapElement) return;
  const t = window.gettext || ((text) => text);
  const interpolate = window.interpolate || ((text) => text);
  const { api, escapeHtml } = window.Imbizo;
  const code = mapElement.dataset.municipality;
  let sequence = 0;

  function until(iso) {
    const end = new Date(iso);
    const sameDay = end.toDateString() === new Date().toDateString();
    return end.toLocaleString([], sameDay ? { hour: "2-digit", minute: "2-digit" }
      : { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  document.addEventListener("imbizo:pin", async (event) => {
    const { lat, lng } = event.detail;
    const mine = ++sequence;
    const params = new URLSearchParams({ municipality: code, lat: lat.toFixed(6), lon: lng.toFixed(6), active: "true" });
    let result = null;
    try { result = await api("/api/v1/notices?" + params.toString()); } catch (error) { result = null; }
    if (mine !== sequence) return;
    const features = result && result.ok ? result.body.features : [];
    box.hidden = features.length === 0;
    box.innerHTML = features.map((feature) => {
      const properties = feature.properties;
      const text = properties.ends_at
        ? interpolate(t("Known here: %(title)s, until %(end)s."), { title: properties.title, end: until(properties.ends_at) }, true)
        : interpolate(t("Known here: %(title)s."), { title: properties.title }, true);
      return `<p><a href="/m/${encodeURIComponent(code)}/notices/${feature.id}/">${escapeHtml(text)}</a></p>`;
    }).join("");
  });
})();
