// Passkeys (WebAuthn): the server makes the options and keeps the challenge in the session;
// this script only converts between base64url JSON and the ArrayBuffers the browser wants.
// Buttons stay hidden where the browser has no WebAuthn (the code form still works there).
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken(element) {
    var scope = element.closest("main") || document;
    var input = scope.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, element, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(element) },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.message || response.statusText);
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function showError(button, error) {
    var box = button.closest("[data-passkey-signin], [data-passkey-create-box], [data-passkey-add]");
    var target = box && box.querySelector("[data-passkey-error]");
    if (!target) return;
    target.textContent = error && error.message ? error.message : String(error);
    target.hidden = false;
  }

  function finish(data) {
    if (data.redirect) window.location.assign(data.redirect);
    else window.location.reload();
  }

  // Sign in (passwordless, or as the second factor): navigator.credentials.get.
  document.querySelectorAll("[data-passkey-get]").forEach(function (button) {
    var box = button.closest("[data-passkey-signin]");
    if (box) box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      post(button.getAttribute("data-options-url"), button)
        .then(function (options) {
          options.challenge = toBytes(options.challenge);
          options.allowCredentials = descriptors(options.allowCredentials);
          return navigator.credentials.get({ publicKey: options });
        })
        .then(function (credential) {
          return post(button.getAttribute("data-verify-url"), button, {
            credential: {
              id: credential.id,
              rawId: toBase64url(credential.rawId),
              type: credential.type,
              authenticatorAttachment: credential.authenticatorAttachment,
              clientExtensionResults: credential.getClientExtensionResults(),
              response: {
                clientDataJSON: toBase64url(credential.response.clientDataJSON),
                authenticatorData: toBase64url(credential.response.authenticatorData),
                signature: toBase64url(credential.response.signature),
                userHandle: credential.response.userHandle ? toBase64url(credential.response.userHandle) : null,
              },
            },
          });
        })
        .then(finish)
        .catch(function (error) { showError(button, error); })
        .finally(function () { button.disabled = false; });
    });
  });

  // Register a passkey: navigator.credentials.create.
  document.querySelectorAll("[data-passkey-create]").forEach(function (button) {
    var box = button.closest("[data-passkey-create-box], [data-passkey-add]");
    if (box) box.hidden = false;
    button.addEventListener("click", function () {
      var nameInput = box && box.querySelector("[data-passkey-name]");
      button.disabled = true;
      post(button.getAttribute("data-options-url"), button)
        .then(function (options) {
          options.challenge = toBytes(options.challenge);
          options.user.id = toBytes(options.user.id);
          options.excludeCredentials = descriptors(options.excludeCredentials);
          return navigator.credentials.create({ publicKey: options });
        })
        .then(function (credential) {
          var response = credential.response;
          return post(button.getAttribute("data-verify-url"), button, {
            name: nameInput ? nameInput.value : "",
            credential: {
              id: credential.id,
              rawId: toBase64url(credential.rawId),
              type: credential.type,
              authenticatorAttachment: credential.authenticatorAttachment,
              clientExtensionResults: credential.getClientExtensionResults(),
              response: {
                clientDataJSON: toBase64url(response.clientDataJSON),
                attestationObject: toBase64url(response.attestationObject),
                transports: response.getTransports ? response.getTransports() : [],
              },
            },
          });
        })
        .then(finish)
        .catch(function (error) { showError(button, error); })
        .finally(function () { button.disabled = false; });
    });
  });
})();
