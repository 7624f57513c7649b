// The opened note: bring the cited passage, else the first term of the query, into view when the
// link had no fragment to do it (the page needs no script: links carry #cited or #first-hit).
(function () {
  if (window.location.hash) return;
  var target = document.getElementById("cited") || document.getElementById("first-hit");
  if (target) target.scrollIntoView({ block: "center" });
})();
