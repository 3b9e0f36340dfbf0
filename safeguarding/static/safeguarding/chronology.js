// "Load older entries": without this script the link opens the run of older entries as a page
// of its own. With it, the run is fetched and put above the entries shown, the link is replaced
// by the next one (or none), and keyboard focus moves to the first entry loaded.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("a[data-load-older]");
    var list = document.getElementById("chronology-entries");
    if (!link || !list) return;
    event.preventDefault();
    var holder = document.getElementById("chronology-older");
    var status = holder.querySelector("[data-load-older-status]");
    if (status) status.textContent = "Loading…";
    fetch(link.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var entries = doc.querySelector("template[data-entries]");
        var next = doc.getElementById("chronology-older");
        if (!entries || !next) throw new Error("unexpected answer");
        var first = entries.content.querySelector("li");
        list.insertBefore(document.importNode(entries.content, true), list.firstChild);
        holder.replaceWith(document.importNode(next, true));
        if (first) {
          var shown = document.getElementById(first.id);
          if (shown) shown.focus();
        }
      })
      .catch(function () {
        if (status) status.textContent = "The older entries could not be loaded. Try again.";
      });
  });
})();
