// "Use my current location": asks the browser for its position and lists the booths nearest to it.
(function () {
  var button = document.getElementById("near-me");
  if (!button || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      var lat = position.coords.latitude.toFixed(5), lon = position.coords.longitude.toFixed(5);
      window.location.href = "/?near=" + lat + "," + lon + "#results";
    }, function () {
      button.disabled = false;
      var message = document.createElement("p");
      message.className = "field-error";
      message.setAttribute("role", "alert");
      message.textContent = button.getAttribute("data-error");
      button.parentNode.appendChild(message);
    }, { timeout: 10000, maximumAge: 600000 });
  });
})();
