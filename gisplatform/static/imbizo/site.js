// What every page shares: the language switcher changes language as soon as one is chosen.
(function () {
  "use strict";
  const switcher = document.querySelector(".language-switcher");
  if (switcher) {
    const select = switcher.querySelector("select");
    switcher.querySelector("button").hidden = true;
    select.addEventListener("change", () => switcher.submit());
  }
})();
