// rolecall table page: checks itself (for the browser test), then wires the action filter.
(function () {
  "use strict";
  var body = document.body;

  // Self-check: every action row of every grid holds one cell per role.
  var failures = [];
  var total = 0;
  document.querySelectorAll("table.grid").forEach(function (table) {
    var roles = Number(table.dataset.roles);
    var rows = table.querySelectorAll("tbody tr.action");
    rows.forEach(function (row) {
      if (row.querySelectorAll("td.cell").length !== roles) {
        failures.push(table.dataset.scope + ":" + row.dataset.action);
      }
    });
    var cells = table.querySelectorAll("td.cell").length;
    if (cells !== Number(table.dataset.cells) || cells !== roles * rows.length) {
      failures.push(table.dataset.scope);
    }
    total += cells;
  });
  body.dataset.cells = String(total);
  body.dataset.check = failures.length ? "failed" : "ok";
  if (failures.length) {
    console.error("rolecall: wrong number of cells in " + failures.join(", "));
  }

  // Filter: every word must occur in the action's label or id (accents and case ignored).
  var fold = function (text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  };
  var box = document.getElementById("filter");
  var count = document.getElementById("filter-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.action"));
  var keys = rows.map(function (row) { return fold(row.querySelector("th").textContent); });
  function apply() {
    var words = fold(box.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row, i) {
      var hit = words.every(function (w) { return keys[i].indexOf(w) !== -1; });
      row.hidden = !hit;
      if (hit) { shown += 1; }
    });
    document.querySelectorAll("table.grid tbody").forEach(function (group) {
      var head = group.querySelector("tr.section");
      if (head) { head.hidden = !group.querySelector("tr.action:not([hidden])"); }
    });
    document.querySelectorAll("section.scope").forEach(function (scope) {
      scope.querySelector(".no-match").hidden = !!scope.querySelector("tr.action:not([hidden])");
    });
    count.textContent = words.length
      ? shown + " of " + rows.length + " actions"
      : rows.length + " actions";
    body.dataset.shown = String(shown);
  }
  box.addEventListener("input", apply);
  box.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { box.value = ""; apply(); }
  });
  // `page.html?filter=words` opens filtered (also how the browser test exercises the filter).
  var initial = new URLSearchParams(window.location.search).get("filter");
  if (initial) { box.value = initial; }
  apply();

  // One open cell at a time; Escape closes it.
  var cells = Array.prototype.slice.call(document.querySelectorAll("td.cell details"));
  cells.forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open) { return; }
      cells.forEach(function (other) { if (other !== details) { other.open = false; } });
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { cells.forEach(function (d) { d.open = false; }); }
  });
  // `page.html?open=scope/action/role` opens one cell's detail.
  var wanted = new URLSearchParams(window.location.search).get("open");
  if (wanted) {
    cells.forEach(function (details) {
      var cell = details.parentElement;
      var row = cell.parentElement;
      var key = row.closest("table").dataset.scope + "/" + row.dataset.action + "/" + cell.dataset.role;
      if (key === wanted) { details.open = true; }
    });
  }
})();
