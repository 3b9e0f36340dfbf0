// Concern form helpers: keep chosen pupils when the search results change, and the body map.
(function () {
  "use strict";
  var form = document.getElementById("concern-form");
  if (!form) return;

  // A pupil ticked in the search results moves to the chosen list, so a new search keeps it.
  // Moving a focused element drops the focus to the top of the page: it is put back on the
  // box, and the choice is said aloud, so a keyboard or screen-reader user stays in place.
  var chosen = document.getElementById("chosen-pupils");
  var results = document.getElementById("pupil-results");
  var chosenStatus = document.createElement("p");
  chosenStatus.setAttribute("role", "status");
  chosenStatus.className = "visually-hidden";
  chosen.parentNode.insertBefore(chosenStatus, chosen.nextSibling);
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name === "pupils" && box.checked && results.contains(box)) {
      var item = box.closest("li");
      chosen.appendChild(item);
      box.focus();
      // The pupil's name: the label's own text, without the year group and form.
      var name = Array.prototype.filter.call(item.querySelector("label").childNodes, function (node) {
        return node.nodeType === Node.TEXT_NODE;
      }).map(function (node) { return node.textContent; }).join("").trim();
      chosenStatus.textContent = name + " chosen.";
    }
  });

  // Body map. Each mark is a list item holding its view, point and note as form fields, so the
  // form posts the same fields with or without JavaScript; here the drawing and the "Add mark"
  // and "Remove" buttons work without reloading the page. The server finds each mark's region
  // again and refuses one that is not on the body.
  var map = form.querySelector("[data-body-map]");
  if (!map) return;
  var list = map.querySelector("#body-marks");
  var status = map.querySelector("[data-body-map-status]");
  var template = document.getElementById("body-mark-template");
  var select = map.querySelector("#body-map-region");
  var pendingNote = map.querySelector("#body-map-note");
  var SVG = "http://www.w3.org/2000/svg";
  var VIEWS = { front: "Front", back: "Back" };

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".body-mark")); }
  function field(item, name) { return item.querySelector("input[name=" + name + "]"); }

  function draw() {
    map.querySelectorAll(".body-outline").forEach(function (svg) {
      var layer = svg.querySelector("[data-marks]");
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      items().forEach(function (item, index) {
        if (item.dataset.view !== svg.dataset.view) return;
        var x = field(item, "mark_x").value, y = Number(field(item, "mark_y").value);
        var dot = document.createElementNS(SVG, "g");
        dot.setAttribute("class", "body-mark-dot");
        dot.dataset.number = index + 1;
        var circle = document.createElementNS(SVG, "circle");
        circle.setAttribute("cx", x); circle.setAttribute("cy", y); circle.setAttribute("r", 4.5);
        circle.setAttribute("fill", "#d4351c"); circle.setAttribute("stroke", "#ffffff");
        circle.setAttribute("stroke-width", 0.8);
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("x", x); label.setAttribute("y", y + 2);
        label.setAttribute("text-anchor", "middle"); label.setAttribute("font-size", 5.5);
        label.setAttribute("font-weight", "bold"); label.setAttribute("fill", "#ffffff");
        label.textContent = index + 1;
        dot.appendChild(circle); dot.appendChild(label);
        layer.appendChild(dot);
      });
    });
  }

  function renumber() {
    items().forEach(function (item, index) {
      var n = index + 1, note = field(item, "mark_note"), label = item.querySelector("label");
      item.querySelector(".body-mark__number").textContent = n + ".";
      note.id = "body-mark-note-" + n;
      label.setAttribute("for", note.id);
      label.querySelector(".visually-hidden").textContent = " on mark " + n;
      var remove = item.querySelector("button[name=body_map_remove]");
      remove.value = index;
      remove.querySelector(".visually-hidden").textContent = " mark " + n;
    });
    if (!items().length) status.textContent = "No marks yet.";
    draw();
  }

  function add(view, x, y, place, note) {
    var item = template.content.firstElementChild.cloneNode(true);
    item.dataset.view = view;
    field(item, "mark_view").value = view;
    field(item, "mark_x").value = x;
    field(item, "mark_y").value = y;
    field(item, "mark_note").value = note || "";
    item.querySelector("[data-place]").textContent = VIEWS[view] + ", " + place;
    list.appendChild(item);
    renumber();
    status.textContent = "Mark " + items().length + " added: " + VIEWS[view] + ", " + place + ".";
    return item;
  }

  map.querySelectorAll(".body-outline").forEach(function (svg) {
    svg.addEventListener("click", function (event) {
      var dot = event.target.closest(".body-mark-dot");
      if (dot) {  // a tap on a mark goes to its note, never removes it with its note
        field(items()[Number(dot.dataset.number) - 1], "mark_note").focus();
        return;
      }
      var region = event.target.closest("[data-region]");
      if (!region) {
        status.textContent = "That is not on the body: tap on the outline, or choose the place from the list.";
        return;
      }
      var point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      point = point.matrixTransform(svg.getScreenCTM().inverse());
      var item = add(svg.dataset.view, Math.round(point.x * 10) / 10,
                     Math.round(point.y * 10) / 10, region.dataset.label, "");
      field(item, "mark_note").focus();
    });
  });

  function addChosen() {
    var option = select.options[select.selectedIndex];
    if (!select.value) {
      status.textContent = "Choose a place on the body from the list first.";
      select.focus();
      return;
    }
    add(select.value.split(":")[0], option.dataset.x, option.dataset.y, option.dataset.label,
        pendingNote.value);
    select.value = "";
    pendingNote.value = "";
    select.focus();
  }

  map.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.name === "body_map_action") {
      event.preventDefault();
      addChosen();
    } else if (button.name === "body_map_remove") {
      event.preventDefault();
      var item = button.closest(".body-mark"), index = items().indexOf(item);
      list.removeChild(item);
      renumber();
      status.textContent = "Mark " + (index + 1) + " removed.";
      var next = items()[index] || items()[index - 1];
      (next ? field(next, "mark_note") : select).focus();
    }
  });

  // A draft restored (drafts.js) brings its marks back: they replace the ones on the map, each
  // drawn where it was and listed with its place and note.
  form.addEventListener("draft:marks", function (event) {
    var marks = event.detail || [];
    items().forEach(function (item) { list.removeChild(item); });
    marks.forEach(function (mark) {
      if (VIEWS[mark.view]) add(mark.view, mark.x, mark.y, mark.place, mark.note);
    });
    renumber();
    if (marks.length) {
      var details = map.closest("details");
      if (details) details.open = true;
      status.textContent = marks.length + (marks.length === 1 ? " mark" : " marks") +
        " from the draft back on the body map.";
    }
  });

  // Enter in a note adds the chosen place or stays put: it never sends the form half-written.
  map.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    event.preventDefault();
    if (event.target === pendingNote) addChosen();
  });
  draw();
})();
