// Questionnaire pages: block a second submission while the first is on its way (a double tap
// on a phone). The server refuses a double submission anyway; this only avoids the detour.
// The form works without this file.
(function () {
  "use strict";
  document.querySelectorAll("form.questionnaire").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      form.setAttribute("aria-busy", "true");
    });
  });
  // Coming back through the browser's back/forward cache: allow submitting again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.questionnaire").forEach(function (form) {
      form.dataset.sending = "";
      form.removeAttribute("aria-busy");
    });
  });
})();
