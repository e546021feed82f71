"""The fake Plex sign-in page (`/auth`) and the avatars of the simulated accounts."""

from __future__ import annotations

import hashlib
from html import escape

from werkzeug.wrappers import Response

from guestlist.plexsim import render
from guestlist.plexsim.core import Call

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Plex (simulator)</title>
<link rel="icon" href="data:,">
<style>
  body {{ font-family: system-ui, sans-serif; background: #1f2326; color: #eee;
         margin: 0; }}
  main {{ max-width: 26rem; margin: 3rem auto; padding: 1.5rem; background: #282d31;
         border-radius: 8px; }}
  h1 {{ font-size: 1.25rem; margin-top: 0; }}
  ul {{ list-style: none; padding: 0; }}
  button {{ display: flex; align-items: center; gap: .75rem; width: 100%;
           padding: .5rem; margin: .25rem 0; font: inherit; color: inherit;
           background: #363c41; border: 1px solid #4a5157; border-radius: 6px;
           cursor: pointer; }}
  button:hover, button:focus {{ border-color: #e5a00d; }}
  img {{ width: 2rem; height: 2rem; border-radius: 50%; }}
  #status {{ min-height: 1.5rem; color: #e5a00d; }}
</style>
</head>
<body>
<main>
  <h1>Sign in to Plex</h1>
  <p>This is the Plex simulator. Pick the account to sign in as.</p>
  <p id="status" role="status"></p>
  <ul>
{buttons}
  </ul>
</main>
<script>
(function () {{
  // Plex puts the parameters in the fragment, as "#?…" or "#!?…".
  var params = new URLSearchParams(window.location.hash.replace(/^#!?\\??/, ""));
  var code = params.get("code");
  var clientID = params.get("clientID");
  var forwardUrl = params.get("forwardUrl");
  var status = document.getElementById("status");
  if (!code) {{
    status.textContent = "This sign-in link has no PIN code.";
  }}
  document.querySelectorAll("button[data-account]").forEach(function (button) {{
    button.addEventListener("click", function () {{
      fetch("/__sim/auth/approve", {{
        method: "POST",
        headers: {{"Content-Type": "application/json"}},
        body: JSON.stringify({{
          code: code, clientID: clientID, account: button.dataset.account
        }})
      }}).then(function (response) {{
        if (!response.ok) {{
          status.textContent =
            "This sign-in link has expired. Start again from the app.";
          return;
        }}
        if (forwardUrl) {{
          window.location.assign(forwardUrl);
          return;
        }}
        status.textContent = "Signed in. You can close this window.";
        window.close();
      }});
    }});
  }});
}})();
</script>
</body>
</html>
"""

_BUTTON = (
    '    <li><button type="button" data-account="{username}">'
    '<img src="{thumb}" alt=""><span>{username}</span></button></li>'
)


def auth_page(call: Call) -> Response:
    people = [a for a in call.state.accounts if not a.managed and a.username]
    buttons = "\n".join(
        _BUTTON.format(
            username=escape(a.username),
            thumb=escape(render.absolute(a.thumb, call.base_url)),
        )
        for a in people
    )
    response = Response(_PAGE.format(buttons=buttons), content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


_PALETTE = (
    "#e5a00d",
    "#3f8efc",
    "#2bb673",
    "#e4572e",
    "#a259ff",
    "#17bebb",
    "#f25f5c",
    "#6c8ead",
)


def avatar_svg(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    colour = _PALETTE[digest[0] % len(_PALETTE)]
    initials = escape((name[:2] or "?").upper())
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" '
        'viewBox="0 0 96 96">'
        f'<circle cx="48" cy="48" r="48" fill="{colour}"/>'
        '<text x="48" y="60" font-family="sans-serif" font-size="36" '
        'text-anchor="middle" fill="#fff">'
        f"{initials}</text></svg>"
    )


def avatar(call: Call, name: str) -> Response:
    response = Response(avatar_svg(name), content_type="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
