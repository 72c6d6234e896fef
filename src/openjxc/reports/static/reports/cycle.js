/* Charts of the cycle-time page: the weekly trend (lines) and the wait per approval step (bars). */
(function () {
  "use strict";
  var palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

  function weekly(d) {
    return {
      color: palette, animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + " " + d.unit; } },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: d.weeks, axisLabel: { formatter: function (v) { return v.slice(5); } } },
      yAxis: { type: "value", splitLine: { lineStyle: { type: "dashed" } } },
      series: d.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: true, symbolSize: 6 };
      })
    };
  }

  function steps(d) {
    return {
      color: ["#2563eb", "#f59e0b"], animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return v + " " + d.unit; } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 8, bottom: 40, containLabel: true },
      xAxis: { type: "value", splitLine: { lineStyle: { type: "dashed" } } },
      yAxis: { type: "category", data: d.names.slice().reverse(),
        axisLabel: { width: 150, overflow: "truncate" } },
      series: [
        { name: d.avg_label, type: "bar", data: d.avg.slice().reverse(), barMaxWidth: 14 },
        { name: d.p90_label, type: "bar", data: d.p90.slice().reverse(), barMaxWidth: 14 }
      ]
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-cycle-chart]").forEach(function (el) {
      var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
      if (el.dataset.cycleChart === "steps") {
        el.style.height = Math.max(220, 60 + data.names.length * 38) + "px";
      }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(el.dataset.cycleChart === "weekly" ? weekly(data) : steps(data));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
})();
