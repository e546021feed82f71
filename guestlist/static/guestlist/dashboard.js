// Small progressive enhancements for the dashboard; every page works without them.
(function () {
  "use strict";

  // Forms marked data-confirm ask before submitting (delete, remove access).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // Buttons marked data-copy copy a text to the clipboard and say so.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = button.getAttribute("data-copied") || "Copied";
    var label = button.textContent;
    function confirmCopied() {
      button.textContent = done;
      window.setTimeout(function () { button.textContent = label; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(confirmCopied);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      document.body.removeChild(area);
      confirmCopied();
    }
  });
})();
