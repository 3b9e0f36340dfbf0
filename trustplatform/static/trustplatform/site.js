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

// Tables become cards on a phone (site.css, under 600 px): each cell shows its column's heading,
// copied here from the table's own <th> so no template repeats it. Htmx swaps label new rows too.
function tableCellsLabel(root) {
  root.querySelectorAll("table.table").forEach((table) => {
    const headings = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    if (!headings.length) return;
    table.classList.add("table--cards");
    table.querySelectorAll("tbody tr").forEach((row) => {
      Array.from(row.children).forEach((cell, index) => {
        if (!cell.hasAttribute("data-label") && headings[index]) {
          cell.setAttribute("data-label", headings[index]);
        }
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => tableCellsLabel(document));
document.addEventListener("htmx:afterSwap", (event) => tableCellsLabel(event.target.closest("table")?.parentElement || event.target));

// The school site's menu folds behind its button on a narrow screen (the stylesheet decides when);
// without JavaScript the button stays hidden and the menu open.
const menuToggle = document.querySelector(".menu-toggle");
const siteMenu = document.getElementById("site-menu");
if (menuToggle instanceof HTMLButtonElement && siteMenu) {
  menuToggle.hidden = false;
  document.documentElement.classList.add("menu-ready");
  menuToggle.addEventListener("click", () => {
    const open = menuToggle.getAttribute("aria-expanded") !== "true";
    menuToggle.setAttribute("aria-expanded", String(open));
    siteMenu.classList.toggle("is-open", open);
  });
}
