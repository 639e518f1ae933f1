// Follows a flyer ZIP job on its staff page: polls the status, shows "n of m" and the progress bar, and reveals
// the download link when the ZIP is ready. The words come translated in the page's data-text-* attributes.
(function () {
  "use strict";
  var box = document.getElementById("flyer-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var text = document.getElementById("flyer-job-text");
  var bar = document.getElementById("flyer-job-bar");
  var fill = document.getElementById("flyer-job-fill");
  var link = document.getElementById("flyer-job-download");
  function words(name, data) {
    return (box.getAttribute("data-text-" + name) || "")
      .replace("{done}", String(data.done)).replace("{total}", String(data.total));
  }
  function show(data) {
    var progress = words("progress", data);
    bar.setAttribute("aria-valuemax", String(data.total));
    bar.setAttribute("aria-valuenow", String(data.done));
    bar.setAttribute("aria-valuetext", progress);
    fill.style.width = (data.total ? Math.round(1000 * data.done / data.total) / 10 : 0) + "%";
    var message = data.state === "done" ? words("done", data) : data.state === "failed" ? words("failed", data) : progress;
    if (text.textContent.trim() !== message) { text.textContent = message; }
    if (data.state === "done" && data.download_url) {
      link.setAttribute("href", data.download_url);
      link.hidden = false;
    }
    box.setAttribute("data-state", data.state);
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (data) { show(data); if (data.state === "running") { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.getAttribute("data-state") === "running") { poll(); }
})();
