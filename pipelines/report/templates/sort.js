// Sort any table with class "sortable" by a click on its column heading. Optional: without
// script the table is complete and in its default order. Numbers sort by data-sort.
(function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.dataset.kind === "num";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
          if (x === undefined) { x = a.cells[col].textContent.trim(); }
          if (y === undefined) { y = b.cells[col].textContent.trim(); }
          if (numeric) {
            x = x === "" ? -Infinity : parseFloat(x);
            y = y === "" ? -Infinity : parseFloat(y);
            return ascending ? x - y : y - x;
          }
          return ascending ? x.localeCompare(y) : y.localeCompare(x);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  // A scrolling table's cue line: shown only while the table is wider than its box.
  function cues() {
    document.querySelectorAll(".wide.scroll").forEach(function (box) {
      var cue = box.previousElementSibling;
      if (cue && cue.classList.contains("scroll-cue")) {
        cue.classList.toggle("shown", box.scrollWidth > box.clientWidth + 1);
      }
    });
  }
  cues();
  window.addEventListener("resize", cues);
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
