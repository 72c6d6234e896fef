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

  // ---------------------------------------------------------------- counting on a weak network
  // Every scan goes into this phone's outbox (IndexedDB, /static/sync/outbox.js) at once and shows as
  // "queued"; the outbox uploads it with the terminal protocol (exactly once, whatever the network does)
  // and the row turns "saved" or "refused" when the server's answer arrives. The page is a browser
  // terminal of the signed-in person (POST /api/sync/browser-terminal); without IndexedDB it stays on htmx.

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // barcode / item code → item name for the count's items (the page embeds them): a queued entry reads
  // "矿泉水 × 2" while it waits, not a barcode
  var itemNames = null;
  function nameOf(code) {
    if (itemNames === null) {
      var node = document.getElementById("count-item-names");
      try { itemNames = node ? JSON.parse(node.textContent) : {}; } catch (e) { itemNames = {}; }
    }
    return itemNames[code] || "";
  }

  function entryLabel(entry) {
    var code = entry.barcode || entry.item || "";
    var name = nameOf(code);
    var what = name ? name + " (" + code + ")" : code;
    return entry.qty ? what + " × " + entry.qty : what;
  }

  function setupOutbox(card) {
    var T = JSON.parse(document.getElementById("count-outbox-texts").textContent);
    var form = document.getElementById("scan-form");
    var input = document.getElementById("scan-input");
    var result = document.getElementById("scan-result");
    var log = document.getElementById("entry-log");
    var bar = document.getElementById("outbox-bar");
    var net = document.getElementById("net-state");
    var pendingEl = document.getElementById("pending-count");
    var errorEl = document.getElementById("outbox-error");
    var countId = Number(card.dataset.count);
    var warehouseId = Number(card.dataset.warehouse);
    var userId = Number(card.dataset.user);
    var rows = {};
    var ob = null;
    var registering = null;
    var askedAgain = false;
    var regError = "";

    function cue(ok) {
      card.classList.remove("scan-flash-ok", "scan-flash-error");
      void card.offsetWidth;  // restart the cue on consecutive scans
      card.classList.add(ok ? "scan-flash-ok" : "scan-flash-error");
      if (!ok && navigator.vibrate) navigator.vibrate(200);
    }

    function showResult(kind, title, detail) {
      result.textContent = "";
      var box = el("div", "scan-result " + (kind === "error" ? "scan-error" : kind === "ok" ? "scan-ok" : "scan-queued"));
      box.dataset.scan = kind;
      box.setAttribute("role", kind === "error" ? "alert" : "status");
      box.appendChild(el("strong", "", title));
      if (detail) box.appendChild(el("div", "", detail));
      result.appendChild(box);
    }

    function row(op, state) {
      var li = rows[op.id];
      if (!li) {
        li = el("li", "entry");
        li.dataset.op = op.id;
        li.appendChild(el("span", "entry-what", (op.data.entries || []).map(entryLabel).join(", ")));
        li.appendChild(el("span", "entry-state"));
        li.appendChild(el("span", "entry-detail muted"));
        rows[op.id] = li;
        log.insertBefore(li, log.firstChild);
        while (log.children.length > 100) { delete rows[log.lastChild.dataset.op]; log.removeChild(log.lastChild); }
        log.hidden = false;
      }
      li.className = "entry entry-" + state;
      li.dataset.state = state;
      li.querySelector(".entry-state").textContent = T[state];
      return li;
    }

    function lineText(line) {
      return line.name + " " + line.item + (line.lot ? " · " + line.lot : "") + " · " + T.counted + " " +
        (line.counted === null ? "—" : line.counted) + (line.added ? " · " + T.new_line : "");
    }

    function answered(res, op) {
      if (op.type !== "count_entry" || !op.data || op.data.count !== countId) return;
      var answer = res.status === "duplicate" ? res.first || {} : res;
      var li = row(op, answer.status === "refused" ? "refused" : "saved");
      var detail = li.querySelector(".entry-detail");
      if (answer.status === "refused") {
        var err = answer.error || {};
        detail.textContent = err.message || err.code || "";
        showResult("error", "✗ " + (err.message || err.code || T.refused),
                   err.code === "barcode.unknown" ? T.unknown_hint : "");
        if (err.code === "count.lot_choice") askLot((op.data.entries || [])[0], (err.data || {}).lots || []);
        cue(false);
      } else {
        var lines = answer.lines || [];
        detail.textContent = lines.map(lineText).join("; ");
        if (lines.length) showResult("ok", "✓ " + lines[0].name, T.counted + ": " + lines[0].counted);
        cue(true);
      }
    }

    // a lot-tracked item scanned by its ordinary barcode: the lots counted here as buttons, or a new lot;
    // the choice goes into the outbox as the same entry with its lot
    function askLot(entry, lots) {
      if (!entry) return;
      var box = el("div", "lot-choice");
      function pick(code) {
        code = (code || "").trim();
        if (!code) return;
        var again = { barcode: entry.barcode, lot: code };
        if (entry.item) again.item = entry.item;
        if (entry.qty) again.qty = entry.qty;
        if (entry.location) again.location = entry.location;
        var data = { count: countId, entries: [again] };
        ob.add("count_entry", data).then(function (id) {
          row({ id: id, type: "count_entry", data: data }, "queued");
          showResult("queued", entryLabel(again) + " · " + code + " · " + T.queued, T.queued_note);
          input.focus();
        });
      }
      lots.forEach(function (lot) {
        var b = el("button", "btn lot-pick", lot.code + (lot.expires_on ? " · " + lot.expires_on : ""));
        b.type = "button";
        b.addEventListener("click", function () { pick(lot.code); });
        box.appendChild(b);
      });
      var fresh = el("input");
      fresh.setAttribute("aria-label", T.new_lot);
      fresh.placeholder = T.new_lot;
      fresh.maxLength = 64;
      var go = el("button", "btn", T.count_in_lot);
      go.type = "button";
      go.addEventListener("click", function () { pick(fresh.value); });
      var span = el("span", "lot-new");
      span.appendChild(fresh);
      span.appendChild(go);
      box.appendChild(span);
      var shown = result.querySelector(".scan-result");
      (shown || result).appendChild(box);
    }

    function showState(st) {
      if (!st) return;
      var online = st.online;
      net.textContent = online ? T.online : T.offline;
      net.dataset.online = online ? "1" : "0";
      net.className = "net-state " + (online ? "net-online" : "net-offline");
      pendingEl.textContent = String(st.pending);
      pendingEl.dataset.pending = String(st.pending);
      var err = st.last_error;
      var quiet = !err || /^network\.|^terminal\.missing$|^server\.unavailable$/.test(err.code);
      if (regError) errorEl.textContent = regError;
      else if (!quiet) errorEl.textContent = err.message || err.code;
      else errorEl.textContent = "";
      if (err && err.code === "terminal.missing") ensureTerminal();
      // the token stopped working (revoked, or replaced from another tab): ask once more for this device;
      // a revoked device is then told so in words (terminal.revoked) instead of "sign in"
      if (err && err.status === 401 && !askedAgain) { askedAgain = true; ensureTerminal(true); }
    }

    function csrfToken() {
      var field = form.querySelector("input[name=csrfmiddlewaretoken]");
      return field ? field.value : "";
    }

    // this person's phone as a terminal of the count's warehouse (asked again until it has one)
    function ensureTerminal(again) {
      return ob.terminal().then(function (t) {
        if (!again && t && t.warehouse_id === warehouseId && t.operator_id === userId) {
          card.dataset.terminal = t.code;
          return t;
        }
        if (registering || !navigator.onLine) return registering;
        registering = ob.deviceId().then(function (deviceId) {
          return fetch(card.dataset.registerUrl, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(),
              "Accept-Language": document.documentElement.lang || "" },
            body: JSON.stringify({ warehouse: warehouseId, device_id: deviceId }),
          });
        }).then(function (resp) {
          return resp.json().then(function (body) {
            if (!resp.ok) throw body;
            return ob.setTerminal(body);
          });
        }).then(function (t) {
          registering = null;
          regError = "";
          card.dataset.terminal = t.code;
          return t;
        }, function (err) {
          registering = null;
          if (err instanceof TypeError) return null;  // no network: quiet, asked again when it is back
          regError = T.register_failed + " " + (err && err.message ? err.message : String(err));
          errorEl.textContent = regError;
          return null;
        });
        return registering;
      });
    }

    // capture phase: the outbox takes the scan before htmx would post it
    document.addEventListener("submit", function (ev) {
      if (ev.target !== form || !ob) return;
      ev.preventDefault();
      ev.stopPropagation();
      var code = input.value.trim();
      var qtyField = form.querySelector("input[name=quantity]");
      var loc = form.querySelector("select[name=location]");
      if (!code) { showResult("error", "✗ " + T.empty); cue(false); input.focus(); return; }
      var entry = { barcode: code };
      if (qtyField && qtyField.value.trim()) entry.qty = qtyField.value.trim();
      if (loc && loc.value) entry.location = Number(loc.value);
      var data = { count: countId, entries: [entry] };
      input.value = "";
      if (qtyField) qtyField.value = "";
      input.focus();
      ob.add("count_entry", data).then(function (id) {
        row({ id: id, type: "count_entry", data: data }, "queued");
        showResult("queued", entryLabel(entry) + " · " + T.queued, T.queued_note);
      }, function () {
        showResult("error", "✗ " + T.storage_failed);
        cue(false);
      });
    }, true);

    return JxcOutbox.open(card.dataset.outbox).then(function (outbox) {
      ob = outbox;
      card.classList.add("outbox-on");
      bar.hidden = false;
      ob.on("change", showState);
      ob.on("result", answered);
      return Promise.all([ob.ops(), ob.refused()]).then(function (r) {
        // what is still on this phone from before (a reload, the network gone)
        r[1].concat(r[0]).filter(function (op) { return op.type === "count_entry" && op.data && op.data.count === countId; })
          .sort(function (a, b) { return a.seq - b.seq; })
          .forEach(function (op) {
            var li = row(op, op.error ? "refused" : "queued");
            if (op.error) li.querySelector(".entry-detail").textContent = op.error.message || op.error.code;
          });
        return ob.status();
      }).then(function (st) {
        showState(st);
        window.addEventListener("online", function () { ensureTerminal(); });
        return ensureTerminal();
      }).then(function () {
        ob.start({ minDelayMs: 1000, maxDelayMs: 30000, periodMs: 15000 });
        card.dataset.ready = "1";
      });
    });
  }

  // the first visit already keeps this page and its files for an offline reload (the service worker then
  // refreshes them on every visit online); the keys are the ones /counts/sw.js looks up
  function keepThisPage() {
    if (!window.caches || location.search) return null;
    var files = Array.prototype.map.call(document.querySelectorAll("script[src], link[rel=stylesheet][href]"),
      function (e) { return new URL(e.src || e.href, location.href); })
      .filter(function (u) { return u.origin === location.origin && u.pathname.indexOf("/static/") === 0; })
      .map(function (u) { return u.href; });
    return caches.open("jxc-counts-v1").then(function (cache) {
      return Promise.all([cache.add(location.pathname)].concat(files.map(function (f) { return cache.add(f); })));
    }).then(function () { document.querySelector(".scan-card").dataset.kept = "1"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var card = document.querySelector(".scan-card[data-outbox]");
    if (!card || !window.JxcOutbox || !window.indexedDB) return;  // htmx posts each scan instead
    if ("serviceWorker" in navigator && card.dataset.sw) {
      navigator.serviceWorker.register(card.dataset.sw, { scope: "/counts/" }).then(keepThisPage)
        .catch(function () { /* then the page opens only online */ });
    }
    setupOutbox(card).catch(function (e) { if (window.console) console.error(e); });
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
