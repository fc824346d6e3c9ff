// Track an issue: the page is rendered by the server as the public sees it; this adds the small
// map, comments, "me too", "follow by email", and (only when this browser holds the reporter's
// tracking key) the rating and "fixed / not fixed" answers for a resolved issue.
(function () {
  "use strict";
  const { api, escapeHtml, errorText, store } = window.Imbizo;
  const article = document.getElementById("track");
  const reference = article.dataset.reference;
  const status = article.dataset.status;
  const key = Imbizo.trackingKey(reference);
  const base = "/api/v1/issues/" + encodeURIComponent(reference);
  const keyHeader = key ? { "X-Tracking-Key": key } : {};

  // --- the small map ------------------------------------------------------------------------------
  const mapElement = document.getElementById("issue-map");
  if (mapElement) {
    const map = Imbizo.municipalityMap(mapElement);
    const here = L.latLng(Number(mapElement.dataset.lat), Number(mapElement.dataset.lon));
    map.setView(here, 16);
    L.circleMarker(here, { radius: 9, color: "#fff", weight: 3, fillColor: "#d9480f", fillOpacity: 1, interactive: false }).addTo(map);
    window.imbizoMap = map;
  }

  // --- comments -----------------------------------------------------------------------------------
  const commentForm = document.getElementById("comment-form");
  commentForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const textarea = document.getElementById("comment-body");
    const error = document.getElementById("comment-error");
    const button = document.getElementById("comment-send");
    error.textContent = "";
    if (!textarea.value.trim()) { error.textContent = gettext("Write a comment first."); textarea.focus(); return; }
    button.disabled = true;
    let result = null;
    try { result = await api(base + "/comments", { method: "POST", json: { body: textarea.value }, headers: keyHeader }); } catch (e) { result = null; }
    button.disabled = false;
    if (!result || result.status !== 201) {
      error.textContent = errorText(result, gettext("The comment could not be sent; try again."));
      return;
    }
    const comment = result.body;
    const empty = document.getElementById("no-comments");
    if (empty) empty.remove();
    const item = document.createElement("li");
    item.innerHTML = `<p class="comment-meta"><strong>${escapeHtml(comment.by)}</strong> · <time datetime="${escapeHtml(comment.created_at)}">${escapeHtml(gettext("just now"))}</time></p>` +
      `<p>${escapeHtml(comment.body).replace(/\n/g, "<br>")}</p>`;
    document.getElementById("comments").appendChild(item);
    textarea.value = "";
  });

  // --- me too -------------------------------------------------------------------------------------
  const upvote = document.getElementById("upvote");
  if (upvote) {
    const votedKey = "imbizo:upvoted:" + reference;
    const note = document.getElementById("upvote-note");
    if (store.get(votedKey)) { upvote.setAttribute("aria-pressed", "true"); note.textContent = gettext("You said this affects you too."); }
    upvote.addEventListener("click", async () => {
      upvote.disabled = true;
      let result = null;
      try { result = await api(base + "/upvote", { method: "POST", headers: { "X-Client-Id": Imbizo.clientId() } }); } catch (e) { result = null; }
      upvote.disabled = false;
      if (!result || !result.ok) { note.textContent = errorText(result, gettext("That did not work; try again.")); return; }
      store.set(votedKey, "1");
      upvote.setAttribute("aria-pressed", "true");
      const people = interpolate(ngettext("%(count)s person is affected.", "%(count)s people are affected.", result.body.upvotes),
        { count: result.body.upvotes }, true);
      note.textContent = (result.body.counted ? gettext("Thank you.") : gettext("You already said so.")) + " " + people;
    });
  }

  // --- follow by email ----------------------------------------------------------------------------
  const followForm = document.getElementById("follow-form");
  if (followForm) {
    followForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const email = document.getElementById("follow-email");
      const note = document.getElementById("follow-note");
      if (!email.value.trim()) { note.textContent = gettext("Enter your email address."); email.focus(); return; }
      let result = null;
      try { result = await api(base + "/follow", { method: "POST", json: { email: email.value.trim() } }); } catch (e) { result = null; }
      if (result && result.ok) {
        note.textContent = interpolate(gettext("Nearly done: open the link we emailed to %(email)s to confirm, and the updates start."),
          { email: email.value.trim() }, true);
        email.removeAttribute("aria-invalid");
      } else {
        note.textContent = errorText(result, gettext("That did not work; try again."));
        email.setAttribute("aria-invalid", "true");
      }
    });
  }

  // --- the reporter's own answers -----------------------------------------------------------------
  if (!key) return;
  document.getElementById("reporter-badge").hidden = false;
  const actions = document.getElementById("reporter-actions");
  const ratedKey = "imbizo:rated:" + reference;

  if (status === "resolved") {
    actions.hidden = false;
    document.getElementById("confirm-fix").hidden = false;
    const statusError = document.getElementById("status-error");
    const change = async (to, note) => {
      statusError.textContent = "";
      actions.querySelectorAll("#confirm-fix button").forEach((b) => { b.disabled = true; });
      let result = null;
      try {
        result = await api(base + "/status", { method: "POST", json: { status: to, tracking_key: key, public_note: note || "" } });
      } catch (e) { result = null; }
      if (result && result.ok) { window.location.reload(); return; }
      actions.querySelectorAll("#confirm-fix button").forEach((b) => { b.disabled = false; });
      statusError.textContent = errorText(result, gettext("That did not work; try again."));
    };
    document.getElementById("confirm-fixed").addEventListener("click", () => change("closed"));
    document.getElementById("not-fixed").addEventListener("click", () => {
      document.getElementById("reopen-form").hidden = false;
      document.getElementById("reopen-note").focus();
    });
    document.getElementById("reopen-send").addEventListener("click", () => change("reopened", document.getElementById("reopen-note").value.trim()));
  }

  if (article.dataset.rateable === "true") {
    actions.hidden = false;
    const ratingForm = document.getElementById("rating-form");
    const done = document.getElementById("rating-done");
    if (store.get(ratedKey)) {
      done.hidden = false;
      done.textContent = gettext("You have rated this issue. Thank you.");
      return;
    }
    ratingForm.hidden = false;
    ratingForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = document.getElementById("rating-error");
      const chosen = ratingForm.querySelector("input[name=stars]:checked");
      error.textContent = "";
      if (!chosen) { error.textContent = "Choose from 1 to 5 stars."; ratingForm.querySelector("input[name=stars]").focus(); return; }
      const button = document.getElementById("rating-send");
      button.disabled = true;
      let result = null;
      try {
        result = await api(base + "/rating", { method: "POST",
          json: { stars: Number(chosen.value), comment: document.getElementById("rating-comment").value, tracking_key: key } });
      } catch (e) { result = null; }
      button.disabled = false;
      if (result && result.status === 201) {
        store.set(ratedKey, chosen.value);
        ratingForm.hidden = true;
        done.hidden = false;
        done.textContent = interpolate(gettext("Thank you for rating: %(stars)s out of 5."), { stars: chosen.value }, true);
        done.focus();
        return;
      }
      const message = errorText(result, gettext("The rating could not be sent; try again."));
      if (result && result.status === 400 && /already rated/i.test(message)) {
        store.set(ratedKey, "1");
        ratingForm.hidden = true;
        done.hidden = false;
        done.textContent = message;
        return;
      }
      error.textContent = message;
    });
  }
})();
