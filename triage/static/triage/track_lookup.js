// "Track an issue": besides the reference form, list the reports this browser filed (kept in its
// own storage by the report page; nothing about them is sent anywhere).
(function () {
  "use strict";
  const reports = Imbizo.store.json("imbizo:reports", []);
  if (!Array.isArray(reports) || !reports.length) return;
  const list = document.getElementById("my-reports-list");
  reports.forEach((report) => {
    if (!report || typeof report.reference !== "string") return;
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "/track/" + encodeURIComponent(report.reference) + "/";
    link.textContent = report.reference;
    item.appendChild(link);
    if (report.category) item.appendChild(document.createTextNode(" · " + report.category));
    list.appendChild(item);
  });
  document.getElementById("my-reports").hidden = !list.children.length;
})();
