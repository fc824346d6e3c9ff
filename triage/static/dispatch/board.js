// The dispatcher board: the map and the queue draw the same filtered issues (one GeoJSON answer
// from /api/v1/board/issues), selecting a marker selects its row and the reverse, actions go to
// /api/v1/board/actions for one or many issues, and the board refreshes itself every few seconds
// with only what changed (updated_since). Thousands of issues stay smooth: markers are drawn on a
// canvas and the queue renders only the rows in view.
(function () {
  "use strict";
  const { api, escapeHtml, errorText } = window.Imbizo;
  const root = document.getElementById("board");
  const isDispatcher = root.dataset.dispatcher === "true";
  const filtersForm = document.getElementById("filters");
  const queue = document.getElementById("queue");
  const spacer = document.getElementById("queue-spacer");
  const emptyNote = document.getElementById("queue-empty");
  const queueCount = document.getElementById("queue-count");
  const clusterCount = document.getElementById("cluster-count");
  const selectionCount = document.getElementById("selection-count");
  const selectAll = document.getElementById("select-all");
  const refreshNote = document.getElementById("refresh-note");
  const detail = document.getElementById("detail");
  const slaStrip = document.getElementById("sla-strip");
  const totals = document.getElementById("board-totals");
  const dialog = document.getElementById("action-dialog");
  const actionForm = document.getElementById("action-form");
  const help = document.getElementById("help");

  const ROW_HEIGHT = 44;
  const REFRESH_MS = 5000;
  const SLOW_REFRESH_MS = 30000;
  const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2, low: 3 };
  const PRIORITY_COLOUR = { urgent: "#c62828", high: "#ef6c00", normal: "#1f6fb2", low: "#8a98a5" };
  const STATUS_LABEL = {
    submitted: "Submitted", acknowledged: "Acknowledged", assigned: "Assigned", in_progress: "In progress",
    resolved: "Resolved", closed: "Closed", rejected: "Rejected", duplicate: "Duplicate", reopened: "Reopened",
  };
  const ACTION_TITLE = {
    acknowledge: "Acknowledge", assign: "Assign", route: "Re-route", priority: "Set the priority",
    status: "Change the status", note: "Add an internal note", merge: "Merge duplicates", reject: "Reject",
    unmerge: "Separate from its parent",
  };

  const map = Imbizo.municipalityMap(document.getElementById("map"));
  window.imbizoMap = map; // for the browser tests and the console
  map.zoomControl.setPosition("topright"); // the issue's panel opens on the left
  const renderer = L.canvas({ padding: 0.3 });
  const markerLayer = L.layerGroup().addTo(map);
  const clusterLayer = L.layerGroup().addTo(map);

  const state = {
    rows: [], // features in queue order
    byRef: new Map(), // reference -> {feature, marker, received}
    selected: new Set(),
    current: null,
    since: null,
    matched: 0,
    clusters: [],
    inCluster: new Set(),
    generation: 0, // bumps on every full load, so a slow refresh of old filters is dropped
    fitPending: false, // the issues changed while the map was off screen (a phone showing the list)
  };

  // --- filters ------------------------------------------------------------------------------------

  const FILTER_NAMES = ["ward", "department", "category", "status", "priority", "overdue", "duplicates", "channel", "assignee", "sort", "q"];

  // A superuser may see every municipality through the API; this page is one municipality's board.
  const scope = root.dataset.superuser === "true" ? root.dataset.municipality : "";

  function filterParams() {
    const params = new URLSearchParams();
    FILTER_NAMES.forEach((name) => {
      const value = filtersForm.elements[name].value.trim();
      if (value && !(name === "sort" && value === "priority")) params.set(name, value);
    });
    const age = filtersForm.elements.age.value;
    if (age) { const [name, value] = age.split("="); params.set(name, value); }
    return params;
  }

  function apiParams() {
    const params = filterParams();
    if (scope) params.set("municipality", scope);
    return params;
  }

  function restoreFilters() {
    const params = new URLSearchParams(window.location.search);
    FILTER_NAMES.forEach((name) => { if (params.has(name)) filtersForm.elements[name].value = params.get(name); });
    ["newer_than", "older_than"].forEach((name) => {
      if (params.has(name)) filtersForm.elements.age.value = `${name}=${params.get(name)}`;
    });
  }

  function filtersChanged() {
    const query = filterParams().toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    showActiveFilters();
    loadAll();
  }

  filtersForm.addEventListener("change", filtersChanged);
  let searchTimer = null;
  filtersForm.elements.q.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(filtersChanged, 350); });
  filtersForm.addEventListener("submit", (event) => { event.preventDefault(); filtersChanged(); });
  document.getElementById("filters-clear").addEventListener("click", () => {
    filtersForm.reset();
    filtersChanged();
  });

  // --- time left ----------------------------------------------------------------------------------

  function duration(seconds) {
    seconds = Math.abs(Math.round(seconds));
    const parts = [];
    for (const [name, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
      const amount = Math.floor(seconds / size);
      seconds -= amount * size;
      if (amount) parts.push(`${amount} ${name}`); else if (parts.length) break;
      if (parts.length === 2) break;
    }
    return parts.join(" ") || "under a minute";
  }

  // Seconds left now: the server's figure, less the time since it was sent.
  function secondsLeft(entry) {
    const left = entry.feature.properties.seconds_left;
    if (left === null || left === undefined) return null;
    return left - (Date.now() - entry.received) / 1000;
  }

  function isOpen(status) { return !["resolved", "closed", "rejected", "duplicate"].includes(status); }

  function targetText(entry) {
    const p = entry.feature.properties;
    const left = secondsLeft(entry);
    if (left === null || !isOpen(p.status)) return { text: "—", overdue: false };
    if (left < 0) return { text: "overdue " + duration(left), overdue: true };
    return { text: duration(left) + " left", overdue: false };
  }

  // --- loading ------------------------------------------------------------------------------------

  // The queue's times are seconds since 1970 (UTC), as numbers.
  function compare(sort) {
    const time = (value) => (value === null || value === undefined ? Infinity : value);
    const byPriority = (a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
    const byDue = (a, b) => time(a.expected_at) - time(b.expected_at);
    const byCreated = (a, b) => time(a.created_at) - time(b.created_at);
    const byRef = (a, b) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0);
    const chains = {
      priority: [byPriority, byDue, byCreated, byRef],
      due: [byDue, byPriority, byCreated, byRef],
      oldest: [byCreated, byRef],
      newest: [(a, b) => -byCreated(a, b), (a, b) => -byRef(a, b)],
      updated: [(a, b) => time(b.updated_at) - time(a.updated_at), byRef],
    };
    const chain = chains[sort] || chains.priority;
    return (x, y) => {
      for (const step of chain) { const order = step(x.feature.properties, y.feature.properties); if (order) return order; }
      return 0;
    };
  }

  async function loadAll() {
    const generation = ++state.generation;
    refreshNote.textContent = "Loading…";
    root.dataset.loading = "true";
    let result = null;
    try { result = await api("/api/v1/board/issues?" + apiParams().toString()); } catch (error) { result = null; }
    if (generation !== state.generation) return;
    root.dataset.loading = "false";
    if (!result || !result.ok) {
      refreshNote.textContent = "The issues could not be loaded: " + errorText(result, "the server could not be reached") + ".";
      return;
    }
    const body = result.body;
    const received = Date.now();
    markerLayer.clearLayers();
    state.byRef.clear();
    state.rows = body.features.map((feature) => {
      feature.properties.reference = feature.id;
      const entry = { feature, received, marker: null };
      state.byRef.set(feature.id, entry);
      return entry;
    });
    state.matched = body.numberMatched;
    state.since = body.next_since;
    for (const reference of [...state.selected]) if (!state.byRef.has(reference)) state.selected.delete(reference);
    if (state.current && !state.byRef.has(state.current)) state.current = null;
    state.rows.forEach(drawMarker);
    renderQueue();
    fitToIssues();
    refreshNote.textContent = "";
    root.dataset.loaded = String(state.rows.length);
    loadClusters();
    loadSummary();
  }

  async function refresh() {
    if (!state.since || document.hidden || root.dataset.loading === "true") return;
    const generation = state.generation;
    const params = apiParams();
    params.set("updated_since", state.since);
    let result = null;
    try { result = await api("/api/v1/board/issues?" + params.toString()); } catch (error) { result = null; }
    if (generation !== state.generation || !result || !result.ok) return;
    const body = result.body;
    state.since = body.next_since;
    const received = Date.now();
    let changed = 0;
    body.features.forEach((feature) => {
      feature.properties.reference = feature.id;
      const known = state.byRef.get(feature.id);
      if (known && known.feature.properties.updated_at === feature.properties.updated_at) {
        known.feature = feature; known.received = received; // the overlap of two refreshes: nothing new
        return;
      }
      changed += 1;
      if (known) {
        known.feature = feature;
        known.received = received;
        drawMarker(known);
      } else {
        const entry = { feature, received, marker: null };
        state.byRef.set(feature.id, entry);
        state.rows.push(entry);
        state.matched += 1;
        drawMarker(entry);
      }
    });
    body.removed.forEach((reference) => {
      const entry = state.byRef.get(reference);
      if (!entry) return;
      changed += 1;
      state.matched -= 1;
      if (entry.marker) markerLayer.removeLayer(entry.marker);
      state.byRef.delete(reference);
      state.selected.delete(reference);
      if (state.current === reference) state.current = null;
    });
    if (!changed) return;
    state.rows = state.rows.filter((entry) => state.byRef.has(entry.feature.id));
    renderQueue();
    refreshNote.textContent = `${changed} change${changed === 1 ? "" : "s"} at ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
    if (state.current && !detail.hidden) showDetail(state.current, { quiet: true });
    loadClusters();
    loadSummary();
  }

  setInterval(refresh, REFRESH_MS);
  setInterval(() => { renderVisibleRows(); }, SLOW_REFRESH_MS); // the time-left figures

  // --- the map ------------------------------------------------------------------------------------

  function markerStyle(entry) {
    const p = entry.feature.properties;
    const current = state.current === entry.feature.id;
    const selected = state.selected.has(entry.feature.id);
    const overdue = targetText(entry).overdue;
    return {
      renderer,
      radius: current ? 10 : selected ? 8 : 6,
      fillColor: PRIORITY_COLOUR[p.priority] || "#1f6fb2",
      fillOpacity: isOpen(p.status) ? 0.9 : 0.45,
      color: current ? "#ffbf47" : selected ? "#111" : overdue ? "#6d0000" : "#ffffff",
      weight: current || selected || overdue ? 3 : 1,
    };
  }

  function drawMarker(entry) {
    const [lon, lat] = entry.feature.geometry.coordinates;
    if (entry.marker) {
      entry.marker.setLatLng([lat, lon]);
      entry.marker.setStyle(markerStyle(entry));
      return;
    }
    entry.marker = L.circleMarker([lat, lon], markerStyle(entry));
    entry.marker.on("click", (event) => {
      L.DomEvent.stopPropagation(event);
      if (event.originalEvent && (event.originalEvent.shiftKey || event.originalEvent.ctrlKey || event.originalEvent.metaKey)) {
        toggleSelected(entry.feature.id);
      }
      setCurrent(entry.feature.id, { scroll: true, open: true });
    });
    entry.marker.bindTooltip(() => `${escapeHtml(entry.feature.id)} · ${escapeHtml(entry.feature.properties.category_name)}`);
    markerLayer.addLayer(entry.marker);
  }

  // After a new filter, show where its issues are (a refresh never moves the map).
  function fitToIssues() {
    if (!mapShown()) { state.fitPending = true; return; }
    state.fitPending = false;
    const points = state.rows.map((entry) => entry.marker.getLatLng());
    if (points.length === 1) map.setView(points[0], Math.max(map.getZoom(), 16), { animate: false });
    else if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.08), { animate: false, maxZoom: 17 });
  }

  function restyle(reference) {
    const entry = state.byRef.get(reference);
    if (entry && entry.marker) {
      entry.marker.setStyle(markerStyle(entry));
      if (state.current === reference) entry.marker.bringToFront();
    }
  }

  // --- the queue ------------------------------------------------------------------------------------

  function renderQueue() {
    state.rows.sort(compare(filtersForm.elements.sort.value));
    spacer.style.height = `${state.rows.length * ROW_HEIGHT}px`;
    emptyNote.hidden = state.rows.length > 0;
    const shown = state.rows.length;
    const matched = state.matched && state.matched > shown ? ` of ${state.matched.toLocaleString()}` : "";
    queueCount.textContent = `${shown.toLocaleString()}${matched}`;
    updateSelection();
    renderVisibleRows();
  }

  function renderVisibleRows() {
    const first = Math.max(0, Math.floor(queue.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(state.rows.length, first + Math.ceil(queue.clientHeight / ROW_HEIGHT) + 10);
    const html = [];
    for (let index = first; index < last; index += 1) html.push(rowHtml(state.rows[index]));
    spacer.innerHTML = html.join("");
    // Positioned through the CSSOM: the Content-Security-Policy refuses style attributes in markup.
    spacer.querySelectorAll(".queue-row").forEach((row, offset) => { row.style.top = `${(first + offset) * ROW_HEIGHT}px`; });
    if (state.current) queue.setAttribute("aria-activedescendant", rowId(state.current)); else queue.removeAttribute("aria-activedescendant");
  }

  function rowId(reference) { return "row-" + reference.replace(/[^A-Za-z0-9-]/g, "_"); }

  function rowHtml(entry) {
    const p = entry.feature.properties;
    const reference = entry.feature.id;
    const selected = state.selected.has(reference);
    const target = targetText(entry);
    const classes = ["queue-row", `p-${p.priority}`];
    if (state.current === reference) classes.push("current");
    if (selected) classes.push("selected");
    if (target.overdue) classes.push("late-row");
    const badges = [];
    if (p.merged) badges.push(`<span class="badge merged" title="${p.merged} merged into it">+${p.merged}</span>`);
    if (state.inCluster.has(reference)) badges.push('<span class="badge likely" title="Likely duplicates nearby">dup?</span>');
    if (p.private) badges.push('<span class="badge private" title="Private category">private</span>');
    return `<div class="${classes.join(" ")}" id="${rowId(reference)}" role="option" aria-selected="${selected}" ` +
      `data-ref="${escapeHtml(reference)}">` +
      `<input type="checkbox" tabindex="-1" aria-label="Select ${escapeHtml(reference)}"${selected ? " checked" : ""}>` +
      `<span class="ref">${escapeHtml(reference)}${badges.join("")}</span>` +
      `<span class="cat" title="${escapeHtml(p.category_name)}">${escapeHtml(p.category_name)}</span>` +
      `<span class="ward">${p.ward ?? "—"}</span>` +
      `<span class="dept" title="${escapeHtml(p.department_name || "Not routed")}">${escapeHtml(p.department_name || "Not routed")}</span>` +
      `<span class="target${target.overdue ? " late" : ""}">${escapeHtml(target.text)}</span>` +
      `<span class="status"><span class="priority-dot" title="${escapeHtml(p.priority)} priority"></span>${escapeHtml(STATUS_LABEL[p.status] || p.status)}</span>` +
      "</div>";
  }

  queue.addEventListener("scroll", () => window.requestAnimationFrame(renderVisibleRows));
  window.addEventListener("resize", () => window.requestAnimationFrame(renderVisibleRows));

  queue.addEventListener("click", (event) => {
    const row = event.target.closest(".queue-row");
    if (!row) return;
    const reference = row.dataset.ref;
    if (event.target.matches("input[type=checkbox]") || event.shiftKey || event.ctrlKey || event.metaKey) {
      toggleSelected(reference);
      setCurrent(reference, { pan: false });
      return;
    }
    setCurrent(reference, { pan: true, open: true });
  });

  function indexOf(reference) { return state.rows.findIndex((entry) => entry.feature.id === reference); }

  function scrollToRow(reference) {
    const index = indexOf(reference);
    if (index < 0) return;
    const top = index * ROW_HEIGHT;
    if (top < queue.scrollTop) queue.scrollTop = top;
    else if (top + ROW_HEIGHT > queue.scrollTop + queue.clientHeight) queue.scrollTop = top + ROW_HEIGHT - queue.clientHeight;
  }

  function setCurrent(reference, { scroll = true, pan = false, open = false } = {}) {
    const previous = state.current;
    state.current = reference;
    if (previous) restyle(previous);
    restyle(reference);
    if (scroll) scrollToRow(reference);
    renderVisibleRows();
    root.dataset.current = reference;
    if (open) showDetail(reference);
    const entry = state.byRef.get(reference);
    if (entry && entry.marker) keepInView(entry.marker.getLatLng(), pan);
  }

  // Keep a marker in the part of the map the issue's panel does not cover: centred there when
  // `centre`, else moved only if it is hidden or at the edge.
  // On a phone the panel is a sheet across the bottom: then the part above it.
  function keepInView(latlng, centre) {
    if (!mapShown()) return;
    const size = map.getSize();
    const sheet = !detail.hidden && detail.offsetWidth >= size.x * 0.8;
    const left = detail.hidden || sheet ? 0 : detail.offsetLeft + detail.offsetWidth;
    const bottom = sheet ? Math.max(size.y * 0.3, detail.getBoundingClientRect().top - map.getContainer().getBoundingClientRect().top)
      : size.y;
    const point = map.latLngToContainerPoint(latlng);
    const margin = 24;
    const hidden = point.x < left + margin || point.x > size.x - margin || point.y < margin || point.y > bottom - margin;
    if (!centre && !hidden) return;
    map.panBy([point.x - (left + (size.x - left) / 2), point.y - bottom / 2], { animate: false });
  }

  function move(step) {
    if (!state.rows.length) return;
    let index = state.current ? indexOf(state.current) : -1;
    index = Math.max(0, Math.min(state.rows.length - 1, index + step));
    setCurrent(state.rows[index].feature.id, { pan: true, open: !detail.hidden });
  }

  function toggleSelected(reference) {
    if (state.selected.has(reference)) state.selected.delete(reference); else state.selected.add(reference);
    restyle(reference);
    updateSelection();
    renderVisibleRows();
  }

  function updateSelection() {
    const count = state.selected.size;
    selectionCount.textContent = `${count} selected`;
    selectAll.checked = count > 0 && count === state.rows.length;
    selectAll.indeterminate = count > 0 && count < state.rows.length;
    root.dataset.selected = String(count);
  }

  selectAll.addEventListener("change", () => {
    if (selectAll.checked) state.rows.forEach((entry) => state.selected.add(entry.feature.id)); else state.selected.clear();
    state.rows.forEach((entry) => { if (entry.marker) entry.marker.setStyle(markerStyle(entry)); });
    updateSelection();
    renderVisibleRows();
  });

  function clearSelection() {
    const was = [...state.selected];
    state.selected.clear();
    was.forEach(restyle);
    updateSelection();
    renderVisibleRows();
  }

  // --- one issue ------------------------------------------------------------------------------------

  let detailSequence = 0;
  async function showDetail(reference, { quiet = false } = {}) {
    const sequence = ++detailSequence;
    if (!quiet) { detail.hidden = false; detail.innerHTML = `<p class="muted">Loading ${escapeHtml(reference)}…</p>`; }
    let result = null;
    try { result = await api(`/api/v1/board/issues/${encodeURIComponent(reference)}`); } catch (error) { result = null; }
    if (sequence !== detailSequence) return;
    if (!result || !result.ok) {
      detail.innerHTML = `<p class="field-error">${escapeHtml(errorText(result, "This issue could not be loaded."))}</p>`;
      return;
    }
    detail.innerHTML = detailHtml(result.body);
    detail.hidden = false;
    detail.dataset.reference = reference;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }) : "—";
  }

  function detailHtml(issue) {
    const facts = [
      ["Status", STATUS_LABEL[issue.status] || issue.status], ["Priority", issue.priority],
      ["Target", issue.sla ? issue.sla.label : "—"], ["Category", issue.category.name],
      ["Department", issue.department || "Not routed"], ["Assigned to", issue.assignee || "—"],
      ["Ward", issue.ward ? issue.ward.number : "—"], ["Suburb", issue.suburb ? issue.suburb.name : "—"],
      ["Address", issue.address || "—"], ["Channel", issue.channel], ["Reported", when(issue.created_at)],
      ["Me too", issue.upvotes],
    ];
    if (issue.duplicate_of) facts.push(["Duplicate of", issue.duplicate_of]);
    if (issue.asset) facts.push(["Asset", `${issue.asset.type} ${issue.asset.external_id} (${Math.round(issue.asset.distance_m)} m)`]);
    const reporter = issue.reporter
      ? [issue.reporter.name, issue.reporter.phone, issue.reporter.email].filter(Boolean).map(escapeHtml).join(" · ") || "Anonymous"
      : "—";
    const answers = issue.answers && Object.keys(issue.answers).length
      ? "<dl class='facts'>" + Object.entries(issue.answers).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(Array.isArray(v) ? v.join(", ") : v)}</dd>`).join("") + "</dl>"
      : "";
    // Each file as what it is: a photo's thumbnail, a player for video and audio (served with
    // byte ranges, so they seek), a link for a PDF.
    const photos = (issue.media || []).map((m) => {
      const url = escapeHtml(m.url);
      const type = escapeHtml(m.content_type || "");
      if (m.kind === "image") {
        return `<a href="${url}" target="_blank" rel="noopener"><img src="${escapeHtml(m.thumbnail_url || m.url)}" alt="Photo of ${escapeHtml(issue.reference)}" loading="lazy"></a>`;
      }
      if (m.kind === "video") {
        return `<video controls preload="metadata" aria-label="Video of ${escapeHtml(issue.reference)}"><source src="${url}" type="${type}"></video>`;
      }
      if (m.kind === "audio") {
        return `<audio controls preload="metadata" aria-label="Recording of ${escapeHtml(issue.reference)}"><source src="${url}" type="${type}"></audio>`;
      }
      return `<a href="${url}" target="_blank" rel="noopener" class="media-link">${escapeHtml((m.kind || "file").toUpperCase())}</a>`;
    }).join("");
    const history = (issue.history || []).slice(-8).reverse().map((h) =>
      `<li><span class="muted">${when(h.at)}</span> ${escapeHtml(h.action === "status" ? (STATUS_LABEL[h.to_status] || h.to_status) : h.action)}` +
      ` <span class="muted">by ${escapeHtml(h.by || "")}</span>${h.public_note ? `<br>“${escapeHtml(h.public_note)}”` : ""}` +
      `${h.internal_note ? `<br><em class="internal">Internal: ${escapeHtml(h.internal_note)}</em>` : ""}</li>`).join("");
    const comments = (issue.comments || []).map((c) =>
      `<li class="${c.internal ? "internal" : ""}"><span class="muted">${when(c.created_at)} · ${escapeHtml(c.by)}${c.internal ? " · internal" : ""}</span><br>${escapeHtml(c.body)}</li>`).join("");
    const merged = (issue.merged || []).map((m) =>
      `<li><strong>${escapeHtml(m.reference)}</strong> <span class="muted">${when(m.created_at)} · ${escapeHtml(m.channel)}</span>` +
      `${m.description ? `<br>${escapeHtml(m.description)}` : ""}` +
      `${m.comments.length ? `<br><span class="muted">${m.comments.length} comment(s):</span> ` + m.comments.map((c) => escapeHtml(c.body)).join(" · ") : ""}` +
      `${m.media.length ? `<br><span class="muted">${m.media.length} file(s)</span>` : ""}` +
      (isDispatcher && m.status === "duplicate" ? ` <button type="button" class="link-button" data-unmerge="${escapeHtml(m.reference)}">Separate</button>` : "") +
      "</li>").join("");
    return `<header class="detail-head"><h2>${escapeHtml(issue.reference)}</h2>` +
      `<button type="button" class="secondary" id="detail-close" aria-label="Close the issue">×</button></header>` +
      `<div class="detail-actions" role="toolbar" aria-label="Actions on ${escapeHtml(issue.reference)}">${detailActions()}</div>` +
      `<p class="detail-description">${escapeHtml(issue.description || "No description.")}</p>` +
      `<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}` +
      `<dt>Reporter</dt><dd>${reporter}</dd></dl>${answers}` +
      (photos ? `<div class="detail-photos">${photos}</div>` : "") +
      (merged ? `<h3>Merged into this one</h3><ul class="detail-list">${merged}</ul>` : "") +
      (comments ? `<h3>Comments</h3><ul class="detail-list">${comments}</ul>` : "") +
      `<h3>History</h3><ul class="detail-list">${history}</ul>` +
      `<p><a href="/track/${encodeURIComponent(issue.reference)}/" target="_blank" rel="noopener">Public page</a></p>`;
  }

  function detailActions() {
    const buttons = [...document.querySelectorAll(".queue-toolbar [data-action]")]
      .filter((button) => button.dataset.action !== "merge")
      .map((button) => `<button type="button" data-detail-action="${button.dataset.action}"` +
        `${button.classList.contains("danger") ? ' class="danger"' : ""}>${escapeHtml(button.textContent)}</button>`);
    return buttons.join("") + '<button type="button" class="secondary" data-detail-map>On the map</button>';
  }

  detail.addEventListener("click", (event) => {
    if (event.target.id === "detail-close") { closeDetail(); return; }
    const reference = detail.dataset.reference;
    if (event.target.dataset.detailAction && reference) {
      const action = event.target.dataset.detailAction;
      if (action === "acknowledge") act("acknowledge", [reference], {}); else openAction(action, [reference]);
      return;
    }
    if (event.target.dataset.detailMap !== undefined && reference) {
      showView("map");
      const entry = state.byRef.get(reference);
      if (entry && entry.marker) { map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 16), { animate: false }); keepInView(entry.marker.getLatLng(), true); }
      return;
    }
    const unmerge = event.target.dataset.unmerge;
    if (unmerge) openAction("unmerge", [unmerge]);
  });

  function closeDetail() { detail.hidden = true; detailSequence += 1; }

  // --- likely duplicates --------------------------------------------------------------------------

  const tabQueue = document.getElementById("tab-queue");
  const tabClusters = document.getElementById("tab-clusters");
  const queuePanel = document.getElementById("queue-panel");
  const clustersPanel = document.getElementById("clusters-panel");

  function showTab(which) {
    const clusters = which === "clusters";
    tabQueue.setAttribute("aria-selected", String(!clusters));
    tabClusters.setAttribute("aria-selected", String(clusters));
    queuePanel.hidden = clusters;
    clustersPanel.hidden = !clusters;
    if (!clusters) renderVisibleRows();
  }
  tabQueue.addEventListener("click", () => showTab("queue"));
  tabClusters.addEventListener("click", () => showTab("clusters"));

  let clusterSequence = 0;
  async function loadClusters() {
    const sequence = ++clusterSequence;
    const params = apiParams();
    params.delete("sort");
    params.delete("duplicates");
    let result = null;
    try { result = await api("/api/v1/board/clusters?" + params.toString()); } catch (error) { result = null; }
    if (sequence !== clusterSequence || !result || !result.ok) return;
    state.clusters = result.body.clusters;
    state.inCluster = new Set(state.clusters.flatMap((group) => group.issues));
    clusterCount.textContent = String(state.clusters.length);
    clusterLayer.clearLayers();
    const list = document.getElementById("clusters");
    list.innerHTML = state.clusters.map((group, index) =>
      `<li class="cluster" data-index="${index}"><strong>${escapeHtml(group.category_name)}</strong> · ${group.size} reports ` +
      `<span class="muted">within ${group.radius_m} m of each other</span><br>` +
      group.issues.map((reference, n) => `<span class="${n === 0 ? "parent" : ""}">${escapeHtml(reference)}</span>`).join(", ") +
      `<div class="button-row"><button type="button" class="secondary" data-cluster-select="${index}">Select on the map</button>` +
      (isDispatcher ? `<button type="button" data-cluster-merge="${index}">Merge into ${escapeHtml(group.parent)}</button>` : "") +
      "</div></li>").join("") || "<li class='muted'>No likely duplicates among these issues.</li>";
    state.clusters.forEach((group) => {
      L.geoJSON(group.outline, { interactive: false, style: { color: "#6a1b9a", weight: 2, dashArray: "4 4", fill: true, fillOpacity: 0.08 } })
        .addTo(clusterLayer);
      const [lon, lat] = group.centre.coordinates;
      L.circleMarker([lat, lon], { renderer, radius: 14, color: "#6a1b9a", weight: 2, fill: false, dashArray: "3 3", interactive: false })
        .addTo(clusterLayer);
    });
    renderVisibleRows();
  }

  document.getElementById("clusters").addEventListener("click", (event) => {
    const select = event.target.dataset.clusterSelect;
    const merge = event.target.dataset.clusterMerge;
    const group = state.clusters[Number(select ?? merge)];
    if (!group) return;
    clearSelection();
    group.issues.forEach((reference) => { if (state.byRef.has(reference)) { state.selected.add(reference); restyle(reference); } });
    updateSelection();
    const points = group.issues.map((reference) => state.byRef.get(reference)).filter(Boolean).map((entry) => entry.marker.getLatLng());
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.5), { maxZoom: 18 });
    setCurrent(group.parent, { scroll: true });
    if (merge !== undefined) openAction("merge", group.issues, { parent: group.parent });
  });

  // --- SLA counts -----------------------------------------------------------------------------------

  async function loadSummary() {
    let result = null;
    try { result = await api("/api/v1/board/summary" + (scope ? "?municipality=" + encodeURIComponent(scope) : "")); } catch (error) { result = null; }
    if (!result || !result.ok) return;
    const body = result.body;
    totals.textContent = `${body.open.toLocaleString()} open · ${body.overdue.toLocaleString()} overdue · ${body.due_today.toLocaleString()} due today`;
    slaStrip.innerHTML = body.departments.map((row) =>
      `<button type="button" class="sla-chip${row.overdue ? " has-overdue" : ""}" data-department="${escapeHtml(row.department || "none")}" ` +
      `title="Show the overdue issues of ${escapeHtml(row.department_name)}">${escapeHtml(row.department_name)}: ${row.open.toLocaleString()} open` +
      `${row.overdue ? `, <strong>${row.overdue.toLocaleString()} overdue</strong>` : ""}</button>`).join("");
  }

  slaStrip.addEventListener("click", (event) => {
    const chip = event.target.closest(".sla-chip");
    if (!chip) return;
    filtersForm.elements.department.value = chip.dataset.department;
    filtersForm.elements.overdue.value = "true";
    filtersChanged();
  });
  setInterval(() => { if (!document.hidden) loadSummary(); }, SLOW_REFRESH_MS);

  // --- actions --------------------------------------------------------------------------------------

  let pending = null;

  function targets() {
    if (state.selected.size) return state.rows.map((entry) => entry.feature.id).filter((reference) => state.selected.has(reference));
    return state.current ? [state.current] : [];
  }

  function openAction(action, references = targets(), { parent } = {}) {
    if (!references.length) { refreshNote.textContent = "Select an issue first (x, or click its row)."; return; }
    if (action === "merge" && references.length < 2) { refreshNote.textContent = "Select two or more issues to merge."; return; }
    pending = { action, references };
    document.getElementById("action-title").textContent = ACTION_TITLE[action];
    document.getElementById("action-targets").textContent =
      references.length === 1 ? references[0] : `${references.length} issues: ${references.slice(0, 6).join(", ")}${references.length > 6 ? "…" : ""}`;
    actionForm.querySelectorAll("[data-for]").forEach((field) => { field.hidden = !field.dataset.for.split(" ").includes(action); });
    actionForm.querySelectorAll("[data-only]").forEach((option) => { option.hidden = option.dataset.only !== action; });
    document.getElementById("a-public-label").firstChild.textContent = action === "reject" ? "Reason (required) " : "Public note ";
    actionForm.elements.public_note.value = "";
    actionForm.elements.internal_note.value = "";
    actionForm.elements.department.value = "";
    document.getElementById("action-error").textContent = "";
    if (action === "merge") {
      const parentSelect = actionForm.elements.parent;
      const oldest = parent || [...references].sort((a, b) =>
        (state.byRef.get(a)?.feature.properties.created_at || 0) - (state.byRef.get(b)?.feature.properties.created_at || 0))[0];
      parentSelect.innerHTML = references.map((reference) => `<option value="${escapeHtml(reference)}">${escapeHtml(reference)}</option>`).join("");
      parentSelect.value = oldest;
    }
    dialog.showModal();
    const first = [...actionForm.querySelectorAll(".field:not([hidden]) select, .field:not([hidden]) textarea")][0];
    if (first) first.focus();
  }

  document.querySelectorAll(".queue-toolbar [data-action]").forEach((button) => {
    button.addEventListener("click", () => {
      if (button.dataset.action === "acknowledge") act("acknowledge", targets(), {}); else openAction(button.dataset.action);
    });
  });
  document.getElementById("action-cancel").addEventListener("click", () => dialog.close());

  actionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pending) return;
    const form = actionForm.elements;
    const fields = { public_note: form.public_note.value, internal_note: form.internal_note.value };
    if (["assign", "route"].includes(pending.action)) fields.department = form.department.value;
    if (pending.action === "assign" && form.assignee.value) fields.assignee = Number(form.assignee.value);
    if (pending.action === "priority") fields.priority = form.priority.value;
    if (pending.action === "status") fields.status = form.status.value;
    if (pending.action === "merge") fields.parent = form.parent.value;
    const ok = await act(pending.action, pending.references, fields, document.getElementById("action-error"));
    if (ok) dialog.close();
  });

  async function act(action, references, fields, errorSlot) {
    if (!references.length) { refreshNote.textContent = "Select an issue first (x, or click its row)."; return false; }
    root.dataset.acting = "true";
    let result = null;
    try {
      result = await api("/api/v1/board/actions", { method: "POST", json: { action, issues: references, ...fields } });
    } catch (error) { result = null; }
    root.dataset.acting = "false";
    if (!result || (!result.ok && !(result.body && result.body.refused))) {
      const message = errorText(result, "The server could not be reached; nothing was changed.");
      if (errorSlot) errorSlot.textContent = message; else refreshNote.textContent = message;
      return false;
    }
    const body = result.body;
    const refused = Object.entries(body.refused || {});
    const done = body.done || [];
    refreshNote.textContent = `${ACTION_TITLE[action]}: ${done.length} done` +
      (refused.length ? `; ${refused.length} refused (${refused.slice(0, 3).map(([r, m]) => `${r}: ${m}`).join("; ")})` : "");
    if (!done.length && errorSlot) {
      errorSlot.textContent = refused.map(([r, m]) => `${r}: ${m}`).join(" ");
      root.dataset.lastAction = `${action}:0:${refused.length}`;
      return false;
    }
    if (dialog.open) dialog.close();
    done.forEach((reference) => state.selected.delete(reference));
    if (action === "merge" && done.length) state.selected.delete(fields.parent);
    updateSelection();
    await refresh();
    if (state.current && !detail.hidden) showDetail(state.current, { quiet: true });
    root.dataset.lastAction = `${action}:${done.length}:${refused.length}`; // once the board shows the change
    return true;
  }

  // --- keyboard ---------------------------------------------------------------------------------------

  const KEYS = {
    j: () => move(1), k: () => move(-1),
    x: () => { if (state.current) toggleSelected(state.current); },
    o: () => { if (state.current) setCurrent(state.current, { pan: true, open: true }); },
    Enter: () => { if (state.current) setCurrent(state.current, { pan: true, open: true }); },
    c: () => openAction("status"), n: () => openAction("note"),
    d: () => showTab(queuePanel.hidden ? "queue" : "clusters"),
    "/": () => filtersForm.elements.q.focus(),
    "?": () => help.showModal(),
  };
  if (isDispatcher) {
    Object.assign(KEYS, {
      a: () => act("acknowledge", targets(), {}), s: () => openAction("assign"), e: () => openAction("route"),
      p: () => openAction("priority"), m: () => openAction("merge"), r: () => openAction("reject"),
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (dialog.open || help.open) return; // the dialog's own keys (Esc closes it)
    const typing = event.target.closest("input, select, textarea");
    if (event.key === "Escape") {
      if (typing) { event.target.blur(); return; }
      if (!detail.hidden) closeDetail(); else clearSelection();
      return;
    }
    if (typing) return;
    const handler = KEYS[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });

  document.getElementById("help-open").addEventListener("click", () => help.showModal());

  // --- a phone: the map or the list, the filters folded away ------------------------------------------

  const viewButtons = { list: document.getElementById("view-list"), map: document.getElementById("view-map") };
  const filtersToggle = document.getElementById("filters-toggle");

  // Is the map on screen? (On a phone showing the list it is not, and has no size to fit to.)
  function mapShown() { return map.getContainer().offsetWidth > 0; }

  function showView(which) {
    root.dataset.view = which;
    Object.entries(viewButtons).forEach(([name, button]) => button.setAttribute("aria-pressed", String(name === which)));
    if (which === "map") {
      map.invalidateSize({ animate: false });
      if (state.fitPending) fitToIssues();
    } else {
      renderVisibleRows();
      if (state.current) scrollToRow(state.current);
    }
  }
  viewButtons.list.addEventListener("click", () => showView("list"));
  viewButtons.map.addEventListener("click", () => showView("map"));
  window.addEventListener("resize", () => { if (mapShown()) { map.invalidateSize(); if (state.fitPending) fitToIssues(); } });

  function showActiveFilters() {
    const active = [...filterParams().keys()].filter((name) => name !== "sort").length;
    document.getElementById("filters-active").textContent = active ? String(active) : "";
  }
  filtersToggle.addEventListener("click", () => {
    const open = root.dataset.filtersOpen !== "true";
    root.dataset.filtersOpen = String(open);
    filtersToggle.setAttribute("aria-expanded", String(open));
  });

  restoreFilters();
  showActiveFilters();
  loadAll();
})();
