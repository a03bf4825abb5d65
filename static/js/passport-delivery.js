// The passport form's office picker shows only when the citizen chooses collection from an office
// (progressive disclosure). Without this script both show, and the server checks the office.
(function () {
  "use strict";
  function setUp() {
    var picker = document.getElementById("div_id_office");
    var choices = document.querySelectorAll('input[name="delivery"]');
    if (!picker || !choices.length) {
      return;
    }
    picker.classList.add("passport-office");
    function update() {
      var chosen = document.querySelector('input[name="delivery"]:checked');
      var collect = chosen !== null && chosen.value === "collection";
      // An office the server refused stays visible, whatever was chosen, so its error is read.
      var refused = picker.querySelector(".is-invalid, .invalid-feedback") !== null;
      picker.hidden = !(collect || refused);
    }
    choices.forEach(function (choice) {
      choice.setAttribute("aria-controls", "div_id_office");
      choice.addEventListener("change", update);
    });
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
