/* Guestlist's public invite pages.
 *
 * "Sign in with Plex" opens Plex in a popup on desktops; on phones (and whenever a popup is
 * blocked) the form simply submits, and the server sends the whole page to Plex and back.
 * Either way this script only ever talks to Guestlist: it polls Guestlist's own API, which
 * asks Plex, so no Plex token ever reaches the browser. Loaded as a file because the
 * Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";

  var POLL_MS = 2500;
  var MAX_WAIT_MS = 30000;

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          var retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
          return { status: response.status, data: data, retryAfter: retryAfter };
        });
    });
  }

  function statusLine(element) {
    return function (name) {
      if (!element) return;
      var text = element.getAttribute("data-text-" + name);
      if (text) {
        element.textContent = text;
        element.hidden = false;
      }
    };
  }

  function problemUrl(pageUrl, code) {
    var joiner = pageUrl.indexOf("?") === -1 ? "?" : "&";
    return pageUrl + joiner + "problem=" + encodeURIComponent(code || "plex_refused");
  }

  function closeQuietly(popup) {
    try {
      if (popup && !popup.closed) popup.close();
    } catch (ignored) {
      /* a popup Plex has taken over may refuse; it is harmless to leave it */
    }
  }

  /* Polls Guestlist every 2.5 s until Plex confirms the sign-in, backing off when
   * Guestlist or Plex asks for patience (429, 503). Returns a function that stops it. */
  function pollUntilRedeemed(options) {
    var stopped = false;
    var wait = POLL_MS;
    var timer = null;

    function again(ms) {
      if (!stopped) timer = window.setTimeout(tick, ms);
    }

    function tick() {
      postJson(options.redeemUrl, { code: options.code, pin_id: options.pinId }).then(
        function (answer) {
          if (stopped) return;
          var data = answer.data || {};
          if (data.welcome_url) {
            stopped = true;
            options.say("finishing");
            closeQuietly(options.popup);
            window.location.assign(data.welcome_url);
            return;
          }
          if (answer.status === 202) {
            wait = POLL_MS;
            options.onWaiting();
            again(POLL_MS);
            return;
          }
          if (answer.status === 429 || answer.status === 503) {
            wait = Math.min(Math.max(wait * 2, answer.retryAfter * 1000), MAX_WAIT_MS);
            options.say("slow");
            again(wait);
            return;
          }
          stopped = true;
          closeQuietly(options.popup);
          // 404: this sign-in is unknown to Guestlist (or its invite is gone); start over.
          var code = answer.status === 404 ? "pin_expired" : data.error;
          window.location.assign(problemUrl(options.pageUrl, code));
        },
        function () {
          if (stopped) return;
          wait = Math.min(wait * 2, MAX_WAIT_MS);
          options.say("failed");
          again(wait);
        }
      );
    }

    again(options.firstAfterMs === undefined ? POLL_MS : options.firstAfterMs);
    return function () {
      stopped = true;
      if (timer) window.clearTimeout(timer);
    };
  }

  function prefersFullRedirect() {
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    return coarse || window.innerWidth < 720;
  }

  function setUpSignIn(form) {
    var button = form.querySelector("button");
    var say = statusLine(document.querySelector(".signin-status"));
    var stopPolling = null;

    // Back from Plex through the browser's history: the page may come back as it was left.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
    });

    form.addEventListener("submit", function (event) {
      if (prefersFullRedirect()) {
        // The form goes to Guestlist, which starts the sign-in and sends this page to Plex.
        say("opening");
        window.setTimeout(function () {
          button.disabled = true;
        }, 0);
        return;
      }
      // The popup must open inside the click, or the browser blocks it.
      var popup = window.open("", "guestlist-plex-sign-in", "popup,width=520,height=720");
      if (!popup) return; // blocked: let the form submit and redirect this page instead
      event.preventDefault();
      if (stopPolling) stopPolling();
      say("opening");
      button.disabled = true;
      var pageUrl = form.getAttribute("data-page-url");
      var code = form.getAttribute("data-code");
      var accepted = (form.getAttribute("data-accepted") || "")
        .split(",")
        .filter(Boolean)
        .map(Number);
      postJson(form.getAttribute("data-api-start"), { code: code, accepted_steps: accepted }).then(
        function (answer) {
          button.disabled = false;
          if (answer.status !== 201 || !answer.data.auth_url) {
            closeQuietly(popup);
            window.location.assign(problemUrl(pageUrl, answer.status === 429 ? "rate_limited" : answer.data.error));
            return;
          }
          popup.location.href = answer.data.auth_url;
          say("waiting");
          var polls = 0;
          stopPolling = pollUntilRedeemed({
            code: code,
            pinId: answer.data.pin_id,
            redeemUrl: form.getAttribute("data-api-redeem"),
            pageUrl: pageUrl,
            popup: popup,
            say: say,
            onWaiting: function () {
              polls += 1;
              // Not "closed" for certain: Plex's page may cut the link to its window.
              say(popup.closed && polls > 2 ? "closed" : "waiting");
            },
          });
        },
        function () {
          button.disabled = false;
          closeQuietly(popup);
          say("failed");
        }
      );
    });
  }

  function setUpContinue(box) {
    var say = statusLine(box.querySelector(".signin-status"));
    pollUntilRedeemed({
      code: box.getAttribute("data-code"),
      pinId: box.getAttribute("data-pin"),
      redeemUrl: box.getAttribute("data-api-redeem"),
      pageUrl: box.getAttribute("data-page-url"),
      popup: null,
      say: say,
      firstAfterMs: 0,
      onWaiting: function () {
        say("waiting");
      },
    });
  }

  function localTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var language = document.documentElement.lang || undefined;
    var format = new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "short" });
    document.querySelectorAll("time[data-local]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (!isNaN(moment.getTime())) element.textContent = format.format(moment);
    });
  }

  localTimes();
  document.querySelectorAll("form[data-plex-signin]").forEach(setUpSignIn);
  document.querySelectorAll("[data-plex-continue]").forEach(setUpContinue);
})();
