// The patient page's last section, the scores, is computed after the page is shown: fetched
// from /patients/{id}/scores (same origin) and put in place. Without JavaScript, the section
// keeps its link to that page.
(function () {
  var section = document.getElementById("scores");
  if (!section || !section.dataset.src || !section.querySelector(".loading")) return;
  var waiting = section.querySelector(".loading");
  waiting.setAttribute("aria-busy", "true");
  fetch(section.dataset.src, {credentials: "same-origin"})
    .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
    .then(function (body) {
      var panel = new DOMParser().parseFromString(body, "text/html").getElementById("scores-panel");
      if (panel) { waiting.replaceWith(panel); }
    })
    .catch(function () { waiting.removeAttribute("aria-busy"); });
})();
