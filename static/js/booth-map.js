// Booths on a map, drawn in the browser from the public JSON API (GET /api/sessions, or /api/sessions/{id} for one
// booth) with Leaflet and Leaflet.markercluster served from /static/vendor (no CDN, no inline script). The server
// renders no map: the list it returns is the same for every visitor with the same filters, so it stays cached
// however many places residents search from.
//
// Any element with data-booth-map is drawn when it comes into view; its data-* attributes say what to draw:
//   data-sessions      the API address of the booths (a list, or one booth)
//   data-here          "LAT,LON": the place the resident searched from (a red dot; the map fits it too)
//   data-wheelchair, data-parking   "1": only booths with that access (the API has no such filter)
//   data-src           the placement code carried in the booth links (?src=)
//   data-tiles, data-attribution    the tile server (TILE_URL) and its credit (TILE_ATTRIBUTION, HTML)
//   data-t-*           the texts, translated by the page: book, places ({n}), full, here, zoom-in, zoom-out,
//                      cluster ({n}), live-before, live-closed, live-long, live-none, live-wait ({n}), failed
// Keyboard: the map pans with the arrow keys and zooms with + and -; Tab reaches every pin, Enter opens its
// popup and moves the focus to the popup's link.
(function () {
  "use strict";

  function format(template, n) { return (template || "").replace("{n}", String(n)); }

  function liveText(t, live) {
    if (!live) return "";
    if (live.phase === "before") return t.tLiveBefore;
    if (live.phase === "closed") return t.tLiveClosed;
    if (live.wait_minutes === null) return t.tLiveLong;
    if (live.wait_minutes === 0) return t.tLiveNone;
    return format(t.tLiveWait, live.wait_minutes);
  }

  function dayText(date, lang) {
    try {
      return new Date(date + "T12:00:00+09:00").toLocaleDateString(lang,
        { timeZone: "Asia/Tokyo", year: "numeric", month: "long", day: "numeric", weekday: "short" });
    } catch (error) {
      return date;
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // The popup of one booth, built from text nodes (names come from data: never parsed as HTML).
  function popup(t, booth, name, when, src) {
    var box = element("div", "booth-popup");
    box.appendChild(element("strong", "booth-popup__name", name));
    box.appendChild(element("p", "booth-popup__when", when));
    box.appendChild(element("p", "booth-popup__places",
      booth.remaining ? format(t.tPlaces, booth.remaining) : t.tFull));
    var now = liveText(t, booth.live);
    if (now) box.appendChild(element("p", "booth-popup__live", now));
    var link = element("a", "booth-popup__link", t.tBook);
    link.href = "/booths/" + encodeURIComponent(booth.id) + (src ? "?src=" + encodeURIComponent(src) : "");
    box.appendChild(link);
    return box;
  }

  function point(text) {
    var parts = (text || "").split(",").map(Number);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) ? [parts[0], parts[1]] : null;
  }

  function labelled(marker, label) {
    var icon = marker.getElement();
    if (icon) {
      icon.setAttribute("aria-label", label);
      icon.title = label;
    }
  }

  function draw(container) {
    if (container.dataset.drawn || typeof L === "undefined") return;
    container.dataset.drawn = "1";
    var t = container.dataset;
    var lang = document.documentElement.lang || "ja";
    var here = point(t.here);
    var map = L.map(container, { scrollWheelZoom: false, zoomControl: false, center: here || [36.56, 136.65],
      zoom: 13 });
    // The + and − are drawn by CSS: an icon, not text, so the buttons' names are just "zoom in" and "zoom out"
    // (as text, WCAG 2.5.3 would want the symbol in the name, and screen readers would read "plus").
    L.control.zoom({ zoomInTitle: t.tZoomIn, zoomOutTitle: t.tZoomOut,
      zoomInText: '<span class="booth-map__zoom-in" aria-hidden="true"></span>',
      zoomOutText: '<span class="booth-map__zoom-out" aria-hidden="true"></span>' }).addTo(map);
    L.tileLayer(t.tiles, { attribution: t.attribution, maxZoom: 18, minZoom: 5 }).addTo(map);
    var group = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup({
      disableClusteringAtZoom: 15,
      iconCreateFunction: function (cluster) {  // a cluster is a button too: its name says what Enter does
        var n = cluster.getChildCount();
        var name = element("span", "visually-hidden", format(t.tCluster, n));
        return L.divIcon({ className: "marker-cluster marker-cluster-small", iconSize: [40, 40],
          html: '<div><span aria-hidden="true">' + n + "</span>" + name.outerHTML + "</div>" });
      }
    }) : L.featureGroup();
    map.addLayer(group);
    var bounds = here ? [here] : [];
    if (here) {
      L.circleMarker(here, { radius: 8, color: "#ffffff", weight: 3, fillColor: "#d0021b", fillOpacity: 1,
        className: "here-marker", interactive: false }).addTo(map);
    }
    fetch(t.sessions, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        var booths = (Array.isArray(data) ? data : [data]).filter(function (booth) {
          return (t.wheelchair !== "1" || booth.venue.wheelchair) && (t.parking !== "1" || booth.venue.priority_parking);
        });
        booths.forEach(function (booth) {
          var name = lang === "en" && booth.venue.name_en ? booth.venue.name_en : booth.venue_name;
          var when = dayText(booth.date, lang) + " " + booth.start + "–" + booth.end;
          var marker = L.marker([booth.lat, booth.lon], {
            icon: L.divIcon({ className: "booth-pin" + (booth.remaining ? "" : " booth-pin--full"),
              iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14] }),
            keyboard: true, riseOnHover: true
          });
          marker.bindPopup(popup(t, booth, name, when, t.src), { maxWidth: 280 });
          marker.on("add", function () { labelled(marker, name + " " + when); });
          marker.on("popupopen", function () {  // the focus goes to the popup's link, and back when it closes
            var link = marker.getPopup().getElement().querySelector("a.booth-popup__link");
            if (link) link.focus({ preventScroll: true });
          });
          marker.on("popupclose", function () {
            var icon = marker.getElement();
            if (icon && (!document.activeElement || document.activeElement === document.body)) icon.focus();
          });
          group.addLayer(marker);
          bounds.push([booth.lat, booth.lon]);
        });
        if (bounds.length) map.fitBounds(bounds, { maxZoom: 15, padding: [24, 24] });
        container.dataset.markers = String(booths.length);
      })
      .catch(function () {
        var message = element("p", "notice", t.tFailed);
        message.setAttribute("role", "status");
        container.parentNode.insertBefore(message, container.nextSibling);
      });
  }

  function start() {
    var maps = document.querySelectorAll("[data-booth-map]");
    Array.prototype.forEach.call(maps, function (container) {
      if (!("IntersectionObserver" in window)) return draw(container);
      var seen = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          seen.disconnect();
          draw(container);
        }
      }, { rootMargin: "200px" });
      seen.observe(container);
    });
  }

  window.OutreachBoothMap = { draw: draw };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
