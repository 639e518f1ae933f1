// The booking form offers only the times that have room for the party chosen: a time whose room (data-room) is
// smaller than the party is hidden and cannot be chosen; when none is left, a note says so. Without script the
// server does the same after each submit.
(function () {
  var party = document.getElementById("party_size");
  if (!party) return;
  var none = document.getElementById("slot-none-fit");
  function update() {
    var size = parseInt(party.value, 10) || 1;
    var shown = 0;
    document.querySelectorAll(".slot-choice[data-room]").forEach(function (label) {
      var fits = parseInt(label.dataset.room, 10) >= size;
      var input = label.querySelector("input");
      label.hidden = !fits;
      input.disabled = !fits;
      if (!fits) input.checked = false;
      if (fits) shown += 1;
    });
    if (none) none.hidden = shown > 0;
  }
  party.addEventListener("change", update);
  update();
})();
