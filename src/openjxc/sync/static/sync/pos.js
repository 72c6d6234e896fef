/* The till (收银台): a POS terminal in the browser that keeps selling while the network is away.
 *
 * - The device registers once with a one-time code (POST /api/sync/register); its token goes into the
 *   outbox (outbox.js, IndexedDB "jxc-outbox-pos"), which uploads the sales (POST /api/sync/push).
 * - The catalogue (GET /api/sync/catalogue, paged) is cached in IndexedDB "jxc-pos" and held in memory:
 *   scanning and searching never need the network. It is read again when online (start, reconnect, every
 *   30 minutes, or the button).
 * - "Pay" stores one `sale` op in the outbox (on disk before the receipt shows), then the receipt:
 *   "pending upload" until the server's answer gives the document number.
 * - The basket being rung up is kept in "jxc-pos" too (meta "basket", on every change): a reload, a crash or
 *   a closed tab finds it again. The registration is asked once: the terminal stays in the outbox's store,
 *   which the page asks the browser to keep (navigator.storage.persist) rather than evict under pressure.
 * - The page and these files come from the service worker's cache (/pos/sw.js) when offline.
 * Money is computed in integers (BigInt): prices have up to 6 decimals, quantities up to 4.
 */
(function () {
  "use strict";

  const TEXT = JSON.parse(document.getElementById("pos-texts").textContent);
  const CONFIG = JSON.parse(document.getElementById("pos-config").textContent);
  const CATALOGUE_PAGE = CONFIG.catalogue_page || 1000;
  const CATALOGUE_MAX_AGE_MS = 30 * 60 * 1000;
  const SEARCH_LIMIT = 30;
  const KEEP_SALES = 300;

  const $ = (id) => document.getElementById(id);
  const fill = (text, args) => text.replace(/%\((\w+)\)s/g, (m, k) => (args && k in args ? args[k] : m));

  // ------------------------------------------------------------ decimals as integers

  // "12.5" with 4 places -> 125000n; refuses what is not a plain non-negative decimal
  function units(value, places) {
    const s = String(value == null ? "" : value).trim();
    const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
    if (!s || !m || (m[1] === "" && !m[2])) return null;
    const frac = (m[2] || "").padEnd(places, "0");
    let n = BigInt((m[1] || "0") + frac.slice(0, places));
    if (frac.length > places && Number(frac[places]) >= 5) n += 1n;  // half up
    return n;
  }

  // 125000n with 4 places -> "12.5" (or with `keep` places at least: "12.50")
  function show(n, places, keep) {
    const neg = n < 0n;
    let s = (neg ? -n : n).toString().padStart(places + 1, "0");
    let whole = s.slice(0, s.length - places);
    let frac = places ? s.slice(s.length - places) : "";
    while (frac.length > (keep || 0) && frac.endsWith("0")) frac = frac.slice(0, -1);
    return (neg ? "-" : "") + whole + (frac ? "." + frac : "");
  }

  function divRound(n, d) { return n >= 0n ? (n + d / 2n) / d : -((-n + d / 2n) / d); }

  // the amount in cents of qty (4 places) x price (6 places)
  function cents(qty4, price6) { return divRound(qty4 * price6, 10n ** 8n); }
  const money = (c) => "¥" + show(c, 2, 2);

  // ------------------------------------------------------------ IndexedDB (catalogue, receipts)

  function req(r) {
    return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  }

  function tx(db, names, mode, fn) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(names, mode);
      const stores = {};
      names.forEach((n) => { stores[n] = t.objectStore(n); });
      let value;
      t.oncomplete = () => resolve(value);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error("aborted"));
      Promise.resolve(fn(stores)).then((v) => { value = v; }, (e) => { try { t.abort(); } catch (x) { /* done */ } reject(e); });
    });
  }

  function openLocal() {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open("jxc-pos", 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore("items", { keyPath: "id" });
        db.createObjectStore("meta", { keyPath: "key" });
        db.createObjectStore("sales", { keyPath: "id" }).createIndex("at", "created_at");
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  // ------------------------------------------------------------ state

  const state = {
    ob: null, db: null, terminal: null,
    items: [], byBarcode: new Map(), byCode: new Map(), catalogueAt: null, loadingCatalogue: null,
    basket: [],  // {key, item, unit, factor, price (string, per unit), qty (string)}
    receipt: null,  // the sale shown in the receipt dialog
    paying: false,
    outbox: { pending: 0, online: navigator.onLine },
  };

  function index(items) {
    state.items = items;
    state.byBarcode = new Map();
    state.byCode = new Map();
    for (const it of items) {
      state.byCode.set(it.code.toUpperCase(), it);
      const factors = new Map((it.units || []).map((u) => [u.unit, u.factor]));
      for (const b of it.barcodes || []) {
        const unit = b.unit && b.unit !== it.unit ? b.unit : null;
        state.byBarcode.set(b.code, { item: it, unit, factor: unit ? factors.get(unit) || "1" : "1" });
      }
      it._search = (it.code + " " + it.name + " " + (it.spec || "") + " " + (it.search_key || "")).toLowerCase();
      it._unitNames = new Map((it.units || []).map((u) => [u.unit, u.name || u.unit]));
      it._unitNames.set(it.unit, it.unit_name || it.unit);
    }
  }

  // ------------------------------------------------------------ messages, sound

  let messageTimer = null;
  function message(text, kind) {
    const el = $("pos-message");
    $("pos-message-text").textContent = text;
    el.dataset.kind = kind || "info";
    el.hidden = false;
    el.classList.remove("flash");
    if (kind === "error") { void el.offsetWidth; el.classList.add("flash"); }
    clearTimeout(messageTimer);
    if (kind !== "error" && kind !== "sticky") messageTimer = setTimeout(hideMessage, 2500);
    messageRoom();
  }

  function hideMessage() {
    clearTimeout(messageTimer);
    $("pos-message").hidden = true;
    messageRoom();
  }

  // on a phone the message floats above the bottom of the screen: the page gets as much room below its last
  // controls, so scrolling down always brings them out from under it (pos.css: --message-room)
  function messageRoom() {
    const el = $("pos-message");
    const floating = !el.hidden && getComputedStyle(el).position === "fixed";
    document.body.style.setProperty("--message-room", floating ? el.offsetHeight + 16 + "px" : "0px");
  }

  let audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tones = ok ? [[1200, 0, 0.06]] : [[440, 0, 0.18], [330, 0.22, 0.3]];
      for (const [freq, start, len] of tones) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = freq;
        gain.gain.value = 0.08;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + len);
      }
    } catch (e) { /* no sound: the red message still shows */ }
  }

  // ------------------------------------------------------------ API

  function headers(json) {
    const h = { "Accept": "application/json", "Accept-Language": document.documentElement.lang || "en" };
    if (json) h["Content-Type"] = "application/json";
    if (state.terminal && state.terminal.token) h["Authorization"] = "Bearer " + state.terminal.token;
    return h;
  }

  async function api(method, path, body) {
    const resp = await fetch(CONFIG.api + path, {
      method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
    let json = null;
    try { json = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      const err = new Error((json && json.message) || "HTTP " + resp.status);
      err.status = resp.status;
      err.code = json && json.code;
      throw err;
    }
    return json;
  }

  // ------------------------------------------------------------ registration

  function showRegister(show) {
    $("pos-register").hidden = !show;
    $("pos-till").hidden = show;
    if (show) $("register-form").elements.registration_code.focus();
  }

  async function register(ev) {
    ev.preventDefault();
    const f = ev.target;
    if (!navigator.onLine) { message(TEXT.offline_register, "error"); return; }
    const button = f.querySelector("button");
    button.disabled = true;
    try {
      const t = await api("POST", "register", {
        registration_code: f.elements.registration_code.value.trim(), code: f.elements.code.value.trim(),
        name: f.elements.name.value.trim(),
      });
      state.terminal = await state.ob.setTerminal(t);
      keepStorage();
      f.reset();
      showTerminal();
      showRegister(false);
      await refreshCatalogue(true);
      $("scan").focus();
      pullReviews();
    } catch (e) {
      message(fill(TEXT.register_failed, { error: e.message }), "error");
    } finally {
      button.disabled = false;
    }
  }

  // the registration and the sales waiting to upload must outlive the browser's storage clean-ups
  function keepStorage() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  }

  function showTerminal() {
    const t = state.terminal;
    const name = t && t.name !== t.code ? t.name : "";  // a till named after its code says it once
    $("pos-terminal").textContent = t ? [t.code, name, t.warehouse_name].filter(Boolean).join(" · ") : "";
  }

  // ------------------------------------------------------------ catalogue

  async function loadCatalogue() {
    const [items, meta] = await Promise.all([
      tx(state.db, ["items"], "readonly", (s) => req(s.items.getAll())),
      tx(state.db, ["meta"], "readonly", (s) => req(s.meta.get("catalogue"))),
    ]);
    index(items);
    state.catalogueAt = meta ? meta.at : null;
    showCatalogueState();
  }

  function showCatalogueState(extra) {
    let text = fill(TEXT.catalogue_items, { n: state.items.length });
    if (state.catalogueAt) text += " · " + fill(TEXT.catalogue_at, { at: new Date(state.catalogueAt).toLocaleString() });
    $("catalogue-state").textContent = extra || text;
  }

  // read every page, then replace the cache in one transaction (a half-read catalogue never replaces a whole one)
  function refreshCatalogue(force) {
    if (state.loadingCatalogue) return state.loadingCatalogue;
    if (!state.terminal || !navigator.onLine) return Promise.resolve();
    if (!force && state.catalogueAt && Date.now() - state.catalogueAt < CATALOGUE_MAX_AGE_MS && state.items.length) {
      return Promise.resolve();
    }
    state.loadingCatalogue = (async () => {
      if (!state.items.length) showCatalogueState(TEXT.catalogue_loading);
      try {
        const all = [];
        let after = 0;
        let cursor = null;
        for (;;) {
          const page = await api("GET", `catalogue?after=${after}&limit=${CATALOGUE_PAGE}`);
          if (page.cursor) cursor = page.cursor;
          all.push(...page.items);
          after = page.next_after;
          if (!page.has_more) break;
        }
        const at = Date.now();
        await tx(state.db, ["items", "meta"], "readwrite", (s) => {
          s.items.clear();
          for (const it of all) s.items.put(it);
          s.meta.put({ key: "catalogue", at, count: all.length, cursor });
        });
        index(all);
        state.catalogueAt = at;
        showCatalogueState();
      } catch (e) {
        if (e.status === 401) message(TEXT.revoked, "error");
        else showCatalogueState(fill(TEXT.catalogue_failed, { error: e.message }));
        if (state.items.length) setTimeout(showCatalogueState, 4000);
      } finally {
        state.loadingCatalogue = null;
      }
    })();
    return state.loadingCatalogue;
  }

  // ------------------------------------------------------------ basket

  function addToBasket(item, unit, factor) {
    const key = item.id + "|" + (unit || "");
    let line = state.basket.find((l) => l.key === key);
    if (line) {
      line.qty = show(units(line.qty, 4) + 10000n, 4);
      state.basket.splice(state.basket.indexOf(line), 1);
    } else {
      const price6 = divRound(units(item.sale_price, 6) * units(factor || "1", 6), 10n ** 6n);
      line = { key, item, unit, factor: factor || "1", price: show(price6, 6, 2), qty: "1" };
    }
    state.basket.unshift(line);  // the line just scanned on top, where the cashier looks
    renderBasket(key);
  }

  function unitName(item, unit) { return item._unitNames.get(unit || item.unit) || unit || item.unit; }

  function lineCents(line) {
    const q = units(line.qty, 4);
    return q === null ? 0n : cents(q, units(line.price, 6));
  }

  function totalCents() { return state.basket.reduce((sum, l) => sum + lineCents(l), 0n); }

  function renderBasket(flashKey) {
    const ul = $("basket");
    ul.textContent = "";
    for (const line of state.basket) {
      const li = document.createElement("li");
      li.className = "line" + (line.key === flashKey ? " just-added" : "");
      li.dataset.code = line.item.code;
      const name = document.createElement("div");
      name.className = "name";
      name.textContent = line.item.name + (line.item.spec ? " " + line.item.spec : "");
      const sub = document.createElement("small");
      sub.innerHTML = "";
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = line.item.code;
      sub.append(code, " · ¥" + line.price + " / " + unitName(line.item, line.unit));
      name.append(sub);
      const qty = document.createElement("div");
      qty.className = "qty";
      const minus = button("−", "btn", () => step(line, -1));
      minus.setAttribute("aria-label", "−1");
      const input = document.createElement("input");
      input.value = line.qty;
      input.inputMode = "decimal";
      input.setAttribute("aria-label", line.item.name);
      input.dataset.testid = "qty";
      input.addEventListener("change", () => setQty(line, input.value));
      const plus = button("+", "btn", () => step(line, 1));
      plus.setAttribute("aria-label", "+1");
      const remove = button(TEXT.remove, "btn btn-ghost remove", () => removeLine(line));
      qty.append(minus, input, plus, remove);
      const total = document.createElement("div");
      total.className = "line-total";
      total.textContent = money(lineCents(line));
      li.append(name, qty, total);
      ul.append(li);
    }
    $("basket-empty").hidden = state.basket.length > 0;
    $("basket-count").textContent = state.basket.length;
    renderTotals();
    saveBasket();
  }

  // ------------------------------------------------------------ the basket across reloads

  let basketWrite = Promise.resolve();
  function saveBasket() {
    if (!state.db || !state.basketLoaded) return;
    const value = {
      lines: state.basket.map((l) => ({ key: l.key, id: l.item.id, unit: l.unit, factor: l.factor, price: l.price,
        qty: l.qty })),
      method: method(), tendered: $("tendered").value, cash_part: $("cash-part").value, other: $("other-method").value,
    };
    // one write after the other: the last change is the one that stays
    basketWrite = basketWrite.then(() => tx(state.db, ["meta"], "readwrite", (s) => {
      s.meta.put({ key: "basket", value });
    })).then(() => {
      document.body.dataset.basketSaved = value.method;  // written for good (what a reload will find)
    }).catch((e) => console.warn("basket not saved", e));
  }

  async function restoreBasket() {
    const row = await tx(state.db, ["meta"], "readonly", (s) => req(s.meta.get("basket")));
    const saved = row ? row.value : null;
    state.basketLoaded = true;
    if (!saved || !saved.lines || !saved.lines.length) return;
    const byId = new Map(state.items.map((it) => [it.id, it]));
    let dropped = 0;
    state.basket = [];
    for (const l of saved.lines) {
      const item = byId.get(l.id);
      if (!item) { dropped += 1; continue; }
      state.basket.push({ key: l.key, item, unit: l.unit, factor: l.factor, price: l.price, qty: l.qty });
    }
    const choice = document.querySelector(`input[name=method][value="${saved.method}"]`);
    if (choice) choice.checked = true;
    $("tendered").value = saved.tendered || "";
    $("cash-part").value = saved.cash_part || "";
    if (saved.other) $("other-method").value = saved.other;
    renderBasket();
    if (dropped) message(fill(TEXT.basket_dropped, { n: dropped }), "sticky");
    else message(fill(TEXT.basket_restored, { n: state.basket.length }), "info");
  }

  function button(label, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function step(line, delta) {
    const q = units(line.qty, 4) + BigInt(delta) * 10000n;
    if (q <= 0n) { removeLine(line); return; }
    line.qty = show(q, 4);
    renderBasket();
  }

  function setQty(line, value) {
    const q = units(value.replace(",", "."), 4);
    if (q === null || q <= 0n) { message(TEXT.qty_invalid, "error"); beep(false); renderBasket(); return; }
    line.qty = show(q, 4);
    renderBasket();
  }

  function removeLine(line) {
    state.basket.splice(state.basket.indexOf(line), 1);
    renderBasket();
  }

  function method() { return document.querySelector("input[name=method]:checked").value; }

  // a mixed payment: the part paid in cash (what the change is counted on) and the rest by another method
  function cashPart() { return units($("cash-part").value.trim().replace(",", "."), 2); }

  function renderTotals() {
    const total = totalCents();
    $("total").textContent = money(total);
    $("pay-bar-total").textContent = money(total);
    const mixed = method() === "mixed";
    const cash = method() === "cash" || mixed;
    $("cash-row").hidden = !cash;
    $("mixed-row").hidden = !mixed;
    const part = mixed ? cashPart() : null;
    // a cash part of the whole total or more is no mixed payment (refused at 结账): no negative rest, no change
    const over = part !== null && total > 0n && part >= total;
    $("cash-part").setAttribute("aria-invalid", over ? "true" : "false");
    $("other-part").textContent = over ? "—" : money(part !== null && part >= 0n ? total - part : total);
    const due = mixed ? (part === null ? 0n : part) : total;
    const tendered = units($("tendered").value.replace(",", "."), 2);
    const change = $("change").parentElement;
    if (over) {
      $("change").textContent = "—";
      change.dataset.short = "0";
    } else if (cash && tendered !== null) {
      $("change").textContent = money(tendered - due);
      change.dataset.short = tendered < due ? "1" : "0";
    } else {
      $("change").textContent = money(0n);
      change.dataset.short = "0";
    }
    $("pay").disabled = !state.basket.length || state.paying;
  }

  // ------------------------------------------------------------ scan and search

  function onScan(ev) {
    ev.preventDefault();
    const input = $("scan");
    const code = input.value.trim();
    input.value = "";
    if (!code) return;
    const hit = state.byBarcode.get(code);
    const item = hit ? hit.item : state.byCode.get(code.toUpperCase());
    if (!item) {
      message(fill(TEXT.unknown_barcode, { code }), "error");
      beep(false);
      input.focus();
      return;
    }
    addToBasket(item, hit ? hit.unit : null, hit ? hit.factor : "1");
    message(fill(TEXT.added, { name: item.name }), "info");
    beep(true);
    input.focus();
  }

  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    const words = q.split(/\s+/);
    const out = [];
    for (const it of state.items) {
      if (words.every((w) => it._search.includes(w))) {
        out.push(it);
        if (out.length >= SEARCH_LIMIT) break;
      }
    }
    return out;
  }

  function renderResults() {
    const q = $("search").value;
    const ul = $("search-results");
    ul.textContent = "";
    if (!q.trim()) { ul.hidden = true; return; }
    const found = search(q);
    if (!found.length) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = fill(TEXT.no_match, { q: q.trim() });
      ul.append(li);
    }
    for (const it of found) {
      const li = document.createElement("li");
      const b = button("", "", () => pick(it));
      b.setAttribute("role", "option");
      b.dataset.code = it.code;
      const left = document.createElement("span");
      left.textContent = it.name + (it.spec ? " " + it.spec : "") + " ";
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = it.code;
      left.append(code);
      const price = document.createElement("span");
      price.textContent = "¥" + show(units(it.sale_price, 6), 6, 2) + " / " + unitName(it, null);
      b.append(left, price);
      li.append(b);
      ul.append(li);
    }
    ul.hidden = false;
  }

  function pick(item) {
    addToBasket(item, null, "1");
    $("search").value = "";
    renderResults();
    $("scan").focus();
  }

  // ------------------------------------------------------------ paying

  async function pay() {
    if (state.paying) return;
    if (!state.basket.length) { message(TEXT.basket_empty, "error"); return; }
    const total = totalCents();
    const m = method();
    const payment = { method: m, amount: show(total, 2, 2) };
    let payments = null;  // a mixed payment: one entry per method, each with its amount (the protocol's `payments`)
    let due = total;
    if (m === "mixed") {
      const part = cashPart();
      if (part === null || part <= 0n || part >= total) { message(TEXT.mixed_invalid, "error"); beep(false); return; }
      due = part;
      payments = [{ method: "cash", amount: show(part, 2, 2) },
        { method: $("other-method").value, amount: show(total - part, 2, 2) }];
      payment.parts = payments;
    }
    if (m === "cash" || m === "mixed") {
      const raw = $("tendered").value.trim().replace(",", ".");
      const tendered = raw ? units(raw, 2) : due;
      if (tendered === null || tendered < due) { message(TEXT.tendered_short, "error"); beep(false); return; }
      payment.tendered = show(tendered, 2, 2);
      payment.change = show(tendered - due, 2, 2);
    }
    const lines = state.basket.slice().reverse().map((l) => {
      const line = { item: l.item.code, qty: l.qty, price: l.price };
      if (l.unit) line.unit = l.unit;
      return line;
    });
    state.paying = true;
    renderTotals();
    try {
      const opId = await state.ob.add("sale", payments ? { lines, payment, payments } : { lines, payment });  // on disk from here on
      const sale = {
        id: opId, created_at: new Date().toISOString(), status: "pending", number: null, error: null,
        local_no: await nextLocalNumber(), payment,
        lines: state.basket.slice().reverse().map((l) => ({
          code: l.item.code, name: l.item.name, spec: l.item.spec || "", unit: unitName(l.item, l.unit), unit_code: l.unit,
          qty: l.qty, price: l.price,
          amount: show(lineCents(l), 2, 2),
        })),
        total: show(total, 2, 2),
      };
      await saveNew(sale);
      state.basket = [];
      $("tendered").value = "";
      $("cash-part").value = "";
      document.querySelector("input[name=method][value=cash]").checked = true;  // the next customer pays cash unless told
      renderBasket();
      showReceipt(sale);
      message(TEXT.sale_saved, "info");
    } catch (e) {
      message(e.message || String(e), "error");
    } finally {
      state.paying = false;
      renderTotals();
    }
  }

  async function nextLocalNumber() {
    return tx(state.db, ["meta"], "readwrite", async (s) => {
      const row = await req(s.meta.get("receipt_no"));
      const n = (row ? row.value : 0) + 1;
      s.meta.put({ key: "receipt_no", value: n });
      return n;
    });
  }

  async function saveSale(sale) {
    await tx(state.db, ["sales"], "readwrite", (s) => { s.sales.put(sale); });
  }

  async function trimSales() {
    await tx(state.db, ["sales"], "readwrite", (s) => new Promise((resolve) => {
      let n = 0;
      const c = s.sales.index("at").openCursor(null, "prev");
      c.onsuccess = () => {
        const cur = c.result;
        if (!cur) { resolve(); return; }
        n += 1;
        if (n > KEEP_SALES && cur.value.status !== "pending") cur.delete();
        cur.continue();
      };
      c.onerror = () => resolve();
    }));
  }

  // ------------------------------------------------------------ returns (against a sale of this till)

  const ret = { sale: null, qty: {} };

  async function recentSales() {
    const all = await tx(state.db, ["sales"], "readonly", (s) => req(s.sales.getAll()));
    all.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    return all;
  }

  // what is left to return of each line of `sale`: sold minus the returns already made on this till
  function leftOf(sale, all) {
    const left = {};
    for (const l of sale.lines) left[l.code + "|" + l.unit] = (left[l.code + "|" + l.unit] || 0n) + units(l.qty, 4);
    for (const r of all) {
      if (r.kind !== "return" || r.sale_op !== sale.id || r.status === "refused") continue;
      for (const l of r.lines) left[l.code + "|" + l.unit] -= units(l.qty, 4);
    }
    return left;
  }

  async function openReturns() {
    const all = await recentSales();
    const sales = all.filter((s) => s.kind !== "return" && s.status !== "refused").slice(0, 30);
    const ul = $("returns-sales");
    ul.textContent = "";
    if (!sales.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = TEXT.no_sales;
      ul.append(li);
    }
    for (const sale of sales) {
      const li = document.createElement("li");
      const b = button("", "btn return-pick", () => pickReturnSale(sale, all));
      b.dataset.op = sale.id;
      b.textContent = "#" + ((state.terminal || {}).code || "") + "-" + sale.local_no + " · " +
        new Date(sale.created_at).toLocaleTimeString() + " · ¥" + sale.total + " · " + (sale.number || TEXT.pending_upload);
      li.append(b);
      ul.append(li);
    }
    ul.hidden = false;
    $("returns-hint").hidden = false;
    $("return-form").hidden = true;
    $("returns-close-row").hidden = false;
    $("returns-dialog").hidden = false;
  }

  function pickReturnSale(sale, all) {
    ret.sale = sale;
    ret.left = leftOf(sale, all);
    ret.qty = {};
    $("returns-sales").hidden = true;
    $("returns-hint").hidden = true;
    $("returns-close-row").hidden = true;
    $("return-sale").textContent = "#" + ((state.terminal || {}).code || "") + "-" + sale.local_no + " · " +
      (sale.number || TEXT.pending_upload) + " · ¥" + sale.total;
    const ul = $("return-lines");
    ul.textContent = "";
    for (const l of sale.lines) {
      const key = l.code + "|" + l.unit;
      const li = document.createElement("li");
      li.className = "line";
      li.dataset.code = l.code;
      const name = document.createElement("div");
      name.className = "name";
      name.textContent = l.name + (l.spec ? " " + l.spec : "");
      const sub = document.createElement("small");
      sub.textContent = l.code + " · ¥" + l.price + " / " + l.unit + " · " + fill(TEXT.left, { n: show(ret.left[key], 4) });
      name.append(sub);
      const qty = document.createElement("div");
      qty.className = "qty";
      const input = document.createElement("input");
      input.inputMode = "decimal";
      input.value = "0";
      input.setAttribute("aria-label", l.name);
      input.addEventListener("input", () => { ret.qty[key] = input.value; returnTotal(); });
      qty.append(input);
      const total = document.createElement("div");
      total.className = "line-total";
      li.append(name, qty, total);
      ul.append(li);
    }
    $("return-form").hidden = false;
    returnTotal();
    const first = ul.querySelector("input");
    if (first) first.select();
  }

  function returnLines() {
    const out = [];
    for (const l of ret.sale.lines) {
      const key = l.code + "|" + l.unit;
      const raw = (ret.qty[key] || "").trim().replace(",", ".");
      if (!raw) continue;
      const q = units(raw, 4);
      if (q === null) return { error: TEXT.qty_invalid };
      if (q === 0n) continue;
      if (q > ret.left[key]) return { error: fill(TEXT.return_too_many, { n: show(ret.left[key], 4), name: l.name }) };
      out.push({ line: l, q, cents: cents(q, units(l.price, 6)) });
    }
    return { lines: out };
  }

  function returnTotal() {
    const r = returnLines();
    const total = (r.lines || []).reduce((sum, x) => sum + x.cents, 0n);
    $("return-total").textContent = money(total);
    return r;
  }

  async function confirmReturn(ev) {
    ev.preventDefault();
    const r = returnTotal();
    if (r.error) { message(r.error, "error"); beep(false); return; }
    if (!r.lines.length) { message(TEXT.return_nothing, "error"); return; }
    const sale = ret.sale;
    const total = r.lines.reduce((sum, x) => sum + x.cents, 0n);
    // a mixed sale is refunded in cash (the drawer pays it back at once; the till cannot reverse a WeChat part)
    const refundBy = sale.payment.method === "mixed" ? "cash" : sale.payment.method;
    const payment = { method: refundBy, amount: show(total, 2, 2), refund: true };
    const lines = r.lines.map((x) => {
      const line = { item: x.line.code, qty: show(x.q, 4) };
      if (x.line.unit_code) line.unit = x.line.unit_code;
      return line;
    });
    $("return-confirm").disabled = true;
    try {
      const data = { sale_op: sale.id, lines, payment };  // the sale's op id: known before its number is
      const opId = await state.ob.add("return", data);  // on disk from here on
      const record = {
        id: opId, kind: "return", sale_op: sale.id, created_at: new Date().toISOString(), status: "pending",
        number: null, error: null, local_no: await nextLocalNumber(), payment,
        lines: r.lines.map((x) => ({ code: x.line.code, name: x.line.name, spec: x.line.spec || "", unit: x.line.unit,
          qty: show(x.q, 4),
          price: x.line.price, amount: show(x.cents, 2, 2) })),
        total: show(total, 2, 2),
      };
      await saveNew(record);
      $("returns-dialog").hidden = true;
      showReceipt(record);
      message(TEXT.return_saved, "info");
    } catch (e) {
      message(e.message || String(e), "error");
    } finally {
      $("return-confirm").disabled = false;
    }
  }

  // ------------------------------------------------------------ receipt

  function methodLabel(m, parts) {
    if (m === "mixed" && parts) return parts.map((p) => (TEXT["method_" + p.method] || p.method) + " ¥" + p.amount).join(" + ");
    return TEXT["method_" + m] || m;
  }

  function showReceipt(sale) {
    state.receipt = sale;
    $("r-title").textContent = sale.kind === "return" ? TEXT.return_title : TEXT.sale_title;
    const t = state.terminal || {};
    $("r-shop").textContent = t.company_name || "";
    $("r-terminal").textContent = [t.warehouse_name, t.name || t.code].filter(Boolean).join(" · ") +
      " · #" + (t.code || "") + "-" + sale.local_no;
    $("r-time").textContent = new Date(sale.created_at).toLocaleString();
    const body = $("r-lines");
    body.textContent = "";
    let qty = 0n;
    for (const l of sale.lines) {
      const tr1 = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 2;
      td.className = "r-name";
      td.textContent = l.name + (l.spec ? " " + l.spec : "") + " " + l.code;  // 规格: which bottle, which bag
      tr1.append(td);
      const tr2 = document.createElement("tr");
      tr2.className = "detail";
      const a = document.createElement("td");
      a.textContent = "  " + l.qty + " " + l.unit + " × " + l.price;
      const b = document.createElement("td");
      b.textContent = l.amount;
      tr2.append(a, b);
      body.append(tr1, tr2);
      qty += units(l.qty, 4);
    }
    $("r-qty").textContent = show(qty, 4);
    $("r-total").textContent = "¥" + sale.total;
    $("r-method").textContent = methodLabel(sale.payment.method, sale.payment.parts);
    const cash = (sale.payment.method === "cash" || sale.payment.method === "mixed") && sale.kind !== "return";
    document.querySelectorAll(".r-cash").forEach((el) => { el.hidden = !cash; });
    $("r-tendered").textContent = cash ? "¥" + sale.payment.tendered : "";
    $("r-change").textContent = cash ? "¥" + sale.payment.change : "";
    showReceiptNumber(sale);
    $("receipt-dialog").hidden = false;
    $("next-sale").focus();
  }

  function showReceiptNumber(sale) {
    const dd = $("r-number");
    if (sale.number) { dd.textContent = sale.number; dd.dataset.pending = "0"; }
    else if (sale.status === "refused") { dd.textContent = TEXT.refused; dd.dataset.pending = "1"; }
    else if (sale.status === "held") { dd.textContent = TEXT.held; dd.dataset.pending = "1"; }
    else { dd.textContent = TEXT.pending_upload; dd.dataset.pending = "1"; }
  }

  function closeReceipt() {
    $("receipt-dialog").hidden = true;
    if ($("pos-message").dataset.kind === "info") hideMessage();
    state.receipt = null;
    $("scan").focus();
  }

  // the server answered a sale or return: its document number (or why it was refused) onto the local record.
  // An answer can come before the record is written (the upload starts as soon as the op is stored):
  // it waits in `early` until the record is saved.
  const early = new Map();

  function settle(record, answer) {
    if (answer.status === "accepted" && answer.document) {
      record.status = "accepted";
      record.number = answer.document.number;
      return true;
    }
    if (answer.status === "held") {  // dated too long ago or in a closed month: a manager decides (pull: reviews)
      record.status = "held";
      return true;
    }
    if (answer.status === "refused") {
      record.status = "refused";
      record.error = answer.error || null;
      return true;
    }
    return false;
  }

  async function onResult(result, op) {
    if (op.type !== "sale" && op.type !== "return") return;
    const answer = result.status === "duplicate" && result.first ? result.first : result;
    if (answer.status === "held") setTimeout(pullReviews, 500);  // list it with the others held
    const record = await tx(state.db, ["sales"], "readonly", (s) => req(s.sales.get(op.id)));
    if (!record) { early.set(op.id, answer); return; }
    if (!settle(record, answer)) return;
    await saveSale(record);
    if (state.receipt && state.receipt.id === record.id) { state.receipt = record; showReceiptNumber(record); }
  }

  // write a new sale or return record, with its answer if that came first
  async function saveNew(record) {
    if (early.has(record.id)) { settle(record, early.get(record.id)); early.delete(record.id); }
    await saveSale(record);
    const late = early.get(record.id);  // arrived while writing
    if (late && settle(record, late)) { early.delete(record.id); await saveSale(record); }
  }

  // ------------------------------------------------------------ status and refused sales

  function showStatus(st) {
    if (st) state.outbox = st;
    const s = state.outbox;
    const online = navigator.onLine && s.online !== false;
    const net = $("pos-net");
    net.dataset.state = online ? "online" : "offline";
    net.querySelector(".label").textContent = online ? TEXT.online : TEXT.offline;
    const p = $("pos-pending");
    p.dataset.count = String(s.pending || 0);
    p.dataset.waiting = s.pending ? "1" : "0";
    p.textContent = s.pending ? fill(TEXT.pending, { n: s.pending }) : TEXT.pending_none;
    if (s.blocked) { message(TEXT.revoked, "sticky"); $("pos-message").dataset.kind = "error"; }
  }

  async function showRefused() {
    const rows = (await state.ob.refused()).filter((r) => r.type === "sale" || r.type === "return");
    const ul = $("refused");
    ul.textContent = "";
    for (const r of rows) {
      const li = document.createElement("li");
      const what = document.createElement("span");
      const total = r.data && r.data.payment ? "¥" + r.data.payment.amount : "";
      const count = r.data && r.data.lines ? r.data.lines.length : 0;
      what.textContent = (r.type === "return" ? TEXT.return_title + " · " : "") +
        new Date(r.created_at).toLocaleString() + " · " + total + " · " +
        (r.data.lines || []).map((l) => (l.item || l.barcode) + "×" + l.qty).join(", ");
      what.title = String(count);
      const dismiss = button("✕", "btn btn-ghost btn-small", () => state.ob.dismissRefused(r.id).then(showRefused));
      const err = document.createElement("span");
      err.className = "err";
      err.textContent = (r.error && (r.error.message || r.error.code)) || "";
      li.append(what, dismiss, err);
      ul.append(li);
    }
    $("refused-card").hidden = rows.length === 0;
  }

  // ------------------------------------------------------------ sales held for review (the pull's `reviews`)

  // The server holds a sale dated too long ago, in a closed month or ahead for a manager (sync/review.py); the
  // pull lists this till's held operations, waiting or decided in the last 7 days. The till follows the change
  // feed from its cursor (bounded: at most PULL_PAGES pages a time) only to read that list; the catalogue is
  // refreshed on its own.
  const PULL_PAGES = 20;
  const PULL_EVERY_MS = 2 * 60 * 1000;

  async function metaGet(key) {
    const row = await tx(state.db, ["meta"], "readonly", (s) => req(s.meta.get(key)));
    return row || null;
  }

  async function pullReviews() {
    if (state.pulling || !state.terminal || !state.terminal.token || !navigator.onLine) return;
    state.pulling = true;
    try {
      const saved = await metaGet("feed");
      const catalogue = await metaGet("catalogue");
      let cursor = (saved && saved.cursor) || (catalogue && catalogue.cursor) || "";
      let page = null;
      for (let n = 0; n < PULL_PAGES; n += 1) {
        try {
          page = await api("GET", "pull?limit=500&cursor=" + encodeURIComponent(cursor));
        } catch (e) {
          if (e.code !== "feed.bad_cursor" || !cursor) throw e;
          cursor = "";  // a cursor the server no longer knows: start again from the catalogue's
          continue;
        }
        cursor = page.next_cursor;
        if (!page.has_more) break;
      }
      await tx(state.db, ["meta"], "readwrite", (s) => { s.meta.put({ key: "feed", cursor }); });
      if (page) await showReviews(page.reviews || []);
    } catch (e) {
      if (e.status === 401) message(TEXT.revoked, "error");
      // otherwise offline or the server away: the next pull tries again
    } finally {
      state.pulling = false;
    }
  }

  function reviewState(r) {
    const result = r.result || {};
    if (r.status === "rejected") return { status: "rejected", text: fill(TEXT.review_rejected, { reason: r.note || "" }) };
    if (r.status === "accepted" || r.status === "redated") {
      const number = result.document ? result.document.number : "";
      const text = r.status === "redated" ? fill(TEXT.review_redated, { number, date: r.posted_on || "" })
        : fill(TEXT.review_accepted, { number });
      return { status: "accepted", text, number };
    }
    return { status: "pending", text: TEXT.held };
  }

  async function showReviews(reviews) {
    const ul = $("reviews");
    ul.textContent = "";
    for (const r of reviews) {
      const record = await tx(state.db, ["sales"], "readonly", (s) => req(s.sales.get(r.op_id)));
      const st = reviewState(r);
      if (record) {  // the local sale learns its outcome: its number, or that it was refused (returns, receipt)
        const before = record.status + "|" + record.number;
        if (st.status === "accepted") { record.status = "accepted"; record.number = st.number; }
        else if (st.status === "rejected") { record.status = "refused"; record.error = (r.result || {}).error || null; }
        if (record.status + "|" + record.number !== before) {
          await saveSale(record);
          if (state.receipt && state.receipt.id === record.id) { state.receipt = record; showReceiptNumber(record); }
        }
      }
      const li = document.createElement("li");
      li.dataset.op = r.op_id;
      li.dataset.status = st.status;
      const what = document.createElement("span");
      const title = record && record.kind === "return" ? TEXT.return_title : "";
      what.textContent = [title, record ? "#" + (state.terminal.code || "") + "-" + record.local_no : "",
        record ? "¥" + record.total : "", fill(TEXT.review_dated, { date: r.business_on }),
        TEXT["reason_" + r.reason] || r.reason].filter(Boolean).join(" · ");
      const status = document.createElement("strong");
      status.className = "review-status";
      status.textContent = st.text;
      li.append(what, status);
      ul.append(li);
    }
    $("reviews-card").hidden = reviews.length === 0;
  }

  // ------------------------------------------------------------ service worker

  function registerWorker() {
    if (!window.isSecureContext || !("serviceWorker" in navigator)) {  // service workers need https or localhost
      message(TEXT.insecure, "sticky");
      return;
    }
    navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch((e) => {
      console.warn("service worker not registered", e);
    });
  }

  // ------------------------------------------------------------ start

  async function start() {
    registerWorker();
    try {
      [state.ob, state.db] = await Promise.all([JxcOutbox.open("pos"), openLocal()]);
    } catch (e) {
      message(TEXT.no_outbox + " " + (e.message || e), "error");
      return;
    }
    state.terminal = await state.ob.terminal();
    showTerminal();
    await loadCatalogue();
    state.ob.on("change", (st) => { showStatus(st); showRefused(); });
    state.ob.on("result", (r, op) => { onResult(r, op); });
    showStatus(await state.ob.status());
    await showRefused();
    trimSales();

    $("register-form").addEventListener("submit", register);
    $("scan-form").addEventListener("submit", onScan);
    $("search").addEventListener("input", renderResults);
    $("search").addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const found = search($("search").value);
      if (found.length) pick(found[0]);
    });
    $("tendered").addEventListener("input", () => { renderTotals(); saveBasket(); });
    $("cash-part").addEventListener("input", () => { renderTotals(); saveBasket(); });
    $("other-method").addEventListener("change", () => { renderTotals(); saveBasket(); });
    $("tendered").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); pay(); } });
    document.querySelectorAll("input[name=method]").forEach((r) => r.addEventListener("change", () => {
      renderTotals();
      saveBasket();
    }));
    $("pay").addEventListener("click", pay);
    $("clear").addEventListener("click", () => { state.basket = []; renderBasket(); $("scan").focus(); });
    $("print").addEventListener("click", () => window.print());
    $("next-sale").addEventListener("click", closeReceipt);
    $("refresh-catalogue").addEventListener("click", () => refreshCatalogue(true));
    $("upload-now").addEventListener("click", () => state.ob.flush());
    $("open-returns").addEventListener("click", openReturns);
    $("pay-bar-go").addEventListener("click", () => $("pos-pay").scrollIntoView({ behavior: "smooth", block: "end" }));
    if (window.IntersectionObserver) {  // the bar only while the Pay button is out of sight
      new IntersectionObserver((entries) => {
        $("pay-bar").dataset.away = entries[0].isIntersecting ? "1" : "0";
      }).observe($("pay"));
    }
    $("return-form").addEventListener("submit", confirmReturn);
    $("return-back").addEventListener("click", openReturns);
    $("returns-close").addEventListener("click", () => { $("returns-dialog").hidden = true; $("scan").focus(); });
    $("reregister").addEventListener("click", () => { if (confirm(TEXT.confirm_new_device)) showRegister(true); });
    // a scan while the receipt is open starts the next sale: the keys go to the scan field
    // a scanner types wherever the focus is: keys outside any text field go to the scan field
    document.addEventListener("keydown", (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.key.length !== 1 || $("pos-till").hidden) return;
      if (!$("receipt-dialog").hidden || !$("returns-dialog").hidden) return;
      const el = document.activeElement;
      const typing = el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && !["radio", "checkbox", "button"].includes(el.type)));
      if (!typing) $("scan").focus();
    });
    document.addEventListener("keydown", (ev) => {
      if ($("receipt-dialog").hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (ev.key === "Escape" || (ev.key.length === 1 && document.activeElement !== $("scan"))) {
        if (ev.key === "Escape") ev.preventDefault();
        closeReceipt();
      }
    });
    window.addEventListener("online", () => { showStatus(); refreshCatalogue(false); pullReviews(); });
    setInterval(pullReviews, PULL_EVERY_MS);
    $("pos-message-close").addEventListener("click", hideMessage);
    window.addEventListener("resize", messageRoom);
    window.addEventListener("offline", () => showStatus());
    setInterval(() => refreshCatalogue(false), CATALOGUE_MAX_AGE_MS);

    await restoreBasket();
    renderBasket();
    if (!state.terminal || !state.terminal.token) {
      showRegister(true);
    } else {
      showRegister(false);
      keepStorage();
      $("scan").focus();
      refreshCatalogue(false).then(pullReviews);
    }
    state.ob.start({ minDelayMs: 1000, maxDelayMs: 60000 });
    document.body.dataset.ready = "1";
  }

  start();
})();
