// Kiosk mode (no inline script: CSP is 'self'). Idle reset, heartbeat, and a keypad for numbers.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "120", 10);
  var warnBefore = Math.min(20, Math.floor(idleSeconds / 4));
  var resetForm = document.getElementById("kiosk-reset");
  var warning = document.getElementById("idle-warning");
  var lastTouch = Date.now();
  var resetting = false;

  function touched() {
    lastTouch = Date.now();
    if (warning) { warning.hidden = true; }
  }
  ["pointerdown", "touchstart", "keydown", "input", "wheel"].forEach(function (name) {
    document.addEventListener(name, touched, { capture: true, passive: true });
  });

  // Two minutes without a touch: back to the first screen (the server forgets the flow too).
  window.setInterval(function () {
    if (!resetForm || resetting) { return; }
    var idle = (Date.now() - lastTouch) / 1000;
    if (idle >= idleSeconds) {
      resetting = true;
      resetForm.submit();
    } else if (warning && idle >= idleSeconds - warnBefore) {
      warning.hidden = false;
    }
  }, 500);

  // Heartbeat: the kiosk is alive; a flow the server ended (operator, expiry) resets the screen.
  var tokenInput = document.querySelector("#kiosk-reset input[name=csrfmiddlewaretoken], #kiosk-heartbeat-token input[name=csrfmiddlewaretoken]");
  function heartbeat() {
    if (!tokenInput || !window.fetch) { return; }
    window.fetch(body.getAttribute("data-heartbeat-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput.value },
      cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (state) {
      if (!state) { return; }
      if ((body.getAttribute("data-flow") === "1" && !state.flow) || !state.in_service) {
        window.location.assign(body.getAttribute("data-start-url"));
      }
    }).catch(function () { /* offline: the next beat tries again */ });
  }
  window.setInterval(heartbeat, 60000);

  // A keypad under every number field: touch first, whatever the device's keyboard.
  document.querySelectorAll("input[data-keypad]").forEach(function (input) {
    var pad = document.createElement("div");
    pad.className = "kiosk-keypad";
    pad.setAttribute("role", "group");
    "123456789".split("").concat(["del", "0"]).forEach(function (key) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-secondary";
      if (key === "del") {
        button.textContent = "\u232B";
        button.setAttribute("aria-label", body.getAttribute("data-label-delete") || "Delete");
      } else {
        button.textContent = key;
      }
      button.addEventListener("click", function () {
        var max = parseInt(input.getAttribute("maxlength") || "20", 10);
        if (key === "del") {
          input.value = input.value.slice(0, -1);
        } else if (input.value.length < max) {
          input.value += key;
        }
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
      pad.appendChild(button);
    });
    var anchor = input.closest(".input-group") || input;
    var help = anchor.parentNode.querySelector(".form-text");
    (help || anchor).insertAdjacentElement("afterend", pad);
  });

  // GOV.UK pattern: the error summary takes focus so that screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
