// Print buttons: the print is written to the access log first, then the browser prints.
// A form with data-print posts to its ".../printed/" address; without this script the post
// still logs (the answer is "204 No Content", so the page stays) and the browser's own Print
// remains.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-print")) return;
    event.preventDefault();
    var status = form.querySelector("[data-print-status]");
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        if (status) status.textContent = "";
        window.print();
      })
      .catch(function () {
        // Not logged, not printed: a print of a child's record must be in the access log.
        if (status) status.textContent = "The print could not be recorded. Try again.";
      })
      .finally(function () {
        if (button) button.disabled = false;
      });
  });
})();
