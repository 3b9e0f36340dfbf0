// Behaviour shared by every page, kept out of the HTML: the Content-Security-Policy allows no
// inline script or event handler (docs/security.md).
"use strict";

// A filter that applies itself when its value changes: <select data-submit-on-change>. Without
// JavaScript, the form's own button does the same.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-submit-on-change]") && field.form) {
    field.form.requestSubmit();
  }
});
