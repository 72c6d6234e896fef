/* Scanning into a document's lines: a keyboard-wedge scanner (USB/Bluetooth types the code and Enter) or the
   phone camera (the browser's BarcodeDetector, or the zxing-wasm polyfill where there is none). A known barcode
   adds a line or adds one to the line of the same item and lot, with a beep and a green flash; GS1 scans fill
   the lot and expiry; an unknown barcode says so in red — never a silent no-op. The server resolves every scan
   (/api/catalog/barcodes/<code>). A row has a unit (any of its item's units): a carton scanned onto a line in
   bottles adds 12. Against an order, an item not on it is refused in red at once, and a line beyond what is left
   (with the over-receipt tolerance, in the base unit: the row's data-allowed) is flagged before saving. */
(function () {
  "use strict";

  var audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + (ok ? 0.09 : 0.35));
    } catch (e) { /* no audio: the colour and the message still say it */ }
    if (!ok && navigator.vibrate) navigator.vibrate(200);
  }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] == null ? "" : values[k]; });
  }

  function say(box, text, ok) {
    var status = box.querySelector(".scan-status");
    status.textContent = text;
    status.className = "scan-status " + (ok ? "ok" : "bad");
    box.classList.remove("flash-ok", "flash-bad");
    void box.offsetWidth; // restart the animation
    box.classList.add(ok ? "flash-ok" : "flash-bad");
    beep(ok);
  }

  function field(row, name) { return row.querySelector("input[name=" + name + "]"); }

  function targetRow(box, code, lot) {
    var rows = document.getElementById(box.dataset.rows).querySelectorAll(".line-row");
    var empty = null, unlotted = null;
    for (var i = 0; i < rows.length; i++) {
      var item = field(rows[i], "line_item").value.trim();
      var rowLot = field(rows[i], "line_lot").value.trim();
      var rowQty = parseFloat(field(rows[i], "line_qty").value || "0");
      if (item === code && rowLot === (lot || "")) return { row: rows[i], fresh: false };
      // an order's line waiting for its first scan takes the lot the scan brings
      if (lot && item === code && !rowLot && !rowQty && !unlotted) unlotted = rows[i];
      if (!item && !field(rows[i], "line_qty").value.trim() && !empty) empty = rows[i];
    }
    if (unlotted) return { row: unlotted, fresh: false };
    if (document.getElementById(box.dataset.rows).dataset.order) return null; // not on the order
    if (!empty) {
      document.querySelector("[data-add-row=" + box.dataset.rows + "]").click();
      rows = document.getElementById(box.dataset.rows).querySelectorAll(".line-row");
      empty = rows[rows.length - 1];
    }
    return { row: empty, fresh: true };
  }

  function unitSelect(row) { return row.querySelector("select[name=line_unit]"); }
  function factorOf(select, unitId) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === String(unitId)) return parseFloat(select.options[i].dataset.factor || "1");
    }
    return null;
  }
  function num(x) { return String(Math.round(x * 10000) / 10000); }

  // the row's unit choices: the item's base unit and its other units (箱 ×12)
  function fillUnits(select, found) {
    if (select.options.length > 1 || select.value) return;
    var units = [{ id: found.item.base_unit, name: "", factor: "1" }].concat(found.units || []);
    select.innerHTML = "";
    units.forEach(function (u) {
      var o = document.createElement("option");
      o.value = String(u.unit || u.id); o.dataset.factor = String(u.factor);
      o.textContent = u.name + (parseFloat(u.factor) !== 1 ? " ×" + num(parseFloat(u.factor)) : "");
      select.appendChild(o);
    });
    unitName(null, { item: found.item }).then(function (name) { select.options[0].textContent = name; });
  }

  // the quantity of a row in the item's base unit, and a warning when it is beyond what the order allows
  function checkRow(box, row) {
    if (!row.dataset.allowed) return true;
    var select = unitSelect(row);
    var base = parseFloat(field(row, "line_qty").value || "0") * (factorOf(select, select.value) || 1);
    var over = base > parseFloat(row.dataset.allowed) + 1e-9;
    row.classList.toggle("over", over);
    if (over) {
      say(box, fmt(box.dataset.msgOver, { item: field(row, "line_item").value, qty: num(base),
        left: num(parseFloat(row.dataset.left)), unit: row.dataset.baseUnit }), false);
    }
    return !over;
  }

  function apply(box, scanned, found) {
    var hit = targetRow(box, found.item.code, found.lot);
    if (!hit) {
      say(box, fmt(box.dataset.msgNotOnOrder, { item: found.item.name + " · " + found.item.code,
        order: document.getElementById(box.dataset.rows).dataset.order }), false);
      return;
    }
    var qty = field(hit.row, "line_qty"), select = unitSelect(hit.row), price = field(hit.row, "line_price");
    field(hit.row, "line_item").value = found.item.code;
    fillUnits(select, found);
    var scannedUnit = found.unit && !found.gs1 ? found.unit.id : found.item.base_unit;
    if (hit.fresh) select.value = String(scannedUnit);
    // a carton (×12) scanned onto a line in bottles adds 12; a bottle onto a line in cartons turns the line
    // into bottles; the price follows the unit
    var fs = factorOf(select, scannedUnit) || 1, fr = factorOf(select, select.value) || 1;
    var now = hit.fresh ? 1 : parseFloat(qty.value || "0");
    if (!hit.fresh) {
      if (Math.abs(fs / fr - Math.round(fs / fr)) < 1e-9) now += fs / fr;
      else {
        now = now * fr + fs;
        if (price && price.value) price.value = num(parseFloat(price.value) / fr);
        select.value = String(found.item.base_unit);
      }
    }
    select.dataset.factor = String(factorOf(select, select.value) || 1);
    qty.value = num(now);
    if (found.lot) field(hit.row, "line_lot").value = found.lot;
    showLots(hit.row, found.item.tracking);
    var expires = field(hit.row, "line_expires");
    if (expires && found.expires_on) expires.value = found.expires_on;
    hit.row.classList.remove("scanned"); void hit.row.offsetWidth; hit.row.classList.add("scanned");
    showName(box, hit.row, found);
    if (!checkRow(box, hit.row)) return;
    var label = found.item.name + (found.unit && !found.gs1 ? " (" + found.unit.name + ")" : "");
    say(box, hit.fresh ? fmt(box.dataset.msgAdded, { item: label }) : fmt(box.dataset.msgMore, { item: label, qty: now }), true);
  }

  // typing a quantity or picking a unit warns at once, too; a new unit carries the price along
  document.addEventListener("change", function (ev) {
    var row = ev.target.closest(".line-row");
    if (!row || !ev.target.matches("select[name=line_unit], input[name=line_qty]")) return;
    var select = unitSelect(row), price = field(row, "line_price");
    if (ev.target === select) {
      var before = parseFloat(select.dataset.factor || "1"), after = factorOf(select, select.value) || 1;
      if (price && price.value && before !== after) price.value = num(parseFloat(price.value) * after / before);
      select.dataset.factor = String(after);
    }
    var box = document.querySelector("[data-scan-box][data-rows=" + row.parentNode.id + "]");
    if (box) checkRow(box, row);
  });

  // the row names what was scanned: 面粉 · F001 · 千克 (the unit of a pack barcode, else the item's base unit)
  var unitNames = {};
  function unitName(box, found) {
    if (found.unit && !found.gs1) return Promise.resolve(found.unit.name);
    box = box || document.querySelector("[data-scan-box]");
    var id = found.item.base_unit;
    if (unitNames[id]) return unitNames[id];
    unitNames[id] = fetch(box.dataset.units + id, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (u) { return u.name || ""; }, function () { delete unitNames[id]; return ""; });
    return unitNames[id];
  }
  function showName(box, row, found) {
    var label = row.querySelector("[data-line-name]");
    if (!label) return;
    label.textContent = found.item.name + " · " + found.item.code;
    var select = unitSelect(row), picked = select && select.options[select.selectedIndex];
    if (picked && picked.value !== String(found.item.base_unit)) {
      label.textContent += " · " + picked.textContent.replace(/ ×.*/, "");
      return;
    }
    unitName(box, { item: found.item }).then(function (name) {
      if (name && field(row, "line_item").value) label.textContent = found.item.name + " · " + found.item.code + " · " + name;
    });
  }

  // lot and expiry only for a lot-tracked item (or a row that already carries a lot)
  function showLots(row, tracking) {
    var show = (tracking && tracking !== "none") || !!field(row, "line_lot").value;
    row.querySelectorAll("[data-lot-field]").forEach(function (f) { f.hidden = !show; });
  }

  // the item picker (item_picker.js) fills a row with the item picked: its code, name, units and lot fields
  window.JxcLines = {
    fill: function (row, found) {
      var select = unitSelect(row), input = field(row, "line_item");
      if (row.dataset.item !== String(found.item.id)) select.innerHTML = "";
      row.dataset.item = String(found.item.id);
      input.value = found.item.code;
      fillUnits(select, found);
      if (!select.value) select.value = String(found.item.base_unit);
      select.dataset.factor = String(factorOf(select, select.value) || 1);
      showLots(row, found.item.tracking);
      showName(null, row, found);
    }
  };

  function lookup(box, scanned) {
    scanned = scanned.trim();
    if (!scanned) return Promise.resolve();
    return fetch(box.dataset.lookup + encodeURIComponent(scanned), { credentials: "same-origin",
      headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (res.ok) apply(box, scanned, res.body);
        else say(box, res.body.message || scanned, false);
      })
      .catch(function () { say(box, box.dataset.msgFailed, false); });
  }

  var FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39", "itf", "qr_code", "data_matrix"];

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  // The browser's own BarcodeDetector when it reads retail barcodes (Android, macOS, ChromeOS); otherwise
  // (Chromium on Linux and Windows, Firefox, iOS Safari) the zxing-wasm polyfill from our static files: its
  // .wasm is fetched from our own URL, never a CDN.
  var detectorPromise = null;
  function makeDetector(box) {
    if (detectorPromise) return detectorPromise;
    var native = "BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats().catch(function () { return []; })
      : Promise.resolve([]);
    detectorPromise = native.then(function (formats) {
      if (formats.indexOf("ean_13") >= 0) return new window.BarcodeDetector();
      var ready = window.BarcodeDetectionAPI ? Promise.resolve() : loadScript(box.dataset.polyfill);
      return ready.then(function () {
        var api = window.BarcodeDetectionAPI;
        return Promise.resolve(api.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) { return path.endsWith(".wasm") ? box.dataset.wasm : prefix + path; }
          },
          fireImmediately: true
        })).then(function () {
          box.dataset.detector = "polyfill";
          return new api.BarcodeDetector({ formats: FORMATS });
        });
      });
    });
    detectorPromise.catch(function () { detectorPromise = null; });
    return detectorPromise;
  }

  function startCamera(box, button) {
    var video = box.querySelector(".scan-video");
    if (box.dataset.cameraOn) {
      (video.srcObject && video.srcObject.getTracks() || []).forEach(function (t) { t.stop(); });
      video.hidden = true; delete box.dataset.cameraOn;
      say(box, box.dataset.msgCameraOff, true);
      return;
    }
    if (!navigator.mediaDevices || !window.WebAssembly && !("BarcodeDetector" in window)) {
      say(box, box.dataset.msgNocamera, false); return;
    }
    var detector = null;
    makeDetector(box).then(function (d) {
      detector = d;
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; box.dataset.cameraOn = "1";
      video.play();
      var last = "", lastAt = 0;
      (function tick() {
        if (!box.dataset.cameraOn) return;
        var frame = video.readyState >= 2 ? detector.detect(video) : Promise.resolve([]);
        frame.then(function (codes) {
          var code = codes.length ? codes[0].rawValue : "";
          // the same code held in front of the camera counts once every 1.5 s, not thirty times a second
          if (code && (code !== last || Date.now() - lastAt > 1500)) { last = code; lastAt = Date.now(); lookup(box, code); }
        }).catch(function () {}).then(function () { setTimeout(tick, 250); });
      })();
    }).catch(function () { say(box, box.dataset.msgNocamera, false); });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !ev.target.matches("[data-scan-box] .scan-input")) return;
    ev.preventDefault();
    var input = ev.target, box = input.closest("[data-scan-box]");
    var code = input.value;
    input.value = "";
    lookup(box, code).then(function () { input.focus(); });
  });
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-scan-box] [data-camera]");
    if (button) startCamera(button.closest("[data-scan-box]"), button);
  });
})();
