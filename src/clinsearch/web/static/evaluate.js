// The evaluation and model forms, enhanced: instead of waiting 10 s on a blank page, the work runs
// as a job (POST to the form's data-jobs, /evaluate/jobs by default) whose steps are shown as they
// pass (GET .../jobs/ID, polled), then its page opens. Without JavaScript, or if the job cannot
// start, the form posts as usual.
(function () {
  "use strict";
  const box = document.getElementById("evaluate-progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const items = Array.prototype.slice.call(box.querySelectorAll("li[data-step]"));

  function show(step) {
    const at = items.findIndex(function (li) { return li.dataset.step === step; });
    items.forEach(function (li, i) {
      li.classList.toggle("done", i < at);
      li.classList.toggle("current", i === at);
      if (i === at) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    bar.value = Math.max(at, 0);
  }

  function poll(job) {
    fetch(job.progress, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.error) { window.location.assign(job.back); return; }
        if (state.step) show(state.step);
        if (state.done) { bar.value = bar.max; window.location.assign(job.page); return; }
        setTimeout(function () { poll(job); }, 250);
      })
      .catch(function () { setTimeout(function () { poll(job); }, 1000); });
  }

  document.querySelectorAll("form.evaluate, form[data-jobs]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      const submitter = event.submitter;
      const action = submitter && submitter.name === "action" ? submitter.value : "evaluate";
      if (action !== "evaluate") return;  // building the outcome: an ordinary step of the form
      event.preventDefault();
      const data = new FormData(form);
      if (submitter && submitter.name) data.set(submitter.name, submitter.value);
      box.hidden = false;
      show(items.length ? items[0].dataset.step : "");
      document.querySelectorAll("form.evaluate button, form[data-jobs] button").forEach(function (b) { b.disabled = true; });
      const back = form.getAttribute("action") || "/evaluate";
      fetch(form.dataset.jobs || "/evaluate/jobs", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
        .then(function (job) { job.back = back; poll(job); })
        .catch(function () { box.hidden = true; HTMLFormElement.prototype.submit.call(form); });
    });
  });
})();
