// DTI pages: a step that cannot be undone (open, close, publish a round; send, approve an
// assessment; appeal) asks first. Forms saved by htmx ask through hx-confirm instead.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
