// The counter's staff pages: the ticket page prints itself on request (a button, no inline script under the CSP),
// and a window's page reloads itself every few seconds while idle, so that its waiting counts stay current.
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var page = document.getElementById("counter-window");
  if (!page) return;
  var seconds = parseInt(page.dataset.refresh || "0", 10);
  if (!seconds) return;
  var touched = Date.now();
  ["input", "change", "focusin", "pointerdown", "keydown"].forEach(function (name) {
    page.addEventListener(name, function () { touched = Date.now(); });
  });
  setInterval(function () {
    if (Date.now() - touched < seconds * 1000 || document.querySelector("form[data-sent]")) return;
    var query = new URLSearchParams(window.location.search);
    query.delete("done");  // the last action's message is not repeated by a reload
    query.delete("ticket");
    var rest = query.toString();
    window.location.replace(window.location.pathname + (rest ? "?" + rest : ""));
  }, seconds * 1000);
})();
