// Small progressive enhancements for the dashboard; every page works without them.
(function () {
  "use strict";

  // data-confirm on a form (or on the button that submits it) asks before submitting.
  // data-confirm-if="field:value" on the form asks only when that field has that value.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.getAttribute) return;
    var submitter = event.submitter;
    var question = submitter && submitter.getAttribute("data-confirm");
    if (!question) {
      question = form.getAttribute("data-confirm");
      var condition = form.getAttribute("data-confirm-if");
      if (question && condition) {
        var parts = condition.split(":");
        var field = form.elements[parts[0]];
        if (!field || field.value !== parts[1]) question = null;
      }
    }
    if (question && !window.confirm(question)) {
      event.preventDefault();
      // Keep htmx from sending a request the owner just declined.
      event.stopImmediatePropagation();
    }
  }, true);

  // data-copy copies a text to the clipboard and says so on the button.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    document.body.removeChild(area);
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var done = button.getAttribute("data-copied") || "Copied";
    if (!button.hasAttribute("data-label")) button.setAttribute("data-label", button.textContent);
    copyText(button.getAttribute("data-copy")).then(function () {
      button.textContent = done;
      button.classList.add("copied");
      window.setTimeout(function () {
        button.textContent = button.getAttribute("data-label");
        button.classList.remove("copied");
      }, 1500);
    });
  });

  // Selects marked data-autosubmit submit their form when changed (the language menu).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.requestSubmit();
    }
  });

  // htmx swaps nothing on an error answer or a failed connection; say so instead of doing
  // nothing, or the owner is left clicking a button that seems dead.
  function showRequestProblem(kind) {
    var box = document.getElementById("messages");
    if (!box) return;
    var text = box.getAttribute(kind);
    if (!text) return;
    var line = document.createElement("p");
    line.className = "message error";
    line.setAttribute("data-request-problem", "");
    line.textContent = text;
    var previous = box.querySelector("[data-request-problem]");
    if (previous) box.removeChild(previous);
    box.appendChild(line);
  }
  document.addEventListener("htmx:responseError", function () { showRequestProblem("data-request-failed"); });
  document.addEventListener("htmx:sendError", function () { showRequestProblem("data-request-unsent"); });

  // A form that came back with errors starts with their summary: focus it, so the reader
  // hears and sees it first, and let each entry put the cursor into its field.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  } else {
    focusErrorSummary(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { focusErrorSummary(event.target); });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-focus-field]") : null;
    if (!link) return;
    var field = document.getElementById(link.getAttribute("data-focus-field"));
    if (!field) return;
    event.preventDefault();
    var details = field.closest("details");
    if (details) details.open = true;
    field.scrollIntoView({block: "center"});
    field.focus();
  });

  // Rows of tabs scroll sideways on a phone: start with the current tab in view, and fade
  // the edge while more tabs hide past it.
  function fitScroller(box) {
    var more = box.scrollWidth - box.clientWidth - box.scrollLeft > 4;
    box.classList.toggle("scrolls-more", more);
  }
  function setUpScrollers() {
    var boxes = document.querySelectorAll(".tabs, .subnav, .mainnav");
    Array.prototype.forEach.call(boxes, function (box) {
      var current = box.querySelector("[aria-current='page'], .tab:has(input:checked)");
      if (current && box.scrollWidth > box.clientWidth) {
        box.scrollLeft = current.offsetLeft - box.offsetLeft - (box.clientWidth - current.offsetWidth) / 2;
      }
      fitScroller(box);
      box.addEventListener("scroll", function () { fitScroller(box); }, {passive: true});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpScrollers);
  } else {
    setUpScrollers();
  }
  window.addEventListener("resize", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".tabs, .subnav, .mainnav"), fitScroller);
  });

  // Clicking a read-only link field selects it, ready to copy by hand.
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input && input.tagName === "INPUT" && input.readOnly) input.select();
  });
})();
