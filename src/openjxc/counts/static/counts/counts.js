/* Counting with a keyboard-wedge scanner (it types the code and presses Enter), and the accuracy chart. */
(function () {
  "use strict";

  // after each scan: clear the field, keep the focus there, flash green or red (and buzz a phone on an error)
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.target.id !== "scan-result") return;
    var form = document.getElementById("scan-form");
    var input = document.getElementById("scan-input");
    var ok = !!ev.target.querySelector("[data-scan=ok]");
    var card = form.closest(".scan-card");
    card.classList.remove("scan-flash-ok", "scan-flash-error");
    void card.offsetWidth;  // restart the cue on consecutive scans
    card.classList.add(ok ? "scan-flash-ok" : "scan-flash-error");
    if (!ok && navigator.vibrate) navigator.vibrate(200);
    input.value = "";
    var qty = form.querySelector("input[name=quantity]");
    if (qty) qty.value = "";
    input.focus();
  });

  function trendOption(data) {
    var css = getComputedStyle(document.documentElement);
    return {
      color: [css.getPropertyValue("--primary").trim() || "#2563eb", css.getPropertyValue("--accent").trim() || "#f59e0b"],
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return Number(v).toFixed(1) + "%"; } },
      legend: { top: 0, right: 0 },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100,
        axisLabel: { formatter: "{value}%" } },
      series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, smooth: true, symbolSize: 6 }; })
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-count-chart]").forEach(function (el) {
      var src = document.getElementById(el.dataset.source);
      if (!src) return;
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(trendOption(JSON.parse(src.textContent)));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
})();
