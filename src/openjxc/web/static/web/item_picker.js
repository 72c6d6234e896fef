/* The item picker of a document's lines: typing in a row's item field lists the items whose name, pinyin (full
   or initials: 可口可乐 → kekoukele, kkkl), code or barcode matches (/api/catalog/items?q=), under the field.
   Keyboard: ↓ / ↑ move through the list, Enter picks (then the cursor goes to the quantity), Esc closes; a tap
   or click picks on a phone. A picked item fills the row through scan.js (window.JxcLines.fill): its code, name,
   units, and lot and expiry fields only when the item is lot-tracked. A code typed or scanned straight into the
   field and left with Enter still works as before (app.js moves to the quantity). */
(function () {
  "use strict";

  var LIMIT = 8, WAIT_MS = 180;
  var timer = null, seq = 0, lastId = 0;

  function listOf(input) {
    var id = input.getAttribute("aria-controls");
    return id ? document.getElementById(id) : null;
  }

  function close(input) {
    var list = listOf(input);
    if (list) list.remove();
    input.removeAttribute("aria-controls");
    input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-expanded", "false");
  }

  function active(list) { return list ? list.querySelector("[aria-selected=true]") : null; }

  function move(input, step) {
    var list = listOf(input);
    if (!list) return;
    var options = Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    if (!options.length) return;
    var at = options.indexOf(active(list));
    var next = options[(at + step + options.length) % options.length];
    options.forEach(function (o) { o.setAttribute("aria-selected", o === next ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", next.id);
    next.scrollIntoView({ block: "nearest" });
  }

  function show(input, items) {
    close(input);
    if (!items.length) return;
    var list = document.createElement("ul");
    list.className = "item-picker";
    list.id = "item-picker-" + (++lastId);
    list.setAttribute("role", "listbox");
    items.forEach(function (item, n) {
      var li = document.createElement("li");
      li.id = list.id + "-" + n;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", n === 0 ? "true" : "false");
      li.dataset.itemId = String(item.id);
      var name = document.createElement("strong");
      name.textContent = item.name;
      var code = document.createElement("small");
      code.textContent = item.code + (item.spec ? " · " + item.spec : "");
      li.appendChild(name); li.appendChild(code);
      list.appendChild(li);
    });
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", list.id + "-0");
  }

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }

  function search(input) {
    var q = input.value.trim(), mine = ++seq;
    if (!q) { close(input); return Promise.resolve([]); }
    return json("/api/catalog/items?active=true&limit=" + LIMIT + "&q=" + encodeURIComponent(q))
      .then(function (page) {
        if (mine !== seq || document.activeElement !== input) return page.items;  // typed on, or left
        show(input, page.items);
        return page.items;
      }, function () { close(input); return []; });
  }

  function pick(input, itemId) {
    close(input);
    var row = input.closest(".line-row");
    return json("/api/catalog/items/" + itemId).then(function (item) {
      if (window.JxcLines) window.JxcLines.fill(row, { item: item, unit: null, units: item.units, gs1: false });
      else input.value = item.code;
    });
  }

  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-item-picker]")) return;
    clearTimeout(timer);
    timer = setTimeout(function () { search(input); }, WAIT_MS);
  });

  // capture: Enter on an open list picks before app.js moves on (and before the form is submitted)
  document.addEventListener("keydown", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-item-picker]")) return;
    var list = listOf(input);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (!list) { search(input); return; }
      ev.preventDefault();
      move(input, ev.key === "ArrowDown" ? 1 : -1);
    } else if (ev.key === "Escape" && list) {
      ev.preventDefault();
      close(input);
    } else if (ev.key === "Enter" && list && active(list)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      var qty = input.closest(".line-row").querySelector("input[name=line_qty]");
      pick(input, active(list).dataset.itemId).then(function () { if (qty) { qty.focus(); qty.select(); } });
    }
  }, true);

  // pointerdown, not click: the field keeps its focus until the option is taken
  document.addEventListener("pointerdown", function (ev) {
    var option = ev.target.closest && ev.target.closest(".item-picker [role=option]");
    if (!option) return;
    ev.preventDefault();
    var input = option.parentNode.previousElementSibling;
    var qty = input.closest(".line-row").querySelector("input[name=line_qty]");
    pick(input, option.dataset.itemId).then(function () { if (qty) qty.focus(); });
  });

  document.addEventListener("focusout", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-item-picker]")) return;
    setTimeout(function () { if (document.activeElement !== input) close(input); }, 150);
  });

  // a code typed (or scanned by a wedge scanner) straight into the field: fill the row once it is left
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[data-item-picker]")) return;
    var q = input.value.trim(), row = input.closest(".line-row");
    if (!q) { delete row.dataset.item; return; }
    json("/api/catalog/items?limit=" + LIMIT + "&q=" + encodeURIComponent(q)).then(function (page) {
      var exact = page.items.filter(function (i) { return i.code === q; });
      var hit = exact.length ? exact[0] : (page.items.length === 1 ? page.items[0] : null);
      if (hit && input.value.trim() === q && row.dataset.item !== String(hit.id)) return pick(input, hit.id);
    }, function () {});
  });
})();
