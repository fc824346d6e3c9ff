// My issues: claim the reports this browser filed (their tracking keys) and those filed with my
// verified address; follow and unfollow.
(function () {
  "use strict";
  const { api, errorText, store, trackingKey } = window.Imbizo;
  const gettext = window.gettext || ((text) => text);

  document.getElementById("claim").addEventListener("click", async () => {
    const tracked = store.json("imbizo:reports", [])
      .map((report) => [report.reference, trackingKey(report.reference)])
      .filter(([reference, key]) => reference && key);
    const result = await api("/api/v1/me/issues/claim", { method: "POST", json: { tracked } });
    const out = document.getElementById("claim-result");
    if (!result.ok) { out.textContent = errorText(result); return; }
    if (result.body.length) window.location.reload();
    else out.textContent = gettext("No other reports of yours were found.");
  });

  document.querySelectorAll("button.follow").forEach((button) => {
    button.addEventListener("click", async () => {
      const result = await api(`/api/v1/me/issues/${encodeURIComponent(button.dataset.reference)}/follow`,
        { method: button.dataset.following ? "DELETE" : "POST" });
      if (result.ok) window.location.reload();
    });
  });
})();
