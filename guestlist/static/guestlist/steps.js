/* Guided steps (the invite page's before-joining steps, the welcome page, /me/start).
 *
 * Every step is a plain page with Back and Next links (or a form when the step asks the
 * friend to accept something), so this only adds ways to press them: the arrow keys on a
 * desktop, a horizontal swipe on a phone. A step that asks for acceptance is never skipped:
 * "next" then submits its form, and the browser insists on the tick box.
 */
(function () {
  "use strict";

  var SWIPE_MIN_PX = 60;

  function go(guide, direction) {
    if (direction < 0) {
      var back = guide.querySelector('a[rel="prev"]');
      if (back) window.location.assign(back.href);
      return;
    }
    var next = guide.querySelector('a[rel="next"]');
    if (next) {
      window.location.assign(next.href);
      return;
    }
    var button = guide.querySelector("button[data-next]");
    if (button && button.form) {
      if (button.form.reportValidity && !button.form.reportValidity()) return;
      button.form.requestSubmit ? button.form.requestSubmit(button) : button.form.submit();
    }
  }

  // Arrow keys belong to text fields and menus; a tick box has no use for them.
  var NOT_TYPED = { checkbox: true, radio: true, button: true, submit: true, reset: true };

  function typing(target) {
    var name = target && target.tagName;
    if (name === "INPUT") return !NOT_TYPED[(target.type || "").toLowerCase()];
    return name === "TEXTAREA" || name === "SELECT" || (target && target.isContentEditable);
  }

  // Listeners sit on the document and look for the guide each time: in the member area
  // htmx swaps the page's main part, guide included.
  function currentGuide() {
    return document.querySelector("[data-steps]");
  }

  document.addEventListener("keydown", function (event) {
    var guide = currentGuide();
    if (!guide || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || typing(event.target)) return;
    if (event.key === "ArrowRight") go(guide, 1);
    else if (event.key === "ArrowLeft") go(guide, -1);
  });

  var startX = null;
  var startY = null;
  document.addEventListener(
    "touchstart",
    function (event) {
      var guide = currentGuide();
      startX = null;
      if (!guide || event.touches.length !== 1 || !guide.contains(event.target)) return;
      startX = event.touches[0].clientX;
      startY = event.touches[0].clientY;
    },
    { passive: true }
  );
  document.addEventListener(
    "touchend",
    function (event) {
      var guide = currentGuide();
      if (!guide || startX === null || !event.changedTouches.length) return;
      var dx = event.changedTouches[0].clientX - startX;
      var dy = event.changedTouches[0].clientY - startY;
      startX = null;
      // Mostly sideways and long enough: a swipe, not a scroll. A swipe to the left is "next".
      if (Math.abs(dx) >= SWIPE_MIN_PX && Math.abs(dx) > 2 * Math.abs(dy)) go(guide, dx < 0 ? 1 : -1);
    },
    { passive: true }
  );
})();
