// Polls the solver's progress for a plan page and reloads it when the plan is ready.
(function () {
  "use strict";
  var box = document.getElementById("solver-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var text = document.getElementById("progress-text");
  var bar = document.getElementById("progress-bar");
  var lang = document.documentElement.lang === "en" ? "en" : "ja";
  var words = {
    ja: { preparing: "データを準備しています…", best: "現在の最良案", bound: "上限（これ以上は不可能）", gap: "差", seconds: "秒経過", failed: "計算に失敗しました。" },
    en: { preparing: "Preparing the data…", best: "Best plan so far", bound: "proven bound", gap: "gap", seconds: "s elapsed", failed: "The planner failed." }
  }[lang];
  function show(data) {
    var p = data.progress || {};
    if (data.solve_state === "done") { window.location.reload(); return; }
    if (data.solve_state === "failed") { text.textContent = words.failed + " " + (data.error || ""); bar.value = 0; return; }
    if (p.incumbent == null) { text.textContent = words.preparing + (p.elapsed ? " (" + p.elapsed + " " + words.seconds + ")" : ""); return; }
    var parts = [words.best + ": " + p.incumbent.toFixed(1)];
    if (p.bound != null) {
      parts.push(words.bound + ": " + p.bound.toFixed(1));
      var gap = p.bound > 0 ? Math.max(0, (p.bound - p.incumbent) / p.bound) : 0;
      parts.push(words.gap + ": " + (gap * 100).toFixed(2) + "%");
      bar.value = Math.round(100 * (1 - Math.min(1, gap * 10)));
    }
    if (p.elapsed) { parts.push(p.elapsed + " " + words.seconds); }
    text.textContent = parts.join(" / ");
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data); if (data.solve_state !== "done") { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
