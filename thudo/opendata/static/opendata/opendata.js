// Open-data pages: the new-dataset form suggests a name (the address of the dataset) from
// its title while the publisher has not typed one; the server does the same when the
// field is left empty.
(function () {
  "use strict";

  function slug(text) {
    return text
      .replace(/[đĐ]/g, "d")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 100);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var title = document.getElementById("id_title");
    var name = document.getElementById("id_name");
    var form = document.getElementById("dataset-form");
    if (!title || !name || !form || !form.hasAttribute("data-suggest-name")) { return; }
    var typed = name.value !== "" && name.value !== slug(title.value);
    name.addEventListener("input", function () { typed = name.value !== ""; });
    title.addEventListener("input", function () {
      if (!typed) { name.value = slug(title.value); }
    });
  });
})();
