// The campaign's chart: per quarter hour, dials (grey) and answered (green) bars, the
// abandon rate against the limit (red line, dashed limit) and agent occupancy (blue),
// drawn as inline SVG from /campaigns/<id>/timeline every 30 s.
(function () {
  "use strict";
  var box = document.getElementById("timeline");
  if (!box) { return; }
  var NS = "http://www.w3.org/2000/svg", W = 720, H = 200, PAD = 28;
  // presentation attributes, not a <style>: the console's CSP allows no inline styles
  var LOOK = {"bar-dials": {fill: "#c8ccd2"}, "bar-answered": {fill: "#3a8d4f"},
              "bar-answered over": {fill: "#c0392b"}, limit: {stroke: "#c0392b", "stroke-dasharray": "4 3"},
              abandon: {fill: "none", stroke: "#c0392b", "stroke-width": 2},
              occupancy: {fill: "none", stroke: "#2a6fb0", "stroke-width": 2},
              axis: {"font-size": 10, fill: "#666"}};
  function node(tag, attrs, text) {
    var el = document.createElementNS(NS, tag);
    var look = LOOK[attrs["class"]] || {};
    Object.keys(look).forEach(function (k) { el.setAttribute(k, look[k]); });
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function draw(data) {
    var qs = data.quarters, n = qs.length || 1, step = (W - 2 * PAD) / n;
    var most = Math.max.apply(null, qs.map(function (q) { return q.dials; }).concat([1]));
    var top = Math.max(data.abandon_limit * 2, Math.max.apply(null, qs.map(function (q) { return q.abandon_rate; }).concat([0])));
    var svg = node("svg", {viewBox: "0 0 " + W + " " + H, role: "img", width: "100%",
                           "aria-label": box.getAttribute("data-label")});
    var y = function (share) { return H - PAD - share * (H - 2 * PAD); };
    var rate = [], busy = [];
    qs.forEach(function (q, i) {
      var x = PAD + i * step;
      svg.appendChild(node("rect", {x: x + 1, y: y(q.dials / most), width: step - 2,
        height: H - PAD - y(q.dials / most), "class": "bar-dials"}, undefined));
      svg.appendChild(node("rect", {x: x + step / 4, y: y(q.answered / most), width: step / 2,
        height: H - PAD - y(q.answered / most), "class": "bar-answered" + (q.over_limit ? " over" : "")}));
      rate.push((x + step / 2) + "," + y(top ? q.abandon_rate / top : 0));
      if (q.occupancy !== null) { busy.push((x + step / 2) + "," + y(q.occupancy)); }
      if (i % 4 === 0) {
        svg.appendChild(node("text", {x: x, y: H - 8, "class": "axis"}, CC_time(q.start)));
      }
    });
    svg.appendChild(node("line", {x1: PAD, x2: W - PAD, y1: y(top ? data.abandon_limit / top : 0),
      y2: y(top ? data.abandon_limit / top : 0), "class": "limit"}));
    svg.appendChild(node("polyline", {points: rate.join(" "), "class": "abandon"}));
    if (busy.length) { svg.appendChild(node("polyline", {points: busy.join(" "), "class": "occupancy"})); }
    box.replaceChildren(svg);
  }
  function CC_time(iso) {
    var d = new Date(iso);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }
  function poll() {
    fetch(box.getAttribute("data-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) { draw(d); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 30000); });
  }
  poll();
})();
