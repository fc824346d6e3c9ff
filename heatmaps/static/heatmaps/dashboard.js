// The planners' dashboard: everything comes from /api/v1/heatmaps/ with the period and filters of the
// form: the map (a figure per ward or suburb, a hexagon grid in metres, or a density heatmap), the
// headline figures, a monthly chart with the forecast and its band, the table per area and the downloads.
(function () {
  "use strict";
  const { api, escapeHtml, errorText } = window.Imbizo;
  const code = document.getElementById("planning").dataset.municipality;
  const form = document.getElementById("filters");
  const mapElement = document.getElementById("map");
  const layerSelect = document.getElementById("map-layer");
  const figureSelect = document.getElementById("map-figure");
  const hexSelect = document.getElementById("hex-size");
  const freshness = document.getElementById("freshness");
  // Sequential, colour-blind safe (ColorBrewer Oranges, 5 classes); grey for "no value".
  const PALETTE = ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"];
  const NO_VALUE = "#dfe3e6";
  const FIGURE_LABELS = {};
  [...figureSelect.options].forEach((option) => { FIGURE_LABELS[option.value] = option.textContent; });

  function isoDay(date) {
    return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
  }
  const today = new Date();
  form.elements.to.value = isoDay(today);
  form.elements.from.value = isoDay(new Date(today.getFullYear() - 1, today.getMonth(), today.getDate() + 1));

  function query(extra = {}) {
    const params = new URLSearchParams({ municipality: code });
    for (const element of form.elements) {
      if (element.name && element.value) params.set(element.name, element.value);
    }
    for (const [key, value] of Object.entries(extra)) params.set(key, value);
    return params.toString();
  }

  // --- the map ---------------------------------------------------------------------------------
  const map = L.map(mapElement, { maxZoom: 18 });
  window.imbizoMap = map;
  if (mapElement.dataset.tileUrl) L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 18 }).addTo(map);
  const extent = (mapElement.dataset.extent || "").split(",").map(Number);
  if (extent.length === 4 && extent.every(Number.isFinite)) {
    map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
  } else {
    map.setView([-26.5, 28.4], 9);
  }
  let layer = null;
  // The current wards, outlined under the hexagons and the heat, so a planner knows where they are.
  const outlines = L.geoJSON(null, { interactive: false, style: { color: "#5b6770", weight: 1, fill: false, opacity: 0.7 } });
  api(`/api/v1/wards/?municipality=${encodeURIComponent(code)}`).then((result) => { if (result.ok) outlines.addData(result.body); });
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => L.DomUtil.create("div", "map-legend");
  legend.addTo(map);
  const legendElement = legend.getContainer();

  // Class breaks at the quantiles of the values (5 classes, fewer when there are few distinct values).
  function classBreaks(values) {
    const sorted = [...new Set(values.filter((v) => v !== null && v !== undefined))].sort((a, b) => a - b);
    if (!sorted.length) return [];
    const classes = Math.min(PALETTE.length, sorted.length);
    const breaks = [];
    for (let k = 1; k < classes; k += 1) breaks.push(sorted[Math.floor((k * sorted.length) / classes)]);
    return [...new Set(breaks)];
  }

  function colourOf(value, breaks) {
    if (value === null || value === undefined) return NO_VALUE;
    let index = 0;
    while (index < breaks.length && value >= breaks[index]) index += 1;
    const offset = PALETTE.length - breaks.length - 1;
    return PALETTE[Math.max(0, offset + index)];
  }

  function format(value, unit) {
    if (value === null || value === undefined) return "no value";
    if (unit === "share") return `${(100 * value).toFixed(1)}%`;
    if (unit === "hours") return `${value.toFixed(1)} h`;
    if (unit === "stars") return value.toFixed(2);
    return Number(value).toLocaleString("en-ZA");
  }

  function rangeLabel(low, high, unit, isLast) {
    if (unit === "issues") {  // whole numbers: each class is low to high - 1, the last includes the highest
      const top = isLast ? high : high - 1;
      return low === top ? format(low, unit) : `${format(low, unit)}–${format(top, unit)}`;
    }
    return `${format(low, unit)} – ${isLast ? "" : "under "}${format(high, unit)}`;
  }

  function drawLegend(title, breaks, unit, values) {
    const present = values.filter((v) => v !== null && v !== undefined);
    const lowest = present.length ? Math.min(...present) : 0;
    const highest = present.length ? Math.max(...present) : 0;
    const bounds = [lowest, ...breaks, highest];
    const offset = PALETTE.length - breaks.length - 1;
    let html = `<strong>${escapeHtml(title)}</strong>`;
    for (let k = 0; k <= breaks.length; k += 1) {
      html += `<div><i data-colour="${PALETTE[Math.max(0, offset + k)]}"></i>` +
        `${rangeLabel(bounds[k], bounds[k + 1], unit, k === breaks.length)}</div>`;
    }
    if (values.length > present.length) html += `<div><i data-colour="${NO_VALUE}"></i>No value (nothing to measure)</div>`;
    legendElement.innerHTML = present.length ? html : `<strong>${escapeHtml(title)}</strong><div>Nothing in this period</div>`;
    // Coloured through the CSSOM: the Content-Security-Policy refuses style attributes in markup.
    legendElement.querySelectorAll("i[data-colour]").forEach((swatch) => { swatch.style.background = swatch.dataset.colour; });
  }

  let mapRequest = 0;
  async function drawLayer() {
    const kind = layerSelect.value;
    document.getElementById("figure-control").hidden = kind !== "choropleth";
    document.getElementById("hex-control").hidden = kind !== "hexgrid";
    const ticket = (mapRequest += 1);
    mapElement.dataset.drawn = "";
    const urls = {
      choropleth: `/api/v1/heatmaps/choropleth?${query({ figure: figureSelect.value })}`,
      hexgrid: `/api/v1/heatmaps/hexgrid?${query({ size: hexSelect.value })}`,
      density: `/api/v1/heatmaps/density?${query({ cell: 250 })}`,
      hotspots: `/api/v1/heatmaps/asset-hotspots?${query({ limit: 100 })}`,
    };
    const result = await api(urls[kind]);
    if (ticket !== mapRequest) return;
    if (layer) map.removeLayer(layer);
    layer = null;
    if (kind === "choropleth") outlines.remove(); else outlines.addTo(map);
    if (!result.ok) {
      legendElement.innerHTML = `<span class="map-error">${escapeHtml(errorText(result))}</span>`;
      mapElement.dataset.drawn = "error";
      return;
    }
    if (kind === "density") {
      const { points, max } = result.body;
      layer = L.heatLayer(points.map(([lat, lon, n]) => [lat, lon, n / Math.max(max, 1)]),
        { radius: 16, blur: 18, maxZoom: 13, max: 1, minOpacity: 0.25 }).addTo(map);
      legendElement.innerHTML = `<strong>Issues logged: density</strong><div>250 m squares, darkest: ${format(max)} issues</div>`;
      mapElement.dataset.drawn = `density:${points.length}`;
      return;
    }
    if (kind === "hotspots") { drawHotspots(result.body); return; }
    const collection = result.body;
    const valueOf = kind === "hexgrid" ? (f) => f.properties.issues : (f) => f.properties.value;
    const values = collection.features.map(valueOf);
    const breaks = classBreaks(values);
    const unit = kind === "hexgrid" ? "issues" : collection.unit;
    layer = L.geoJSON(collection, {
      style: (feature) => ({
        color: kind === "hexgrid" ? "#7f2704" : "#4a5560", weight: kind === "hexgrid" ? 0.5 : 1.2,
        fillColor: colourOf(valueOf(feature), breaks), fillOpacity: kind === "hexgrid" ? 0.85 : 0.78,
      }),
      onEachFeature: (feature, featureLayer) => {
        const name = kind === "hexgrid" ? `Hexagon ${feature.properties.i}, ${feature.properties.j}` : feature.properties.name;
        featureLayer.bindTooltip(`<strong>${escapeHtml(name)}</strong><br>${format(valueOf(feature), unit)}`, { sticky: true });
      },
    }).addTo(map);
    const title = kind === "hexgrid" ? `Issues logged per ${hexSelect.selectedOptions[0].textContent} hexagon`
      : FIGURE_LABELS[figureSelect.value];
    drawLegend(title, breaks, unit, values);
    mapElement.dataset.drawn = `${kind}:${collection.features.length}`;
  }

  // Assets with repeat issues: a circle (or a thick line) sized by how many, most first.
  function drawHotspots(collection) {
    const most = Math.max(1, ...collection.features.map((f) => f.properties.issues));
    const size = (n) => 5 + 11 * Math.sqrt(n / most);
    layer = L.geoJSON(collection, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
        radius: size(feature.properties.issues), color: "#fff", weight: 1.5, fillColor: "#b30000", fillOpacity: 0.8 }),
      style: (feature) => ({ color: "#b30000", weight: Math.max(3, size(feature.properties.issues) / 2), opacity: 0.8 }),
      onEachFeature: (feature, featureLayer) => {
        const p = feature.properties;
        featureLayer.bindTooltip(`<strong>${escapeHtml(p.external_id)}</strong> (${escapeHtml(p.asset_type_name)})<br>` +
          `${format(p.issues)} issues, the last on ${escapeHtml(p.last_reported.slice(0, 10))}<br>` +
          `reported ${format(p.mean_distance_m)} m from it on average`, { sticky: true });
      },
    }).addTo(map);
    legendElement.innerHTML = collection.features.length
      ? `<strong>Asset hotspots</strong><div>${collection.features.length} assets with repeat issues; the most: ${format(most)}</div>`
      : "<strong>Asset hotspots</strong><div>No asset has repeat issues in this period</div>";
    mapElement.dataset.drawn = `hotspots:${collection.features.length}`;
  }

  // --- figures: headline and table -------------------------------------------------------------
  const COLUMNS = [
    ["logged", "Logged", "issues"], ["acknowledged", "Acknowledged", "issues"], ["resolved", "Resolved", "issues"],
    ["backlog", "Open at the end", "issues"], ["median_hours_to_acknowledge", "Median to acknowledge", "hours"],
    ["median_hours_to_resolve", "Median to resolve", "hours"], ["p90_hours_to_resolve", "90th pct to resolve", "hours"],
    ["share_within_sla", "Within SLA", "share"], ["mean_rating", "Mean rating", "stars"],
    ["repeat_issues", "Repeat issues per asset", "issues"],
  ];
  let tableRequest = 0;
  async function loadFigures() {
    const ticket = (tableRequest += 1);
    const result = await api(`/api/v1/heatmaps/figures?${query()}`);
    if (ticket !== tableRequest) return;
    const table = document.getElementById("figures-table");
    if (!result.ok) {
      freshness.innerHTML = `<span class="map-error">${escapeHtml(errorText(result))}</span>`;
      return;
    }
    const answer = result.body;
    const when = answer.freshness.refreshed_at ? new Date(answer.freshness.refreshed_at) : null;
    freshness.textContent = `${answer.query.from} to ${answer.query.to}. Figures refreshed ` +
      `${when ? when.toLocaleTimeString("en-ZA") : "just now"} (at most ${answer.freshness.staleness_bound_seconds} s behind).`;
    const total = answer.total;
    document.getElementById("headline").innerHTML = [
      ["Logged", format(total.logged)], ["Resolved", format(total.resolved)], ["Open at the end", format(total.backlog)],
      ["Median to resolve", format(total.median_hours_to_resolve, "hours")],
      ["Within SLA", format(total.share_within_sla, "share")], ["Mean rating", format(total.mean_rating, "stars")],
    ].map(([label, value]) => `<div><dt>${label}</dt><dd>${value}</dd></div>`).join("");
    const areaLabel = answer.query.level === "ward" ? "Ward" : "Suburb";
    document.getElementById("figures-head").innerHTML = `<th scope="col">${areaLabel}</th>` +
      COLUMNS.map(([, label]) => `<th scope="col">${label}</th>`).join("");
    const cell = (value, unit) => (value === null || value === undefined ? '<td title="nothing to measure">–</td>'
      : `<td>${format(value, unit)}</td>`);
    const cells = (row) => COLUMNS.map(([key, , unit]) => cell(row[key], unit)).join("");
    document.getElementById("figures-body").innerHTML = answer.areas.map((area) =>
      `<tr data-area="${area.id}"><th scope="row">${escapeHtml(area.name)}</th>${cells(area)}</tr>`).join("");
    const extra = [];
    if (answer.outside_areas.logged || answer.outside_areas.backlog) extra.push([`Outside these ${areaLabel.toLowerCase()}s`, answer.outside_areas]);
    if (answer.no_location.logged || answer.no_location.backlog) extra.push(["No location (imported)", answer.no_location]);
    extra.push(["All of " + code, total]);
    document.getElementById("figures-foot").innerHTML = extra.map(([label, row]) =>
      `<tr><td>${escapeHtml(label)}</td>${cells(row)}</tr>`).join("");
    table.dataset.rows = String(answer.areas.length);
  }

  document.getElementById("figures-body").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-area]");
    if (!row || !layer || !layer.eachLayer) return;
    document.querySelectorAll("#figures-body tr.selected").forEach((r) => r.classList.remove("selected"));
    row.classList.add("selected");
    layer.eachLayer((featureLayer) => {
      if (String(featureLayer.feature && featureLayer.feature.id) === row.dataset.area) {
        map.fitBounds(featureLayer.getBounds(), { maxZoom: 14 });
        featureLayer.openTooltip();
      }
    });
  });

  // --- the chart: months of the period, then the forecast with its band -------------------------
  const chart = document.getElementById("chart");
  let chartRequest = 0;
  async function loadChart() {
    const ticket = (chartRequest += 1);
    const [trend, forecast] = await Promise.all([
      api(`/api/v1/heatmaps/trends?${query({ interval: "month", by: "total" })}`),
      api(`/api/v1/heatmaps/forecast?${query({ months: 6, by: "total" })}`),
    ]);
    if (ticket !== chartRequest) return;
    if (!trend.ok || !forecast.ok) {
      chart.innerHTML = `<text x="10" y="20">${escapeHtml(errorText(trend.ok ? forecast : trend))}</text>`;
      return;
    }
    drawChart(trend.body.series[0].points, forecast.body.series[0], forecast.body);
  }

  function drawChart(history, series, forecastAnswer) {
    const ahead = series.forecast.filter((point) => !history.some((h) => h.period_start === point.month));
    const months = [...history.map((h) => h.period_start), ...ahead.map((f) => f.month)];
    const width = 560, height = 240, left = 44, right = 10, top = 12, bottom = 34;
    const plotWidth = width - left - right, plotHeight = height - top - bottom;
    const highest = Math.max(1, ...history.map((h) => Math.max(h.logged, h.resolved)), ...ahead.map((f) => f.upper));
    const step = niceStep(highest / 4);
    const yMax = Math.ceil(highest / step) * step;
    const slot = plotWidth / Math.max(months.length, 1);
    const x = (index) => left + slot * (index + 0.5);
    const y = (value) => top + plotHeight - (plotHeight * value) / yMax;
    const parts = [];
    for (let value = 0; value <= yMax + 1e-9; value += step) {
      parts.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}"/>`);
      parts.push(`<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${Math.round(value).toLocaleString("en-ZA")}</text>`);
    }
    history.forEach((point, index) => {
      const barHeight = y(0) - y(point.logged);
      parts.push(`<rect x="${x(index) - slot * 0.35}" y="${y(point.logged)}" width="${slot * 0.7}" height="${barHeight}"` +
        ` fill="#6baed6"${point.partial ? ' fill-opacity="0.55"' : ""}><title>${point.period_start}: ${point.logged} logged` +
        `${point.partial ? " (part of the month)" : ""}</title></rect>`);
    });
    if (history.length) {
      parts.push(`<polyline fill="none" stroke="#1b7f3b" stroke-width="2.5" points="${history.map((p, i) => `${x(i)},${y(p.resolved)}`).join(" ")}"/>`);
    }
    if (ahead.length) {
      const start = history.length;
      const upper = ahead.map((f, i) => `${x(start + i)},${y(f.upper)}`);
      const lower = ahead.map((f, i) => `${x(start + i)},${y(f.lower)}`).reverse();
      parts.push(`<polygon fill="rgba(179,38,30,0.18)" stroke="none" points="${[...upper, ...lower].join(" ")}"/>`);
      parts.push(`<polyline fill="none" stroke="#b3261e" stroke-width="2.5" stroke-dasharray="6 4" points="${
        ahead.map((f, i) => `${x(start + i)},${y(f.issues)}`).join(" ")}"/>`);
      ahead.forEach((f, i) => parts.push(`<circle cx="${x(start + i)}" cy="${y(f.issues)}" r="3" fill="#b3261e">` +
        `<title>${f.month}: ${f.issues} forecast (${f.lower} to ${f.upper})</title></circle>`));
      parts.push(`<line class="axis" x1="${left + slot * start}" x2="${left + slot * start}" y1="${top}" y2="${y(0)}" stroke-dasharray="3 3"/>`);
    }
    parts.push(`<line class="axis" x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}"/>`);
    const every = Math.ceil(months.length / 12);
    months.forEach((month, index) => {
      if (index % every) return;
      const date = new Date(`${month}T00:00:00`);
      const label = date.toLocaleDateString("en-ZA", { month: "short" }) + (date.getMonth() === 0 || index === 0 ? ` ${date.getFullYear()}` : "");
      parts.push(`<text x="${x(index)}" y="${height - bottom + 16}" text-anchor="middle">${label}</text>`);
    });
    chart.innerHTML = parts.join("");
    chart.dataset.drawn = `${history.length}+${ahead.length}`;
    const note = document.getElementById("forecast-note");
    const method = { seasonal_naive: "seasonal naive (same month last year)", linear_trend: "linear trend", mean: "mean", none: "no history" }[series.method] || series.method;
    note.textContent = `Forecast: ${method}, from ${forecastAnswer.history_months.length} whole months; ${forecastAnswer.band}.`;
  }

  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
    const fraction = raw / power;
    return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  }

  // --- downloads -------------------------------------------------------------------------------
  function updateDownloads() {
    document.querySelectorAll("#downloads a[data-export]").forEach((link) => {
      const extra = Object.fromEntries(new URLSearchParams(link.dataset.extra || ""));
      if (link.dataset.export === "map.html") extra.figure = figureSelect.value;
      link.href = `/api/v1/heatmaps/${link.dataset.export}?${query(extra)}`;
    });
  }

  function refreshAll() {
    drawLayer();
    loadFigures();
    loadChart();
    updateDownloads();
  }
  form.addEventListener("change", refreshAll);
  form.addEventListener("submit", (event) => event.preventDefault());
  layerSelect.addEventListener("change", drawLayer);
  figureSelect.addEventListener("change", () => { drawLayer(); updateDownloads(); });
  hexSelect.addEventListener("change", drawLayer);
  refreshAll();
})();
