// The report page's side of the outbox (triage/outbox.js): a report made offline is kept on this
// device and shown as "Waiting to send (N)" with each report's state; everything waiting is sent when
// the page starts, when the connection returns, and by the service worker on Background Sync.
(function () {
  "use strict";
  const { escapeHtml } = window.Imbizo;
  const box = document.getElementById("outbox");
  const title = document.getElementById("outbox-title");
  const list = document.getElementById("outbox-list");
  const code = document.getElementById("map").dataset.municipality;
  const fill = (text, values) => interpolate(text, values, true);
  const SENT_KEPT_MS = 24 * 3600 * 1000; // a sent report stays listed for a day, then only in "Track an issue"

  function stateText(record) {
    if (record.state === "sent") return fill(gettext("Sent: reference %(reference)s"), { reference: record.reference });
    if (record.state === "sending") return gettext("Sending…");
    if (record.state === "refused") return fill(gettext("Not accepted: %(reason)s"), { reason: record.error });
    if (record.reference) return fill(gettext("Filed as %(reference)s; photos waiting to send"), { reference: record.reference });
    return gettext("Waiting to send");
  }

  async function render() {
    let records = (await ImbizoOutbox.all()).filter((record) => record.municipality === code);
    const now = Date.now();
    for (const record of records.filter((r) => r.state === "sent" && now - Date.parse(r.createdAt) > SENT_KEPT_MS)) {
      await ImbizoOutbox.remove(record.key);
    }
    records = records.filter((r) => !(r.state === "sent" && now - Date.parse(r.createdAt) > SENT_KEPT_MS));
    const waiting = records.filter((record) => record.state === "waiting" || record.state === "sending").length;
    box.hidden = !records.length;
    box.dataset.waiting = String(waiting);
    title.textContent = waiting ? fill(gettext("Waiting to send (%(count)s)"), { count: waiting }) : gettext("Sent from this device");
    list.innerHTML = records.map((record) => {
      const what = escapeHtml(record.categoryName || record.category || gettext("Report"));
      const when = new Date(record.createdAt).toLocaleString(document.documentElement.lang);
      const link = record.state === "sent"
        ? ` <a href="/track/${encodeURIComponent(record.reference)}/">${escapeHtml(gettext("Track it"))}</a>` : "";
      const discard = record.state === "refused"
        ? ` <button type="button" class="link-button" data-discard="${escapeHtml(record.key)}">${escapeHtml(gettext("Remove"))}</button>` : "";
      return `<li data-key="${escapeHtml(record.key)}" data-state="${escapeHtml(record.state)}" data-reference="${escapeHtml(record.reference)}">` +
        `<strong>${what}</strong> <span class="muted">${escapeHtml(when)}</span><br>` +
        `<span class="outbox-state">${escapeHtml(stateText(record))}</span>${link}${discard}</li>`;
    }).join("");
    records.filter((record) => record.state === "sent" && record.trackingKey && !record.remembered).forEach((record) => {
      Imbizo.rememberReport({ reference: record.reference, tracking_key: record.trackingKey,
        category: { name: record.categoryName || record.category }, created_at: record.createdAt });
      ImbizoOutbox.update(record.key, { remembered: true });
    });
  }

  list.addEventListener("click", async (event) => {
    const key = event.target.dataset && event.target.dataset.discard;
    if (key) { await ImbizoOutbox.remove(key); render(); }
  });

  async function flush() {
    if (!navigator.onLine) return render();
    try { await ImbizoOutbox.flush(); } catch (error) { /* tried again at the next chance */ }
    return render();
  }

  // Keeps a report (and its photos, as Blobs) on this device until it can be sent.
  async function queue({ key, report, files, categoryName }) {
    await ImbizoOutbox.add({
      key, municipality: code, report, categoryName, clientId: Imbizo.clientId(), csrfToken: Imbizo.csrfToken(),
      language: document.documentElement.lang,
      photos: [...files].map((file) => ({ name: file.name, type: file.type, blob: file })),
    });
    ImbizoOutbox.requestSync();
    await render();
    box.focus();
    if (navigator.onLine) flush(); // "online" can be wrong (a captive portal); try anyway
  }

  ImbizoOutbox.onChange(() => render());
  window.addEventListener("online", flush);
  flush().then(() => { box.dataset.ready = "true"; });
  window.ImbizoReportOutbox = { queue, render, flush };
})();
