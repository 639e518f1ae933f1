// A second click on a submit button marked data-once does nothing while the first submission is on its way
// (the server also makes one booking of a resubmitted form: its form_token is the Idempotency-Key).
(function () {
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      var button = form.querySelector("[data-once]");
      if (button) button.setAttribute("aria-busy", "true");
    });
  });
  // A page restored by the Back button (back/forward cache) keeps its state: let its forms be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      var button = form.querySelector("[data-once]");
      if (button) button.removeAttribute("aria-busy");
    });
  });
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
