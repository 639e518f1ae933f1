// The booth's check-in page (portal/checkin_pages.py).
// - "Scan QR code": reads the booking slip's QR code (it holds the booking code only) with the device camera, using
//   the browser's BarcodeDetector where there is one and jsQR (static/vendor/jsqr, loaded on demand) elsewhere, then
//   sends the code form. Without a camera or JavaScript, staff type the code.
// - Every 30 seconds the page asks for the live figures and reloads itself when another device (or the release of
//   late bookings) changed the bookings or the queue, unless staff are typing.
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) return;
  var code = document.getElementById("code");
  var form = document.getElementById("code-form");
  var scanButton = document.getElementById("scan-button");
  var panel = document.getElementById("scanner");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var stopButton = document.getElementById("scanner-stop");
  var stream = null;
  var scanning = false;
  var detector = null;
  var canvas = document.createElement("canvas");

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = "/static/vendor/jsqr/jsQR.js";
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }, function () { return null; });
  }

  function stopCamera() {
    scanning = false;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.srcObject = null;
    panel.hidden = true;
  }

  function found(text) {
    stopCamera();
    code.value = String(text).trim();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function next() { if (scanning) window.requestAnimationFrame(tick); }

  function tick() {
    if (!scanning) return;
    if (video.readyState < 2 || !video.videoWidth) { next(); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) { found(codes[0].rawValue); } else { next(); }
      }, next);
      return;
    }
    var width = video.videoWidth, height = video.videoHeight;
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var result = window.jsQR(context.getImageData(0, 0, width, height).data, width, height,
                             { inversionAttempts: "dontInvert" });
    if (result && result.data) { found(result.data); } else { next(); }
  }

  function startCamera() {
    panel.hidden = false;
    status.textContent = status.dataset.looking;
    nativeDetector().then(function (native) {
      detector = native;
      return native ? null : loadJsQR();
    }).then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      return video.play();
    }).then(function () {
      scanning = true;
      next();
    }).catch(function () {
      stopCamera();
      panel.hidden = false;
      stopButton.hidden = true;
      status.textContent = status.dataset.failed;
      code.focus();
    });
  }

  if (scanButton && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext) {
    scanButton.hidden = false;
    scanButton.addEventListener("click", function () { stopButton.hidden = false; startCamera(); });
    stopButton.addEventListener("click", function () { stopCamera(); code.focus(); });
  }

  // After a walk-in: the ticket number; after a tap in the list (the address ends in #booking-N): that row stays
  // in view; otherwise the code field, ready for the next party.
  var ticket = document.getElementById("new-walk-in");
  if (ticket) { ticket.focus(); } else if (code && !window.location.hash) { code.focus(); }

  // --- keeping the page current ---------------------------------------------------------------------------------
  var version = root.dataset.version;
  var every = (parseInt(root.dataset.refresh, 10) || 30) * 1000;
  var changed = false;

  function busy() {
    var active = document.activeElement;
    return scanning || (code && code.value) || (active && active !== code && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
  }

  function showFigures(live) {
    Object.keys(live).forEach(function (key) {
      var cell = root.querySelector('[data-live="' + key + '"]');
      if (!cell || key === "as_of" || key === "wait_minutes") return;
      cell.textContent = live[key] === null ? "—" : String(live[key]);
    });
  }

  function poll() {
    if (!window.fetch) return;
    fetch(root.dataset.statusUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        showFigures(data.live);
        if (data.version !== version) changed = true;
        if (changed && !busy()) window.location.replace(window.location.pathname);
      })
      .catch(function () { /* offline for a moment: try again at the next turn */ });
  }

  window.setInterval(poll, every);
})();
