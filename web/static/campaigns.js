// The campaign's live view: its figures every 2 s (the page works without it).
(function () {
  "use strict";
  var panel = document.getElementById("campaign");
  if (!panel) { return; }
  var url = panel.getAttribute("data-figures");
  function set(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text; }
  }
  function show(f) {
    set("status", f.status);
    Object.keys(f.contacts).forEach(function (state) { set("contacts-" + state, f.contacts[state]); });
    set("dials", f.dials);
    set("answered", f.answered);
    set("abandon", (f.abandon_rate * 100).toFixed(1) + "% / " + (f.abandon_limit * 100).toFixed(1) + "%");
    var abandon = document.getElementById("abandon");
    if (abandon) { abandon.classList.toggle("overdue", !f.within_limit); }
    set("lines", f.lines_in_use + " / " + f.max_lines);
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (f) { if (f) { show(f); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
