// The "Print" button of a document's page (receipts, decisions): shown only where scripts run.
document.querySelectorAll("[data-document-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
