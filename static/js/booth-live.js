// The public booth page's "Today at this booth" panel (portal/templates/public/booth.html): the page shows the
// status as rendered; this script refreshes it from GET /api/sessions/{id} ("live") every 30 seconds. The texts
// come translated in the panel's data-t-* attributes.
(function () {
  "use strict";
  var panel = document.getElementById("booth-live");
  if (!panel || !window.fetch) return;
  var t = panel.dataset;

  function format(template, n) { return template.replace("{n}", String(n)); }

  function fill(key, text) {
    var cell = panel.querySelector('[data-live="' + key + '"]');
    if (cell) (cell.querySelector("strong") || cell).textContent = text;
  }

  function render(live) {
    fill("phase", live.phase === "open" ? t.tOpen : live.phase === "before" ? t.tBefore : t.tClosed);
    fill("wait_minutes", live.phase !== "open" ? "—" : live.wait_minutes === null ? t.tLong
      : live.wait_minutes === 0 ? t.tNone : format(t.tWait, live.wait_minutes));
    fill("waiting_parties", format(t.tParties, live.waiting_parties));
    fill("now_serving", live.now_serving ? format(t.tNumber, live.now_serving) : "—");
    fill("open_places", format(t.tPlaces, live.open_places));
    var time = panel.querySelector('[data-live="as_of"]');
    if (time && live.as_of) {
      time.setAttribute("datetime", live.as_of);
      time.textContent = new Date(live.as_of).toLocaleTimeString("ja-JP",
        { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });
    }
  }

  function poll() {
    fetch(t.api, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (session) { if (session && session.live) render(session.live); })
      .catch(function () { /* try again at the next turn */ });
  }

  window.setInterval(poll, (parseInt(t.refresh, 10) || 30) * 1000);
})();
