/* OpenJXC web UI: charts, the line rows of the document form, closing menus. No framework. */
(function () {
  "use strict";

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function chartOption(kind, data) {
    var primary = cssVar("--primary") || "#2563eb";
    var accent = cssVar("--accent") || "#f59e0b";
    var base = {
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }
    };
    if (kind === "moves") {
      base.legend = { top: 0, right: 0 };
      base.xAxis = { type: "category", data: data.days, axisTick: { alignWithLabel: true } };
      base.yAxis = { type: "value", minInterval: 1 };
      base.color = [primary, accent];
      base.series = data.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, barMaxWidth: 14, emphasis: { focus: "series" } };
      });
      return base;
    }
    base.tooltip = { trigger: "axis", axisPointer: { type: "shadow" },
      valueFormatter: function (v) { return "¥" + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); } };
    // the bars carry their own labels: an axis of amounts only crowds a phone screen
    base.xAxis = { type: "value", axisLabel: { show: false }, splitLine: { lineStyle: { type: "dashed" } } };
    base.yAxis = { type: "category", data: data.names.slice().reverse() };
    base.color = [primary];
    base.series = [{ type: "bar", data: data.values.slice().reverse(), barMaxWidth: 22,
      label: { show: true, position: "right",
        formatter: function (p) { return Number(p.value).toLocaleString(undefined, { maximumFractionDigits: 0 }); } } }];
    base.grid.right = 72;
    return base;
  }

  function initCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.ready) return;
      var src = document.getElementById(el.dataset.source);
      if (!src) return;
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(chartOption(el.dataset.chart, JSON.parse(src.textContent)));
      el.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function addRow(button) {
    var box = document.getElementById(button.dataset.addRow);
    var rows = box.querySelectorAll(".line-row");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input").forEach(function (i) { i.value = ""; });
    copy.querySelectorAll("[data-line-name]").forEach(function (e) { e.textContent = ""; });
    copy.querySelectorAll("[data-line-left]").forEach(function (e) { e.remove(); });
    copy.querySelectorAll("[data-lot-field]").forEach(function (e) { e.hidden = true; });  // until a lot-tracked item
    copy.querySelectorAll(".item-picker").forEach(function (e) { e.remove(); });
    delete copy.dataset.item;
    copy.querySelectorAll("select[name=line_unit]").forEach(function (s) { s.innerHTML = "<option value=\"\">—</option>"; });
    ["left", "allowed", "baseUnit"].forEach(function (k) { delete copy.dataset[k]; });
    copy.classList.remove("over");
    copy.querySelector(".line-no").textContent = String(rows.length + 1);
    box.appendChild(copy);
    copy.querySelector("input").focus();
  }

  // no inline handlers (the Content-Security-Policy forbids them): data-print, data-confirm, data-autosubmit
  document.addEventListener("submit", function (ev) {
    var form = ev.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  }, true);
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("[data-autosubmit]")) ev.target.form.submit();
  });

  document.addEventListener("click", function (ev) {
    if (ev.target.closest("[data-print]")) { window.print(); return; }
    var add = ev.target.closest("[data-add-row]");
    if (add) { addRow(add); return; }
    // close the user menu when clicking elsewhere
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.removeAttribute("open");
    });
  });

  // a barcode scanner ends each scan with Enter: move to the quantity instead of submitting the form
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !ev.target.matches(".line-row input[name=line_item]")) return;
    ev.preventDefault();
    var qty = ev.target.closest(".line-row").querySelector("input[name=line_qty]");
    if (qty) { qty.focus(); qty.select(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    initCharts(document);
    // filters fold away on a phone; on a wide screen they are always shown (the summary is hidden there)
    if (window.matchMedia("(min-width: 760px)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
    }
  });
  document.addEventListener("htmx:afterSettle", function (ev) { initCharts(ev.target); });
})();
