// The portal's only script: progressive enhancement, never required to use a page.
document.addEventListener("DOMContentLoaded", function () {
  // GOV.UK pattern: the error summary takes focus so that screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
