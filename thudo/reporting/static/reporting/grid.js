// The entry grid, as in a spreadsheet: Enter moves to the cell below (the change is saved
// by htmx as the focus leaves the cell), Shift+Enter to the cell above; past the last row,
// Enter goes on to the top of the next column.
(function () {
  "use strict";

  function inputs(row) {
    return Array.prototype.slice.call(row.querySelectorAll("input.cell-input:not([disabled])"));
  }

  function inColumn(row, col) {
    var found = inputs(row).filter(function (input) { return input.dataset.col === col; });
    return found.length ? found[0] : null;
  }

  function target(from, backwards) {
    var rows = Array.prototype.slice
      .call(document.querySelectorAll("tr[data-grid-row]"))
      .filter(function (row) { return inputs(row).length > 0; });
    var here = rows.indexOf(from.closest("tr"));
    var col = from.dataset.col;
    var step = backwards ? -1 : 1;
    for (var i = here + step; i >= 0 && i < rows.length; i += step) {
      var same = inColumn(rows[i], col);
      if (same) { return same; }
      var others = inputs(rows[i]);
      // A row with fewer columns: its nearest cell.
      return backwards ? others[others.length - 1] : others[0];
    }
    if (!backwards) {
      var next = String(Number(col) + 1);
      for (var j = 0; j < rows.length; j += 1) {
        var top = inColumn(rows[j], next);
        if (top) { return top; }
      }
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !(input instanceof HTMLInputElement)) { return; }
    if (!input.classList.contains("cell-input")) { return; }
    event.preventDefault();
    var next = target(input, event.shiftKey);
    if (next) {
      next.focus();
      next.select();
    } else {
      // The last cell: leaving it still saves it.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
