// Progressive enhancement only: every page works without this script.
// "Copy" buttons copy the value of the field named by data-copy-target.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copyTarget);
  if (!field || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(
      function () { button.textContent = "Copied"; },
      function () { field.select(); button.textContent = "Press Ctrl+C"; }
    );
  });
});
// A one-time secret is selected on focus, ready to copy by hand.
document.querySelectorAll("textarea.secret").forEach(function (field) {
  field.addEventListener("focus", function () { field.select(); });
});
