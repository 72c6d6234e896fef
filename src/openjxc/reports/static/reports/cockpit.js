/* The cockpit's small charts: each [data-tile-chart] draws the payload of its tile from the "cockpit-charts"
   JSON (reports/cockpit.py _spark: line, area, bar, hbar, donut). The tiles are a live region: after a swap the
   charts are drawn again. On the big screen (?mode=screen) the tiles rotate in panels of [data-rotate]. */
(function () {
  "use strict";
  var ROTATE_MS = 12000;
  var palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2"];
  var drawn = [];
  var panel = 0;
  var timer = null;

  function dark() { return document.body.classList.contains("cockpit-screen"); }

  function fmt(unit) {
    return function (v) {
      if (v == null) return "—";
      var n = Number(v);
      if (unit === "percent") return n.toFixed(1) + "%";
      if (unit === "money") return "¥" + n.toLocaleString(undefined, { maximumFractionDigits: 0 });
      return n.toLocaleString();
    };
  }

  function option(d) {
    var ink = dark() ? "#cbd5e1" : "#475569";
    var size = dark() ? 16 : 11;
    var o = { color: palette, animation: false, tooltip: { confine: true, valueFormatter: fmt(d.unit) },
      grid: { left: 4, right: 8, top: 8, bottom: 4, containLabel: true }, textStyle: { color: ink } };
    if (d.kind === "donut") {
      o.tooltip.trigger = "item";
      o.color = ["#dc2626", "#d97706", "#64748b"];
      o.legend = { right: 0, top: "middle", orient: "vertical", textStyle: { color: ink, fontSize: size } };
      o.series = [{ type: "pie", radius: ["45%", "75%"], center: ["35%", "50%"], label: { show: false },
        data: d.categories.map(function (c, i) { return { name: c, value: d.values[i] }; }) }];
      return o;
    }
    o.tooltip.trigger = "axis";
    var cat = { type: "category", data: d.categories, axisLabel: { color: ink, fontSize: size, hideOverlap: true,
      width: dark() ? 160 : 90, overflow: "truncate" }, axisTick: { show: false } };
    var val = { type: "value", splitLine: { show: false }, axisLabel: { show: false } };
    if (d.kind === "hbar") { o.xAxis = val; o.yAxis = cat; } else { o.xAxis = cat; o.yAxis = val; }
    if (d.kind === "line" || d.kind === "area") {
      o.xAxis.axisLabel.show = false;
      o.series = [{ type: "line", data: d.values, smooth: 0.25, symbol: "none", connectNulls: true,
        lineStyle: { width: dark() ? 3 : 2 }, areaStyle: { opacity: d.kind === "area" ? 0.25 : 0.08 } }];
    } else {
      o.series = [{ type: "bar", data: d.values, barMaxWidth: dark() ? 28 : 14, itemStyle: { borderRadius: 3 } }];
    }
    return o;
  }

  function draw() {
    drawn.forEach(function (c) { c.dispose(); });
    drawn = [];
    var src = document.getElementById("cockpit-charts");
    if (!src || !window.echarts) return;
    var data = JSON.parse(src.textContent || "{}");
    document.querySelectorAll("[data-tile-chart]").forEach(function (el) {
      var d = data[el.dataset.tileChart];
      if (!d || el.offsetParent === null) return;
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option(d));
      drawn.push(chart);
    });
  }

  function rotation() {
    var region = document.getElementById("live-cockpit");
    var size = region && parseInt(region.dataset.rotate || "0", 10);
    if (!size) return;
    var tiles = region.querySelectorAll(".tile");
    var panels = Math.max(1, Math.ceil(tiles.length / size));
    panel = panel % panels;
    tiles.forEach(function (t, i) { t.hidden = Math.floor(i / size) !== panel; });
    var dots = document.querySelector(".screen-dots");
    if (dots) {
      dots.textContent = "";
      for (var i = 0; i < panels; i++) dots.textContent += i === panel ? "●" : "○";
    }
    region.dataset.panel = String(panel);
  }

  function show() { rotation(); draw(); }

  function start() {
    show();
    var region = document.getElementById("live-cockpit");
    if (region && region.dataset.rotate) {
      var every = parseInt(region.dataset.rotateSeconds || "0", 10) * 1000 || ROTATE_MS;
      timer = setInterval(function () { panel += 1; show(); }, every);
    }
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
    document.addEventListener("jxc:live-updated", function (ev) {
      if (ev.detail && ev.detail.id === "live-cockpit") show();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.__cockpitTimer = function () { return timer; };
})();
