// The compose page: write the notice, choose or draw its target (Leaflet.draw: a polygon, a line
// to buffer, a point with a radius), attach images and PDFs, preview who it reaches, publish.
// Every step is a call to the staff notices API; its 400s name the field, shown here as they come.
(function () {
  "use strict";
  const { api, errorText, escapeHtml } = window.Imbizo;
  const t = window.gettext || ((text) => text);
  const form = document.getElementById("compose");
  const code = form.dataset.municipality;
  const message = document.getElementById("message");
  const audienceBox = document.getElementById("audience");
  const targetSelect = document.getElementById("target");
  const map = Imbizo.municipalityMap(document.getElementById("map"));
  window.imbizoMap = map;
  const drawnItems = new L.FeatureGroup().addTo(map);
  const area = L.geoJSON(null, { style: { color: "#b3261e", weight: 2, fillOpacity: 0.15 }, interactive: false }).addTo(map);
  map.addControl(new L.Control.Draw({
    edit: { featureGroup: drawnItems, edit: false },
    draw: { polygon: { allowIntersection: false }, polyline: true, marker: true, rectangle: true, circle: false, circlemarker: false },
  }));
  let noticeId = form.dataset.notice || "";
  const DRAWN_TARGETS = { polygon: "polygon", rectangle: "polygon", polyline: "line", marker: "radius" };

  function say(text, isError) {
    message.textContent = text;
    message.classList.toggle("error", Boolean(isError));
  }

  function showTargetInputs() {
    const target = targetSelect.value;
    document.getElementById("choose-wards").hidden = target !== "wards";
    document.getElementById("choose-suburbs").hidden = target !== "suburbs";
    document.getElementById("choose-radius").hidden = target !== "radius" && target !== "line";
    document.getElementById("draw-hint").hidden = !["polygon", "radius", "line"].includes(target);
  }

  map.on(L.Draw.Event.CREATED, (event) => {
    drawnItems.clearLayers();
    drawnItems.addLayer(event.layer);
    targetSelect.value = DRAWN_TARGETS[event.layerType] || targetSelect.value;
    showTargetInputs();
  });
  targetSelect.addEventListener("change", showTargetInputs);

  function isoOrNull(id) {
    const value = document.getElementById(id).value;
    return value ? new Date(value).toISOString() : null;
  }

  function selected(id) { return [...document.getElementById(id).selectedOptions].map((option) => option.value); }

  function payload() {
    const target = targetSelect.value;
    const data = {
      municipality: code, title: form.title.value, body: form.body.value, kind: form.kind.value,
      severity: form.severity.value, department: form.department.value ? Number(form.department.value) : null,
      starts_at: isoOrNull("starts_at"), ends_at: isoOrNull("ends_at"), expires_at: isoOrNull("expires_at"), target,
    };
    if (target === "wards") data.wards = selected("wards").map(Number);
    if (target === "suburbs") data.suburbs = selected("suburbs");
    if (["polygon", "radius", "line"].includes(target)) {
      const layers = drawnItems.getLayers();
      data.drawn = layers.length ? layers[0].toGeoJSON().geometry : null;
    }
    if (target === "radius" || target === "line") data.radius_m = Number(form.radius_m.value) || null;
    return data;
  }

  function showArea(notice) {
    area.clearLayers();
    if (notice && notice.area) area.addData(notice.area);
  }

  async function save() {
    say(t("Saving…"));
    const data = payload();
    const result = noticeId
      ? await api(`/api/v1/staff/notices/${noticeId}`, { method: "PATCH", json: data })
      : await api("/api/v1/staff/notices", { method: "POST", json: data });
    if (!result.ok) { say(errorText(result), true); return false; }
    noticeId = String(result.body.id);
    form.dataset.notice = noticeId;
    showArea(result.body);
    const files = document.getElementById("files");
    for (const file of files.files) {
      const upload = new FormData();
      upload.append("file", file);
      const sent = await api(`/api/v1/staff/notices/${noticeId}/attachments`, { method: "POST", form: upload });
      if (!sent.ok) { say(file.name + ": " + errorText(sent), true); return false; }
    }
    files.value = "";
    say(interpolate(t("Saved as a draft (notice %s)."), [noticeId]));
    return true;
  }

  async function preview() {
    if (!(await save())) return;
    const result = await api(`/api/v1/staff/notices/${noticeId}/audience`);
    if (!result.ok) { say(errorText(result), true); return; }
    const audience = result.body;
    const channels = audience.channels;
    audienceBox.hidden = false;
    audienceBox.innerHTML = escapeHtml(interpolate(
      t("%(people)s residents: %(email)s email, %(sms)s SMS, %(push)s push."),
      { people: audience.people, email: channels.email, sms: channels.sms, push: channels.push }, true))
      + (audience.currency ? "<br>" + escapeHtml(interpolate(t("SMS cost: %(cost)s %(currency)s."),
        { cost: audience.sms_cost, currency: audience.currency }, true)) : "")
      + (audience.delayed_by_quiet_hours ? "<br>" + escapeHtml(interpolate(
        t("%(count)s wait for the end of their quiet hours."), { count: audience.delayed_by_quiet_hours }, true)) : "");
    audienceBox.dataset.people = String(audience.people);
    say(t("Audience counted."));
  }

  async function act(action, confirmation, done) {
    if (action !== "cancel" && !(await save())) return;
    if (!noticeId) { say(t("Save the notice first."), true); return; }
    if (confirmation && !window.confirm(confirmation)) return;
    const result = await api(`/api/v1/staff/notices/${noticeId}/${action}`, { method: "POST" });
    if (!result.ok) { say(errorText(result), true); return; }
    say(done);
    form.dataset.state = result.body.state;
  }

  const interpolate = window.interpolate || ((text) => text);
  showTargetInputs();
  form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
  document.getElementById("preview").addEventListener("click", preview);
  const publish = document.getElementById("publish");
  if (publish) publish.addEventListener("click", () => act("publish", t("Publish this notice and send it to everyone it reaches?"), t("Published.")));
  const cancel = document.getElementById("cancel-notice");
  if (cancel) cancel.addEventListener("click", () => act("cancel", t("Cancel this notice?"), t("Cancelled.")));
  const submit = document.getElementById("submit-approval");
  if (submit) submit.addEventListener("click", () => act("submit", "", t("Sent for approval.")));
})();
