// Report an issue: put a pin on the map (a click, a drag, "Locate me" or a photo's location),
// see the ward, suburb and nearest asset for it (/api/v1/issues/preview), choose a category and
// answer its questions, and send. The server judges every field; its messages are shown beside
// the fields they name. One Idempotency-Key per distinct report: a retry of the same form (a
// double click, a lost response) sends the same key, so the report is never filed twice.
(function () {
  "use strict";
  const { api, escapeHtml, errorText } = window.Imbizo;
  const fill = (text, values) => interpolate(text, values, true); // the JavaScript catalogue's %(name)s
  const mapElement = document.getElementById("map");
  const code = mapElement.dataset.municipality;
  const form = document.getElementById("report-form");
  const categorySelect = document.getElementById("category");
  const categoryNote = document.getElementById("category-note");
  const questionsBox = document.getElementById("questions");
  const placeBox = document.getElementById("place");
  const summary = document.getElementById("error-summary");
  const submitButton = document.getElementById("submit");
  const sendingNote = document.getElementById("sending");
  const photosInput = document.getElementById("photos");
  const photoLocationButton = document.getElementById("use-photo-location");
  const confirmation = document.getElementById("confirmation");

  const map = Imbizo.municipalityMap(mapElement);
  window.imbizoMap = map; // for the browser tests and the console

  let categories = [];
  let pin = null;
  let previewSequence = 0;
  let sending = false;
  let lastBody = null;
  let idempotencyKey = null;
  let photoLocation = null;

  // --- categories and their questions ---------------------------------------------------------

  api("/api/v1/categories?municipality=" + encodeURIComponent(code)).then((result) => {
    if (!result.ok) { categorySelect.innerHTML = `<option value=''>${escapeHtml(gettext("Categories could not be loaded"))}</option>`; return; }
    categories = result.body;
    categorySelect.innerHTML = `<option value=''>${escapeHtml(gettext("Choose a category…"))}</option>`;
    const groups = new Map();
    categories.forEach((category) => {
      const group = category.group || gettext("Other");
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(category);
    });
    groups.forEach((items, group) => {
      const optgroup = document.createElement("optgroup");
      optgroup.label = group;
      items.forEach((category) => optgroup.appendChild(new Option(category.name, category.id)));
      categorySelect.appendChild(optgroup);
    });
    categorySelect.dataset.loaded = String(categories.length);
    if (pin) preview();
  }).catch(() => { categorySelect.innerHTML = `<option value=''>${escapeHtml(gettext("Categories could not be loaded"))}</option>`; });

  function selectedCategory() {
    return categories.find((category) => String(category.id) === categorySelect.value) || null;
  }

  categorySelect.addEventListener("change", () => {
    const category = selectedCategory();
    clearError("category");
    renderQuestions(category);
    const notes = [];
    if (category && category.description) notes.push(escapeHtml(category.description));
    if (category && category.is_private) notes.push(`<strong>${escapeHtml(gettext("Private:"))}</strong> ` + escapeHtml(gettext("the place and photos of these reports are never shown publicly.")));
    categoryNote.innerHTML = notes.join("<br>");
    if (pin) preview();
  });

  function requiredMark(question) {
    return question.required ? ` <span class="required">${escapeHtml(gettext("required"))}</span>` : ` <span class="optional">${escapeHtml(gettext("optional"))}</span>`;
  }

  function questionField(question) {
    const id = "answer-" + question.code;
    const errorId = "error-answer-" + question.code;
    const wrapper = document.createElement("div");
    wrapper.className = "field question";
    wrapper.dataset.question = question.code;
    wrapper.dataset.datatype = question.datatype;
    const error = `<p class="field-error" data-error-for="answers.${escapeHtml(question.code)}" id="${escapeHtml(errorId)}"></p>`;
    const describedBy = `aria-describedby="${escapeHtml(errorId)}"`;
    const required = question.required ? " required aria-required='true'" : "";
    const name = `answer:${escapeHtml(question.code)}`;
    if (question.datatype === "yesno" || question.datatype === "multivaluelist") {
      const type = question.datatype === "yesno" ? "radio" : "checkbox";
      const options = question.choices.map((choice, index) =>
        `<label class="choice"><input type="${type}" name="${name}" value="${escapeHtml(choice.key)}"` +
        `${index === 0 ? ` id="${escapeHtml(id)}"` : ""}${type === "radio" ? required : ""}> ${escapeHtml(choice.name)}</label>`).join("");
      wrapper.innerHTML = `<fieldset class="choices" ${describedBy}><legend>${escapeHtml(question.prompt)}${requiredMark(question)}</legend>` +
        `${options}</fieldset>${error}`;
      return wrapper;
    }
    let control;
    if (question.datatype === "singlevaluelist") {
      control = `<select id="${escapeHtml(id)}" name="${name}" ${describedBy}${required}><option value="">${escapeHtml(gettext("Choose…"))}</option>` +
        question.choices.map((choice) => `<option value="${escapeHtml(choice.key)}">${escapeHtml(choice.name)}</option>`).join("") +
        "</select>";
    } else if (question.datatype === "text") {
      control = `<textarea id="${escapeHtml(id)}" name="${name}" rows="3" maxlength="5000" ${describedBy}${required}></textarea>`;
    } else if (question.datatype === "number") {
      control = `<input id="${escapeHtml(id)}" name="${name}" type="number" step="any" inputmode="decimal" ${describedBy}${required}>`;
    } else if (question.datatype === "datetime") {
      control = `<input id="${escapeHtml(id)}" name="${name}" type="datetime-local" ${describedBy}${required}>`;
    } else {
      control = `<input id="${escapeHtml(id)}" name="${name}" maxlength="255" ${describedBy}${required}>`;
    }
    wrapper.innerHTML = `<label for="${escapeHtml(id)}">${escapeHtml(question.prompt)}${requiredMark(question)}</label>${control}${error}`;
    return wrapper;
  }

  function renderQuestions(category) {
    questionsBox.innerHTML = "";
    if (!category) return;
    category.questions.forEach((question) => questionsBox.appendChild(questionField(question)));
  }

  // A datetime-local value ("2026-11-23T08:30") as ISO 8601 with this browser's UTC offset.
  function withOffset(local) {
    const moment = new Date(local);
    if (Number.isNaN(moment.getTime())) return local;
    const minutes = -moment.getTimezoneOffset();
    const sign = minutes >= 0 ? "+" : "-";
    const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
    return `${local.length === 16 ? local + ":00" : local}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
  }

  function collectAnswers(category) {
    const answers = {};
    if (!category) return answers;
    category.questions.forEach((question) => {
      const inputs = [...form.querySelectorAll(`[name="answer:${CSS.escape(question.code)}"]`)];
      let value;
      if (question.datatype === "yesno") {
        value = (inputs.find((input) => input.checked) || {}).value;
      } else if (question.datatype === "multivaluelist") {
        value = inputs.filter((input) => input.checked).map((input) => input.value);
        if (!value.length) value = undefined;
      } else {
        value = inputs.length ? inputs[0].value.trim() : "";
        if (question.datatype === "datetime" && value) value = withOffset(value);
        if (question.datatype === "number" && value !== "" && Number.isFinite(Number(value))) value = Number(value);
      }
      if (value !== undefined && value !== "") answers[question.code] = value;
    });
    return answers;
  }

  // --- the pin and what is there ----------------------------------------------------------------

  function placePin(latlng) {
    if (!pin) {
      pin = L.marker(latlng, { draggable: true, title: gettext("The issue is here (drag to move)"), alt: gettext("Pin: the issue is here") }).addTo(map);
      pin.on("dragend", preview);
    } else {
      pin.setLatLng(latlng);
    }
    clearError("location");
    preview();
  }

  map.on("click", (event) => placePin(event.latlng));
  document.getElementById("pin-centre").addEventListener("click", () => placePin(map.getCenter()));
  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) { placeBox.textContent = gettext("This browser cannot share its location: click the map instead."); return; }
    placeBox.textContent = gettext("Finding you…");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const here = L.latLng(position.coords.latitude, position.coords.longitude);
        map.setView(here, Math.max(map.getZoom(), 16));
        placePin(here);
      },
      () => { placeBox.textContent = gettext("Your location is not available: click the map or drag the pin instead."); },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });

  async function preview() {
    if (!pin) return;
    const category = selectedCategory() || categories[0];
    const { lat, lng } = pin.getLatLng();
    document.dispatchEvent(new CustomEvent("imbizo:pin", { detail: { lat, lng } }));  // notices/report_notices.js
    const where = `${lat.toFixed(5)}, ${lng.toFixed(5)}`;
    if (!category) { placeBox.textContent = fill(gettext("Pin at %(where)s."), { where }); return; }
    const sequence = ++previewSequence;
    placeBox.setAttribute("aria-busy", "true");
    let result = null;
    try {
      result = await api(`/api/v1/issues/preview?category=${category.id}&lat=${lat.toFixed(6)}&lon=${lng.toFixed(6)}`);
    } catch (error) { result = null; }
    if (sequence !== previewSequence) return; // the pin moved again meanwhile
    placeBox.removeAttribute("aria-busy");
    if (!result || !result.ok || !result.body.inside) { duplicatesBox.hidden = true; duplicateMarkers.clearLayers(); }
    if (!result || !result.ok) {
      placeBox.dataset.state = "unknown";
      placeBox.textContent = fill(gettext("Pin at %(where)s. This place could not be looked up; you can still send the report."), { where });
      return;
    }
    const place = result.body;
    placeBox.dataset.state = place.inside ? "inside" : "outside";
    if (!place.inside) {
      placeBox.innerHTML = `<p class="outside" id="place-outside"><strong>${escapeHtml(fill(gettext("Outside %(name)s."), { name: place.municipality.name }))}</strong> ` +
        escapeHtml(gettext("Move the pin inside the municipality, or report this place to the municipality that serves it.")) + "</p>";
      return;
    }
    let html = `<dl class="facts"><dt>${escapeHtml(gettext("Ward"))}</dt><dd id="place-ward">${place.ward ? escapeHtml(fill(gettext("Ward %(number)s"), { number: place.ward.number })) : "—"}</dd>` +
      `<dt>${escapeHtml(gettext("Suburb"))}</dt><dd id="place-suburb">${place.suburb ? escapeHtml(place.suburb.name) : "—"}</dd>`;
    if (selectedCategory() && place.snaps_to) {
      html += `<dt>${escapeHtml(fill(gettext("Nearest %(thing)s"), { thing: place.snaps_to.toLowerCase() }))}</dt><dd id="place-asset">` + escapeHtml(place.asset
        ? `${place.asset.external_id} · ` + fill(gettext("%(distance)s away"), { distance: Imbizo.formatDistance(place.asset.distance_m) })
        : fill(gettext("None within %(metres)s m: the report stays at your pin"), { metres: place.snap_radius_m })) + "</dd>";
    }
    placeBox.innerHTML = html + `</dl><p class="muted">${escapeHtml(fill(gettext("Pin at %(where)s."), { where }))}</p>`;
    if (selectedCategory()) showDuplicates(selectedCategory(), lat, lng, sequence);
  }

  // --- already reported? ------------------------------------------------------------------------------

  const duplicatesBox = document.getElementById("duplicates");
  const duplicatesList = document.getElementById("duplicates-list");
  const duplicateMarkers = L.layerGroup().addTo(map);

  async function showDuplicates(category, lat, lng, sequence) {
    let result = null;
    try {
      result = await api(`/api/v1/issues/duplicates?category=${category.id}&lat=${lat.toFixed(6)}&lon=${lng.toFixed(6)}`);
    } catch (error) { result = null; }
    if (sequence !== previewSequence) return;
    const found = result && result.ok ? result.body.duplicates : [];
    duplicatesBox.hidden = !found.length;
    duplicateMarkers.clearLayers();
    found.forEach((issue) => L.circleMarker([issue.location.lat, issue.location.lon], {
      radius: 7, color: "#8a5a00", weight: 2, fillColor: "#e0a800", fillOpacity: 0.8,
    }).bindTooltip(fill(gettext("%(reference)s: already reported"), { reference: issue.reference })).addTo(duplicateMarkers));
    duplicatesList.innerHTML = found.map((issue) =>
      `<li data-reference="${escapeHtml(issue.reference)}"><a href="${escapeHtml(issue.url)}" target="_blank" rel="noopener">` +
      `${escapeHtml(issue.reference)}</a> · ${escapeHtml(issue.category)} · ` +
      escapeHtml(issue.same_asset ? fill(gettext("the same %(thing)s"), { thing: (category.snaps_to || gettext("asset")).toLowerCase() })
        : fill(gettext("%(distance)s away"), { distance: Imbizo.formatDistance(issue.distance_m) })) +
      " · " + escapeHtml(fill(gettext("reported %(date)s"), { date: new Date(issue.created_at).toLocaleDateString(document.documentElement.lang) })) +
      `${issue.description ? `<br><span class="muted">${escapeHtml(issue.description)}</span>` : ""}` +
      `<div class="button-row"><button type="button" class="secondary" data-metoo>${escapeHtml(fill(gettext("Me too (%(count)s)"), { count: issue.upvotes }))}</button>` +
      `<button type="button" class="secondary" data-follow>${escapeHtml(gettext("Follow"))}</button></div><p class="duplicate-note" role="status"></p></li>`).join("");
  }

  duplicatesList.addEventListener("click", async (event) => {
    const item = event.target.closest("li[data-reference]");
    if (!item || !event.target.matches("button")) return;
    const reference = item.dataset.reference;
    const note = item.querySelector(".duplicate-note");
    const base = `/api/v1/issues/${encodeURIComponent(reference)}`;
    let result = null;
    if (event.target.matches("[data-metoo]")) {
      try { result = await api(base + "/upvote", { method: "POST", headers: { "X-Client-Id": Imbizo.clientId() } }); } catch (error) { result = null; }
      if (result && result.ok) {
        event.target.textContent = fill(gettext("Me too (%(count)s)"), { count: result.body.upvotes });
        event.target.disabled = true;
        note.textContent = gettext("Thank you: counted. You do not need to send a new report for this.");
      } else {
        note.textContent = errorText(result, gettext("That did not work; try again."));
      }
      return;
    }
    const email = valueOf("reporter_email");
    try { result = await api(base + "/follow", { method: "POST", json: { email } }); } catch (error) { result = null; }
    if (result && result.ok) {
      event.target.disabled = true;
      note.textContent = result.status === 202
        ? gettext("Open the link we emailed you to confirm, and you will get its updates. You do not need to send a new report for this.")
        : gettext("You will get its updates. You do not need to send a new report for this.");
    } else if (result && result.status === 400 && !email) {
      note.textContent = gettext("Give your email under “About you” below, then press Follow again.");
      document.getElementById("reporter_email").focus();
    } else {
      note.textContent = errorText(result, gettext("That did not work; try again."));
    }
  });

  // --- photos -------------------------------------------------------------------------------------

  photosInput.addEventListener("change", async () => {
    photoLocation = null;
    photoLocationButton.hidden = true;
    // The first chosen photo that carries a GPS position is offered as the pin.
    for (const file of [...photosInput.files].filter((f) => f.type.startsWith("image/")).slice(0, 5)) {
      const data = new FormData();
      data.append("file", file);
      let result = null;
      try { result = await api("/api/v1/photo-location", { method: "POST", form: data }); } catch (error) { result = null; }
      if (result && result.ok && result.body && result.body.location) {
        photoLocation = L.latLng(result.body.location.lat, result.body.location.lon);
        photoLocationButton.hidden = false;
        return;
      }
    }
  });
  photoLocationButton.addEventListener("click", () => {
    if (!photoLocation) return;
    map.setView(photoLocation, Math.max(map.getZoom(), 16));
    placePin(photoLocation);
  });

  async function uploadPhotos(issue) {
    const list = document.getElementById("upload-results");
    const limits = JSON.parse(photosInput.dataset.limits || "{}");
    for (const file of [...photosInput.files]) {
      const item = document.createElement("li");
      item.textContent = fill(gettext("Sending %(name)s…"), { name: file.name });
      list.appendChild(item);
      const kind = file.type.startsWith("video/") ? "video" : file.type.startsWith("audio/") ? "audio"
        : file.type === "application/pdf" ? "pdf" : "image";
      if (limits[kind] && file.size > limits[kind]) {
        item.className = "upload-failed";
        item.textContent = fill(gettext("%(name)s is %(size)s MB, more than the %(limit)s MB allowed for it; not sent. Your report is filed all the same."), {
          name: file.name, size: (file.size / 1048576).toFixed(1), limit: (limits[kind] / 1048576).toFixed(0) });
        continue;
      }
      const data = new FormData();
      data.append("file", file);
      let result = null;
      try {
        result = await api(`/api/v1/issues/${encodeURIComponent(issue.reference)}/media`,
          { method: "POST", form: data, headers: { "X-Tracking-Key": issue.tracking_key } });
      } catch (error) { result = null; }
      if (result && result.ok) {
        item.className = "upload-ok";
        item.textContent = fill(gettext("Photo %(name)s added."), { name: file.name });
      } else {
        item.className = "upload-failed";
        item.textContent = fill(gettext("Photo %(name)s could not be added: %(reason)s Your report is filed all the same."), {
          name: file.name,
          reason: errorText(result, result ? fill(gettext("error %(status)s"), { status: result.status }) : gettext("the server could not be reached")) });
      }
    }
  }

  // --- errors ---------------------------------------------------------------------------------

  function controlFor(field) {
    if (field === "location") return document.getElementById("locate");
    if (field.startsWith("answers.")) {
      const box = questionsBox.querySelector(`[data-question="${CSS.escape(field.slice(8))}"]`);
      return box ? box.querySelector("input, select, textarea") : null;
    }
    return document.getElementById(field);
  }

  function clearError(field) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (slot) slot.textContent = "";
    const control = controlFor(field);
    if (control) control.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((slot) => { slot.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((control) => control.removeAttribute("aria-invalid"));
    summary.hidden = true;
    summary.innerHTML = "";
  }

  function flatten(value) {
    if (Array.isArray(value)) return value.map(flatten).join(" ");
    if (value && typeof value === "object") return Object.values(value).map(flatten).join(" ");
    return String(value);
  }

  // errors: {"field": ["message"], "answers.size": [...]} as the API sends them.
  function showErrors(errors) {
    const items = [];
    Object.entries(errors).forEach(([name, value]) => {
      const field = name === "lat" || name === "lon" ? "location" : name;
      const text = flatten(value);
      const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
      const control = controlFor(field);
      if (slot) slot.textContent = slot.textContent ? slot.textContent + " " + text : text;
      if (control) control.setAttribute("aria-invalid", "true");
      items.push(control && control.id ? `<li><a href="#${escapeHtml(control.id)}">${escapeHtml(text)}</a></li>` : `<li>${escapeHtml(text)}</li>`);
    });
    summary.innerHTML = `<p><strong>${escapeHtml(gettext("The report was not sent."))}</strong> ${escapeHtml(gettext("Please check:"))}</p><ul>${items.join("")}</ul>`;
    summary.hidden = false;
    summary.focus();
  }

  function showProblem(html) {
    summary.innerHTML = html;
    summary.hidden = false;
    summary.focus();
  }

  form.addEventListener("input", (event) => {
    const name = event.target.name || "";
    clearError(name.startsWith("answer:") ? "answers." + name.slice(7) : name);
  });

  // --- sending ----------------------------------------------------------------------------------

  function valueOf(id) { return document.getElementById(id).value.trim(); }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    clearErrors();
    const category = selectedCategory();
    const missing = {};
    if (!category) missing.category = [gettext("Choose a category.")];
    if (!pin) missing.location = [gettext("Put the pin where the issue is: click the map, or use “Locate me”.")];
    if (Object.keys(missing).length) { showErrors(missing); return; }
    const { lat, lng } = pin.getLatLng();
    const report = {
      category: category.id, lat: Number(lat.toFixed(6)), lon: Number(lng.toFixed(6)),
      description: valueOf("description"), address: valueOf("address"), answers: collectAnswers(category),
      reporter_name: valueOf("reporter_name"), reporter_phone: valueOf("reporter_phone"), reporter_email: valueOf("reporter_email"),
    };
    // The same report sent again (a retry) keeps its key; a changed one is a new report.
    const body = JSON.stringify(report);
    if (body !== lastBody) { idempotencyKey = Imbizo.uuid(); lastBody = body; }
    if (!navigator.onLine) { await keepForLater(report, category); return; }
    sending = true;
    submitButton.disabled = true;
    submitButton.setAttribute("aria-busy", "true");
    sendingNote.textContent = gettext("Sending your report…");
    let result = null;
    try {
      result = await api("/api/v1/issues", { method: "POST", json: report, headers: { "Idempotency-Key": idempotencyKey, "X-Client-Id": Imbizo.clientId() } });
    } catch (error) {
      result = null;
    }
    sending = false;
    submitButton.disabled = false;
    submitButton.removeAttribute("aria-busy");
    sendingNote.textContent = "";
    if (result && (result.status === 201 || result.status === 200)) { filed(result.body); return; }
    if (!result) { await keepForLater(report, category); return; } // no connection after all: the outbox sends it
    if (result && result.status === 400 && result.body) { showErrors(result.body); return; }
    if (result && result.status === 409) {
      lastBody = null; // a fresh key next time
      showProblem(`<p>${escapeHtml(errorText(result))}</p><p>${escapeHtml(gettext("Press “Send report” again to send it as a new report."))}</p>`);
      return;
    }
    showProblem(result
      ? `<p>${escapeHtml(fill(gettext("The report could not be sent (error %(status)s). Nothing is lost: press “Send report” again."), { status: result.status }))}</p>`
      : `<p>${escapeHtml(gettext("The server could not be reached. Check your connection and press “Send report” again: it will not be filed twice."))}</p>`);
  });

  // No connection: the report (and its photos) waits in this device's outbox, under the same key.
  async function keepForLater(report, category) {
    await ImbizoReportOutbox.queue({ key: idempotencyKey, report, files: photosInput.files, categoryName: category.name });
    form.reset();
    renderQuestions(null);
    categoryNote.innerHTML = "";
    lastBody = null;
    if (pin) { map.removeLayer(pin); pin = null; }
    placeBox.textContent = gettext("No place chosen yet.");
    sendingNote.textContent = gettext("Saved on this device: it will be sent as soon as there is a connection.");
  }

  function filed(issue) {
    Imbizo.rememberReport(issue);
    form.hidden = true;
    confirmation.hidden = false;
    document.getElementById("reference").textContent = issue.reference;
    document.getElementById("track-link").href = "/track/" + encodeURIComponent(issue.reference) + "/";
    confirmation.focus();
    if (pin) pin.dragging.disable();
    uploadPhotos(issue).finally(() => { confirmation.dataset.uploadsDone = "true"; });
  }
})();
