/* The report pages' charts: each [data-report-chart] is one payload of the "report-charts" JSON
   (reports/pages.py chart()): kind bar, hbar, line, barline, stacked, pie or donut. Legible on a 360 px phone:
   smaller labels, the legend scrolls, long category names are cut. */
(function () {
  "use strict";
  var palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569"];

  function narrow() { return window.innerWidth < 560; }

  function fmt(unit) {
    return function (v) {
      if (v == null || v === "") return "—";
      var n = Number(v);
      if (unit === "percent") return n.toFixed(2) + "%";
      if (unit === "money" || unit === "price") return n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      return n.toLocaleString();
    };
  }

  function axisLabel() {
    return { fontSize: narrow() ? 10 : 12, hideOverlap: true, width: narrow() ? 70 : 110, overflow: "truncate" };
  }

  function base(d) {
    return {
      color: palette, animation: false,
      legend: { type: "scroll", bottom: 0, textStyle: { fontSize: narrow() ? 10 : 12 } },
      grid: { left: 8, right: 12, top: 20, bottom: 44, containLabel: true },
      tooltip: { trigger: "axis", confine: true, valueFormatter: fmt(d.unit) }
    };
  }

  function cartesian(d) {
    var o = base(d);
    var second = d.series.some(function (s) { return s.axis === 1; });
    o.xAxis = { type: "category", data: d.categories, axisLabel: axisLabel() };
    o.yAxis = [{ type: "value", splitLine: { lineStyle: { type: "dashed" } }, axisLabel: { fontSize: narrow() ? 10 : 12 } }];
    if (second) o.yAxis.push({ type: "value", splitLine: { show: false }, axisLabel: { formatter: "{value}%", fontSize: 10 } });
    o.series = d.series.map(function (s) {
      var kind = d.kind === "line" ? "line" : (s.type || "bar");
      var one = { name: s.name, type: kind, data: s.data, yAxisIndex: second && s.axis === 1 ? 1 : 0,
        barMaxWidth: 28, connectNulls: true, symbolSize: 5 };
      if (d.kind === "stacked") one.stack = "total";
      return one;
    });
    return o;
  }

  function horizontal(d) {
    var o = base(d);
    o.tooltip.axisPointer = { type: "shadow" };
    o.xAxis = { type: "value", splitLine: { lineStyle: { type: "dashed" } }, axisLabel: { fontSize: 10 } };
    o.yAxis = { type: "category", data: d.categories.slice().reverse(), axisLabel: axisLabel() };
    o.series = d.series.map(function (s) {
      return { name: s.name, type: "bar", data: s.data.slice().reverse(), barMaxWidth: 16 };
    });
    o.grid.bottom = 28;
    return o;
  }

  function pie(d) {
    var s = d.series[0] || { data: [] };
    return {
      color: palette, animation: false,
      tooltip: { trigger: "item", confine: true, valueFormatter: fmt(d.unit) },
      legend: { type: "scroll", bottom: 0, textStyle: { fontSize: narrow() ? 10 : 12 } },
      series: [{ name: s.name, type: "pie", radius: d.kind === "donut" ? ["42%", "68%"] : "68%",
        center: ["50%", "45%"], avoidLabelOverlap: true,
        label: { show: !narrow(), formatter: "{b}: {d}%" },
        data: d.categories.map(function (c, i) { return { name: c, value: s.data[i] }; })
          .filter(function (p) { return p.value != null && p.value > 0; }) }]
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("report-charts");
    if (!window.echarts || !source) return;
    var all = JSON.parse(source.textContent);
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      var d = all[Number(el.dataset.reportChart)];
      if (d.kind === "hbar") el.style.height = Math.max(220, 50 + d.categories.length * 26) + "px";
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var option = d.kind === "hbar" ? horizontal(d) : (d.kind === "pie" || d.kind === "donut") ? pie(d) : cartesian(d);
      chart.setOption(option);
      el.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
})();
