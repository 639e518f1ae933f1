// The live part of a queue ticket's page and of the waiting room's board (portal/templates/public/ticket.html and
// board.html): every data-refresh seconds the part is fetched again as HTML from data-live, rendered by the server
// in the reader's language, and put in place when it changed. On the board a new call sounds a chime (WebAudio: no
// file, no third party) and its sentence is given to screen readers; on a ticket, a change of its state is given to
// screen readers and the phone vibrates when the number is called. A ticket that is over (served, absent,
// cancelled, of another day) is no longer asked for; a page coming back to the screen asks at once.
(function () {
  "use strict";
  var region = document.getElementById("counter-live");
  if (!region || !window.fetch) return;
  var url = region.dataset.live;
  var every = (parseFloat(region.dataset.refresh) || 1) * 1000;
  var board = region.dataset.chime === "1";
  var announce = document.getElementById("counter-announce");
  var audio = null;
  var chimes = 0;

  function squeeze(html) { return html.replace(/\s+/g, " ").trim(); }
  var shown = squeeze(region.innerHTML);

  function attribute(selector, name) {
    var element = region.querySelector(selector);
    return element ? element.getAttribute(name) || "" : "";
  }

  function spoken(element) {
    if (!element) return "";
    var copy = element.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("rt"), function (rt) { rt.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function chime() {
    chimes += 1;
    region.dataset.chimes = String(chimes);
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      if (!audio) audio = new Context();
      if (audio.state === "suspended") audio.resume();
      var start = audio.currentTime;
      [[880, 0], [660, 0.4]].forEach(function (note) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, start + note[1]);
        gain.gain.exponentialRampToValueAtTime(0.5, start + note[1] + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + note[1] + 0.7);
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(start + note[1]);
        oscillator.stop(start + note[1] + 0.75);
      });
    } catch (error) { /* no sound on this device: the board still shows the call */ }
  }

  // A browser that allows sound only after a gesture gets it from the first touch or click anywhere.
  document.addEventListener("pointerdown", function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }, { once: true });

  var lastCall = attribute("[data-last-call]", "data-last-call");
  var lastState = attribute("#ticket-state", "data-state");
  var lastStateText = spoken(region.querySelector("#ticket-state"));

  function update(html) {
    if (html === null || squeeze(html) === shown) return;
    shown = squeeze(html);
    region.innerHTML = html;
    if (board) {
      var call = attribute("[data-last-call]", "data-last-call");
      if (call && call !== lastCall) {
        chime();
        if (announce) announce.textContent = spoken(region.querySelector(".board__announce"));
      }
      lastCall = call;
      return;
    }
    var state = attribute("#ticket-state", "data-state");
    var text = spoken(region.querySelector("#ticket-state"));
    if (text !== lastStateText && announce) announce.textContent = text;
    if (state === "called" && lastState !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
    lastState = state;
    lastStateText = text;
  }

  var FINISHED = ["served", "absent", "cancelled", "over"];
  var timer = null;
  var asking = false;

  function poll() {
    timer = null;
    if (asking) return;
    asking = true;
    fetch(url, { headers: { Accept: "text/html" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(update)
      .catch(function () { /* try again at the next turn */ })
      .then(function () {
        asking = false;
        if (!board && FINISHED.indexOf(attribute("#ticket-state", "data-state")) >= 0) return;
        if (timer === null) timer = window.setTimeout(poll, every);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden || asking) return;
    if (timer !== null) window.clearTimeout(timer);
    poll();
  });

  if (board || FINISHED.indexOf(lastState) < 0) timer = window.setTimeout(poll, every);
})();
