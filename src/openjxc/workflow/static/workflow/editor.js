/* The step form: condition rows (add, remove, operators that fit the field, the custom field's name),
   the N of M count and the deputy shown only when they apply, confirmation before removing a step. */
(function () {
  "use strict";
  function opsFor(field) {
    var data = JSON.parse(document.getElementById("cond-ops").textContent);
    for (var i = 0; i < data.fields.length; i++) { if (data.fields[i][0] === field) return data.fields[i][2]; }
    return Object.keys(data.operators);
  }
  function fitRow(row) {
    var field = row.querySelector(".cond-field").value;
    var allowed = opsFor(field);
    var op = row.querySelector(".cond-op");
    Array.prototype.forEach.call(op.options, function (o) { o.hidden = o.disabled = allowed.indexOf(o.value) < 0; });
    if (allowed.indexOf(op.value) < 0) op.value = allowed[0];
    row.querySelector(".cond-custom").hidden = field !== "custom";
    var value = row.querySelector(".cond-value");
    value.inputMode = (field === "amount" || field === "quantity") ? "decimal" : "text";
  }
  function toggles(form) {
    var mode = form.querySelector("input[name=mode]:checked");
    var n = form.querySelector(".n-field");
    if (n) n.hidden = !mode || mode.value !== "n_of_m";
    var esc = form.querySelector("select[name=escalation]");
    var deputy = form.querySelector(".deputy-field");
    if (esc && deputy) deputy.hidden = esc.value !== "deputy";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("#step-form form");
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (ev) { if (!window.confirm(f.dataset.confirm)) ev.preventDefault(); });
    });
    if (!form) return;
    var rows = document.getElementById("cond-rows");
    rows.querySelectorAll(".cond-row").forEach(fitRow);
    document.getElementById("add-condition").addEventListener("click", function () {
      var tpl = document.getElementById("cond-template").content.firstElementChild.cloneNode(true);
      rows.appendChild(tpl);
      fitRow(tpl);
      tpl.querySelector(".cond-field").focus();
    });
    rows.addEventListener("change", function (ev) {
      if (ev.target.classList.contains("cond-field")) fitRow(ev.target.closest(".cond-row"));
    });
    rows.addEventListener("click", function (ev) {
      if (ev.target.classList.contains("cond-remove")) ev.target.closest(".cond-row").remove();
    });
    form.addEventListener("change", function () { toggles(form); });
    toggles(form);
    if (location.hash === "#step-form") { var name = form.querySelector("input[name=name]"); if (name) name.focus(); }
  });
})();
