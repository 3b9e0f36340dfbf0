// Concern form helpers: keep chosen pupils when the search results change, and the body map.
(function () {
  "use strict";
  var form = document.getElementById("concern-form");
  if (!form) return;

  // A pupil ticked in the search results moves to the chosen list, so a new search keeps it.
  var chosen = document.getElementById("chosen-pupils");
  var results = document.getElementById("pupil-results");
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name === "pupils" && box.checked && results.contains(box)) {
      chosen.appendChild(box.closest("li"));
    }
  });

  // Body map: marks are fractions of each outline's width and height, kept as JSON.
  var input = form.querySelector("input[name=body_map]");
  var count = form.querySelector("[data-body-map-count]");
  var marks = [];
  try { marks = JSON.parse(input.value || "[]"); } catch (e) { marks = []; }
  var SVG = "http://www.w3.org/2000/svg";

  function draw() {
    form.querySelectorAll(".body-outline").forEach(function (svg) {
      var layer = svg.querySelector("[data-marks]");
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      marks.forEach(function (mark, index) {
        if (mark.side !== svg.dataset.side) return;
        var dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", mark.x * 100);
        dot.setAttribute("cy", mark.y * 220);
        dot.setAttribute("r", 4);
        dot.setAttribute("fill", "#d4351c");
        dot.dataset.index = index;
        layer.appendChild(dot);
      });
    });
    input.value = JSON.stringify(marks);
    count.textContent = marks.length ? marks.length + " mark(s) on the body map." : "";
  }

  form.querySelectorAll(".body-outline").forEach(function (svg) {
    svg.addEventListener("click", function (event) {
      if (event.target.dataset.index !== undefined) {
        marks.splice(Number(event.target.dataset.index), 1);
      } else {
        var box = svg.getBoundingClientRect();
        marks.push({
          side: svg.dataset.side,
          x: Math.round(((event.clientX - box.left) / box.width) * 1000) / 1000,
          y: Math.round(((event.clientY - box.top) / box.height) * 1000) / 1000,
          note: ""
        });
      }
      draw();
    });
  });
  draw();
})();
