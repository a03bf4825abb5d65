// Passkeys (WebAuthn): the browser's part of adding one and of signing in with one.
// Each [data-passkey] block names its kind ("create" or "get"), where to ask for the options and
// where to send the answer; the server keeps the challenge. Without passkey support the button
// stays hidden and a sentence says so: the page works without this script.
(function () {
  "use strict";

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var out = { type: item.type, id: toBuffer(item.id) };
      if (item.transports) { out.transports = item.transports; }
      return out;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) { out.response.transports = response.getTransports(); }
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) { out.response.userHandle = toBase64url(response.userHandle); }
    }
    return out;
  }

  function post(block, url, body) {
    var token = block.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || block.dataset.msgFailed);
          error.fromServer = true;
          throw error;
        }
        return data;
      });
    });
  }

  function say(block, text, isError) {
    var status = block.querySelector("[data-passkey-status]");
    status.textContent = "";
    status.className = "mt-2";
    if (!text) { return; }
    status.className = isError ? "mt-2 alert alert-danger" : "mt-2 text-body-secondary";
    status.textContent = text;
  }

  function run(block, button) {
    var kind = block.dataset.passkey;
    button.disabled = true;
    say(block, block.dataset.msgWorking, false);
    post(block, block.dataset.optionsUrl, {})
      .then(function (data) {
        if (kind === "create") {
          return navigator.credentials.create({ publicKey: creationOptions(data.publicKey) });
        }
        return navigator.credentials.get({ publicKey: requestOptions(data.publicKey) });
      })
      .then(function (credential) {
        return post(block, block.dataset.verifyUrl, { credential: credentialJSON(credential), next: block.dataset.next || "" });
      })
      .then(function (data) {
        window.location.assign(data.redirect);
      })
      .catch(function (error) {
        button.disabled = false;
        var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
        say(block, error && error.fromServer ? error.message : (cancelled ? block.dataset.msgCancelled : block.dataset.msgFailed), true);
        button.focus();
      });
  }

  function setUp() {
    var supported = !!(window.PublicKeyCredential && navigator.credentials && window.isSecureContext);
    document.querySelectorAll("[data-passkey]").forEach(function (block) {
      if (block.dataset.passkeyReady) { return; }
      block.dataset.passkeyReady = "1";
      var button = block.querySelector("[data-passkey-start]");
      if (!supported) {
        block.querySelector("[data-passkey-unsupported]").hidden = false;
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () { run(block, button); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
