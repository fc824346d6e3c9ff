// Logging a phone call or a walk-in from the board: the same intake as every report (POST
// /api/v1/issues, whose serializer lets staff use the staff channels for their own municipality
// only). The panel is not modal: a click on the map places the report. The board's own refresh
// shows the new issue within seconds.
(function () {
  "use strict";
  const { api, escapeHtml, errorText } = window.Imbizo;
  const root = document.getElementById("board");
  const panel = document.getElementById("intake-dialog");
  const form = document.getElementById("intake-form");
  const categorySelect = document.getElementById("i-category");
  const questionsBox = document.getElementById("i-questions");
  const lat = document.getElementById("i-lat");
  const lon = document.getElementById("i-lon");
  const done = document.getElementById("intake-done");
  const formError = document.getElementById("intake-error");
  const submit = document.getElementById("intake-submit");
  const map = window.imbizoMap;
  let categories = [];
  let pin = null;
  let idempotencyKey = newKey();

  function newKey() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  api("/api/v1/categories?municipality=" + encodeURIComponent(root.dataset.municipality)).then((result) => {
    if (!result.ok) { categorySelect.innerHTML = "<option value=''>Categories could not be loaded</option>"; return; }
    categories = result.body;
    categorySelect.innerHTML = "<option value=''>Choose a category…</option>" + categories.map((category) =>
      `<option value="${category.id}">${escapeHtml((category.group ? category.group + ": " : "") + category.name)}</option>`).join("");
    categorySelect.dataset.loaded = String(categories.length);
  });

  function selectedCategory() {
    return categories.find((category) => String(category.id) === categorySelect.value) || null;
  }

  // The category's questions, as simple controls (the resident form's full set of types).
  function questionField(question) {
    const id = "i-answer-" + question.code;
    const name = "answer:" + question.code;
    const mark = question.required ? " <span class='required'>required</span>" : "";
    const error = `<p class="field-error" data-error-for="answers.${escapeHtml(question.code)}"></p>`;
    const wrapper = document.createElement("div");
    wrapper.className = "field";
    if (question.datatype === "yesno" || question.datatype === "multivaluelist") {
      const type = question.datatype === "yesno" ? "radio" : "checkbox";
      wrapper.innerHTML = `<fieldset><legend>${escapeHtml(question.prompt)}${mark}</legend>` +
        question.choices.map((choice) => `<label class="choice"><input type="${type}" name="${escapeHtml(name)}" ` +
          `value="${escapeHtml(choice.key)}"> ${escapeHtml(choice.name)}</label>`).join("") + `</fieldset>${error}`;
      return wrapper;
    }
    let control = `<input id="${escapeHtml(id)}" name="${escapeHtml(name)}" maxlength="255">`;
    if (question.datatype === "singlevaluelist") {
      control = `<select id="${escapeHtml(id)}" name="${escapeHtml(name)}"><option value="">Choose…</option>` +
        question.choices.map((choice) => `<option value="${escapeHtml(choice.key)}">${escapeHtml(choice.name)}</option>`).join("") +
        "</select>";
    } else if (question.datatype === "text") {
      control = `<textarea id="${escapeHtml(id)}" name="${escapeHtml(name)}" rows="2" maxlength="5000"></textarea>`;
    } else if (question.datatype === "number") {
      control = `<input id="${escapeHtml(id)}" name="${escapeHtml(name)}" type="number" step="any">`;
    } else if (question.datatype === "datetime") {
      control = `<input id="${escapeHtml(id)}" name="${escapeHtml(name)}" type="datetime-local">`;
    }
    wrapper.innerHTML = `<label for="${escapeHtml(id)}">${escapeHtml(question.prompt)}${mark}</label>${control}${error}`;
    return wrapper;
  }

  categorySelect.addEventListener("change", () => {
    questionsBox.innerHTML = "";
    const category = selectedCategory();
    if (category) category.questions.forEach((question) => questionsBox.appendChild(questionField(question)));
  });

  function answers() {
    const category = selectedCategory();
    const result = {};
    if (!category) return result;
    category.questions.forEach((question) => {
      const inputs = [...form.querySelectorAll(`[name="answer:${CSS.escape(question.code)}"]`)];
      let value;
      if (question.datatype === "yesno") value = (inputs.find((input) => input.checked) || {}).value;
      else if (question.datatype === "multivaluelist") value = inputs.filter((input) => input.checked).map((input) => input.value);
      else value = inputs.length ? inputs[0].value.trim() : "";
      if (question.datatype === "datetime" && value) value = new Date(value).toISOString();
      if (question.datatype === "number" && value !== "" && value !== undefined) value = Number(value);
      if (value !== undefined && value !== "" && !(Array.isArray(value) && !value.length)) result[question.code] = value;
    });
    return result;
  }

  // --- where: a click on the map while the panel is open, or typed coordinates -------------------

  function placePin(latlng) {
    if (!pin) {
      pin = L.marker(latlng, { draggable: true, title: "The report is here (drag to move)", alt: "Pin of the report" }).addTo(map);
      pin.on("dragend", () => showPoint(pin.getLatLng()));
    } else {
      pin.setLatLng(latlng);
    }
    showPoint(latlng);
  }
  function showPoint(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    clearErrors(["location lat lon"]);
  }
  map.on("click", (event) => { if (panel.open) placePin(event.latlng); });
  [lat, lon].forEach((input) => input.addEventListener("change", () => {
    const point = L.latLng(Number(lat.value), Number(lon.value));
    if (lat.value && lon.value && Number.isFinite(point.lat) && Number.isFinite(point.lng)) placePin(point);
  }));

  // --- errors beside their fields ---------------------------------------------------------------------

  function clearErrors(keys) {
    form.querySelectorAll(".field-error[data-error-for]").forEach((element) => {
      if (!keys || keys.includes(element.dataset.errorFor)) element.textContent = "";
    });
    if (!keys) formError.textContent = "";
  }
  function showErrors(body) {
    let placed = false;
    Object.entries(body || {}).forEach(([field, messages]) => {
      const text = Array.isArray(messages) ? messages.join(" ") : typeof messages === "object" ? Object.values(messages).join(" ") : String(messages);
      const target = [...form.querySelectorAll(".field-error[data-error-for]")]
        .find((element) => element.dataset.errorFor.split(" ").includes(field));
      if (target) { target.textContent = text; placed = true; }
      if (field === "answers" && typeof messages === "object" && !Array.isArray(messages)) {
        Object.entries(messages).forEach(([code, text]) => {
          const box = form.querySelector(`[data-error-for="answers.${CSS.escape(code)}"]`);
          if (box) { box.textContent = Array.isArray(text) ? text.join(" ") : String(text); placed = true; }
        });
      }
    });
    formError.textContent = placed ? "Please correct the fields marked." : errorText({ body }, "The report could not be logged.");
  }

  // --- open, send, close --------------------------------------------------------------------------------

  function open() {
    done.hidden = true;
    panel.show();
    document.getElementById("i-channel").focus();
  }
  document.getElementById("intake-open").addEventListener("click", open);
  document.getElementById("intake-close").addEventListener("click", () => panel.close());
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") panel.close(); });
  panel.addEventListener("close", () => { if (pin) { map.removeLayer(pin); pin = null; } });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    done.hidden = true;
    const data = Object.fromEntries(["channel", "category", "address", "description", "reporter_name",
      "reporter_phone", "reporter_email"].map((name) => [name, form.elements[name].value.trim()]));
    if (!data.category) { showErrors({ category: ["Choose a category."] }); return; }
    if (!lat.value || !lon.value) { showErrors({ location: ["Click the map where it is, or type its coordinates."] }); return; }
    const report = { ...data, category: Number(data.category), lat: Number(lat.value), lon: Number(lon.value), answers: answers() };
    submit.disabled = true;
    let result = null;
    try {
      result = await api("/api/v1/issues", { method: "POST", json: report, headers: { "Idempotency-Key": idempotencyKey } });
    } catch (error) { result = null; }
    submit.disabled = false;
    if (!result) { formError.textContent = "The server could not be reached; try again (it will not be logged twice)."; return; }
    if (!result.ok) { showErrors(result.body); return; }
    idempotencyKey = newKey();
    done.innerHTML = `Logged as <strong id="intake-reference">${escapeHtml(result.body.reference)}</strong>` +
      (result.body.ward ? ` (ward ${escapeHtml(String(result.body.ward.number || result.body.ward))})` : "") +
      ". Give the reporter this reference to track it.";
    done.hidden = false;
    form.reset();
    questionsBox.innerHTML = "";
    if (pin) { map.removeLayer(pin); pin = null; }
  });
})();
