// The Plex sign-in's "Continue" page presses its own button after a moment; without
// scripts the person presses it. The server counts rounds and stops asking after a while.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autopost]").forEach(function (form) {
    var delay = parseInt(form.getAttribute("data-autopost"), 10) || 1000;
    window.setTimeout(function () { form.requestSubmit(); }, delay);
  });
})();
