// What every page shares: the language switcher changes language as soon as one is chosen, and the
// service worker (/sw.js) is registered, which makes the site installable and usable offline.
(function () {
  "use strict";
  const switcher = document.querySelector(".language-switcher");
  if (switcher) {
    const select = switcher.querySelector("select");
    switcher.querySelector("button").hidden = true;
    select.addEventListener("change", () => switcher.submit());
  }
  if ("serviceWorker" in navigator && document.querySelector("link[rel=manifest]")) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((registration) => {
      document.documentElement.dataset.worker = "registered";
      window.imbizoWorker = registration;
    }).catch(() => { document.documentElement.dataset.worker = "failed"; });
    // A page loaded before the worker took over was not cached by it: ask the worker to keep it (and
    // the data the page names in <meta name="imbizo-offline">), so it opens offline next time.
    const remember = () => {
      const meta = document.querySelector("meta[name=imbizo-offline]");
      const urls = [location.pathname + location.search, ...(meta ? meta.content.split(" ").filter(Boolean) : [])];
      navigator.serviceWorker.controller.postMessage({ remember: urls });
    };
    if (navigator.serviceWorker.controller) remember();
    navigator.serviceWorker.addEventListener("controllerchange", remember);
  }
})();
