/* The browser terminal's outbox (docs/terminal-protocol.md): operations are kept in IndexedDB and
 * uploaded to POST /api/sync/push, oldest first, until the server answers each one.
 *
 *   const ob = await JxcOutbox.open("pos");           // IndexedDB database "jxc-outbox-pos"
 *   await ob.setTerminal({id, code, kind, warehouse_id, token, ...});
 *   const opId = await ob.add("sale", {lines: [...]}); // resolves once the op is on disk
 *   ob.start();                                        // upload now, when back online, with back-off
 *   ob.on("change", s => ...);                         // {pending, oldest_at, online, last_error, last_flush_at}
 *   ob.on("result", (result, op) => ...);              // each answered op
 *
 * Rules kept here (the protocol's): an op is stored before add() resolves; it leaves the outbox only
 * when the server answered it accepted or duplicate (or refused: then it moves to the "refused"
 * store for the user to see); a network error, a timeout, a 5xx or "retry" keeps it for later. A 401
 * (terminal revoked) stops uploading until another terminal is set, and never deletes anything.
 * No dependencies; never localStorage.
 */
(function (global) {
  "use strict";

  var DB_PREFIX = "jxc-outbox-";
  var DB_VERSION = 1;
  var MAX_BATCH = 500;
  var TIMEOUT_MS = 30000;

  // ------------------------------------------------------------ IndexedDB in promises

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  // run fn(stores) in one transaction; resolves with fn's value only when the transaction completed
  function tx(db, names, mode, fn) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(names, mode);
      var stores = {};
      names.forEach(function (n) { stores[n] = t.objectStore(n); });
      var value;
      t.oncomplete = function () { resolve(value); };
      t.onerror = function () { reject(t.error); };
      t.onabort = function () { reject(t.error || new Error("IndexedDB transaction aborted")); };
      Promise.resolve(fn(stores, t)).then(function (v) { value = v; }, function (e) {
        try { t.abort(); } catch (ignored) { /* already finished */ }
        reject(e);
      });
    });
  }

  function openDb(name) {
    return new Promise(function (resolve, reject) {
      if (!global.indexedDB) { reject(new Error("IndexedDB is not available")); return; }
      var r = global.indexedDB.open(name, DB_VERSION);
      r.onupgradeneeded = function () {
        var db = r.result;
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
        if (!db.objectStoreNames.contains("ops")) {
          db.createObjectStore("ops", { keyPath: "id" }).createIndex("seq", "seq", { unique: true });
        }
        if (!db.objectStoreNames.contains("refused")) {
          db.createObjectStore("refused", { keyPath: "id" }).createIndex("seq", "seq");
        }
      };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.onblocked = function () { reject(new Error("IndexedDB " + name + " is blocked by another tab")); };
    });
  }

  // ------------------------------------------------------------ helpers

  function pad(n, w) { n = String(Math.abs(n)); while (n.length < (w || 2)) n = "0" + n; return n; }

  // the device clock as ISO 8601 with its own offset: 2026-11-24T10:15:02.123+08:00
  function isoNow(d) {
    d = d || new Date();
    var off = -d.getTimezoneOffset();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3) +
      (off >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  }

  function uuid() {
    if (global.crypto && global.crypto.randomUUID) return global.crypto.randomUUID();
    var b = new Uint8Array(16);
    global.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function isOnline() { return global.navigator ? global.navigator.onLine !== false : true; }

  function errorOf(code, message, data) { return { code: code, message: message || code, data: data || {} }; }

  // ------------------------------------------------------------ the outbox

  function Outbox(ns, db, options) {
    this.ns = ns;
    this.db = db;
    this.url = options.url || "/api/sync/push";
    this.timeoutMs = options.timeoutMs || TIMEOUT_MS;
    this.listeners = { change: [], result: [] };
    this.lastError = null;
    this.lastFlushAt = null;
    this.blocked = null;  // {token, error}: the server said 401 for this token
    this.running = null;  // the flush in progress
    this.again = false;   // flush() called while one was running: run once more after it
    this.started = false;
    this.timer = null;
    this.delay = 0;
    this.opts = { minDelayMs: 1000, maxDelayMs: 60000, periodMs: 30000 };
    var self = this;
    this.channel = null;
    if (global.BroadcastChannel) {  // other tabs of the same outbox: show their changes too
      this.channel = new global.BroadcastChannel(DB_PREFIX + ns);
      this.channel.onmessage = function () { self._changed(false); };
    }
  }

  Outbox.prototype.on = function (event, cb) {
    if (!this.listeners[event]) throw new Error("unknown outbox event: " + event);
    var list = this.listeners[event];
    list.push(cb);
    return function off() { var i = list.indexOf(cb); if (i >= 0) list.splice(i, 1); };
  };

  Outbox.prototype._emit = function (event) {
    var args = Array.prototype.slice.call(arguments, 1);
    this.listeners[event].slice().forEach(function (cb) {
      try { cb.apply(null, args); } catch (e) { if (global.console) global.console.error(e); }
    });
  };

  Outbox.prototype._meta = function (key) {
    return tx(this.db, ["meta"], "readonly", function (s) {
      return req(s.meta.get(key)).then(function (row) { return row ? row.value : null; });
    });
  };

  Outbox.prototype.setTerminal = function (terminal) {
    var self = this;
    var value = Object.assign({}, terminal);
    return tx(this.db, ["meta"], "readwrite", function (s) {
      s.meta.put({ key: "terminal", value: value });  // a "blocked" token stays blocked (see _loadBlocked)
    }).then(function () {
      if (self.blocked && self.blocked.token !== value.token) {
        self.blocked = null;
        if (self.lastError && self.lastError.status === 401) self.lastError = null;
      }
      self._changed(true);
      if (self.started) self._schedule(0);
      return value;
    });
  };

  Outbox.prototype.terminal = function () { return this._meta("terminal"); };

  // a random id this outbox keeps for its device: a page registers itself as a terminal with it (again and
  // again if an answer is lost) before it has a terminal
  Outbox.prototype.deviceId = function () {
    return tx(this.db, ["meta"], "readwrite", function (s) {
      return req(s.meta.get("device_id")).then(function (row) {
        if (row) return row.value;
        var id = uuid();
        s.meta.put({ key: "device_id", value: id });
        return id;
      });
    });
  };

  Outbox.prototype.add = function (type, data) {
    if (typeof type !== "string" || !type) return Promise.reject(new Error("an operation needs a type"));
    var self = this;
    var op = { id: uuid(), type: type, data: data === undefined ? {} : data, created_at: isoNow() };
    return tx(this.db, ["meta", "ops"], "readwrite", function (s) {
      return req(s.meta.get("seq")).then(function (row) {
        op.seq = (row ? row.value : 0) + 1;
        s.meta.put({ key: "seq", value: op.seq });
        s.ops.add(op);
      });
    }).then(function () {
      self._changed(true);
      if (self.started && !self.delay) self._schedule(0);  // not while backing off: the timer will come
      return op.id;
    });
  };

  // the ops waiting, oldest first (limit: how many)
  Outbox.prototype.ops = function (limit) {
    return tx(this.db, ["ops"], "readonly", function (s) {
      return new Promise(function (resolve, reject) {
        var out = [];
        var c = s.ops.index("seq").openCursor();
        c.onsuccess = function () {
          var cur = c.result;
          if (!cur || (limit && out.length >= limit)) { resolve(out); return; }
          out.push(cur.value);
          cur.continue();
        };
        c.onerror = function () { reject(c.error); };
      });
    });
  };

  Outbox.prototype.pending = function () {
    return tx(this.db, ["ops"], "readonly", function (s) { return req(s.ops.count()); });
  };

  Outbox.prototype.refused = function () {
    return tx(this.db, ["refused"], "readonly", function (s) { return req(s.refused.getAll()); })
      .then(function (rows) { return rows.sort(function (a, b) { return (a.seq || 0) - (b.seq || 0); }); });
  };

  // the user has seen a refused op: forget it (all of them without an id)
  Outbox.prototype.dismissRefused = function (id) {
    var self = this;
    return tx(this.db, ["refused"], "readwrite", function (s) {
      if (id === undefined) s.refused.clear(); else s.refused.delete(id);
    }).then(function () { self._changed(true); });
  };

  Outbox.prototype.status = function () {
    var self = this;
    return tx(this.db, ["ops"], "readonly", function (s) {
      return Promise.all([req(s.ops.count()), new Promise(function (resolve, reject) {
        var c = s.ops.index("seq").openCursor();
        c.onsuccess = function () { resolve(c.result ? c.result.value.created_at : null); };
        c.onerror = function () { reject(c.error); };
      })]);
    }).then(function (r) {
      var err = self.lastError;
      return {
        pending: r[0], oldest_at: r[1], last_error: err, last_flush_at: self.lastFlushAt,
        online: isOnline() && !(err && err.code === "network.error"),
        blocked: !!self.blocked,
      };
    });
  };

  Outbox.prototype._changed = function (broadcast) {
    var self = this;
    if (broadcast && this.channel) { try { this.channel.postMessage("change"); } catch (ignored) { /* closed */ } }
    return this.status().then(function (st) { self._emit("change", st); return st; }, function () { return null; });
  };

  // ------------------------------------------------------------ upload

  Outbox.prototype.flush = function () {
    var self = this;
    if (this.running) { this.again = true; return this.running; }
    var run = function () {
      var locks = global.navigator && global.navigator.locks;
      // one tab at a time uploads this outbox (the server would answer "duplicate" anyway)
      return locks ? locks.request(DB_PREFIX + self.ns, function () { return self._flushAll(); }) : self._flushAll();
    };
    this.running = run().then(function (summary) {
      self.running = null;
      if (self.again) { self.again = false; return self.flush().then(function (more) { return merge(summary, more); }); }
      return summary;
    }, function (e) { self.running = null; self.again = false; throw e; });
    return this.running;
  };

  function merge(a, b) {
    return { accepted: a.accepted + b.accepted, duplicate: a.duplicate + b.duplicate, refused: a.refused + b.refused,
      retry: b.retry, error: b.error };
  }

  Outbox.prototype._flushAll = function () {
    var self = this;
    var summary = { accepted: 0, duplicate: 0, refused: 0, retry: 0, error: null };
    var loop = function () {
      return self._flushBatch(summary).then(function (more) { return more ? loop() : summary; });
    };
    return this._loadBlocked().then(loop).then(function (s) {
      self.lastFlushAt = isoNow();
      self.lastError = s.error;
      return self._changed(true).then(function () { return s; });
    }, function (e) {  // IndexedDB failing: report it, keep everything
      summary.error = errorOf("outbox.storage", String(e && e.message || e));
      self.lastError = summary.error;
      return self._changed(false).then(function () { return summary; });
    });
  };

  Outbox.prototype._loadBlocked = function () {
    var self = this;
    return tx(this.db, ["meta"], "readonly", function (s) {
      return Promise.all([req(s.meta.get("blocked")), req(s.meta.get("terminal"))]);
    }).then(function (r) {
      var blocked = r[0] ? r[0].value : null;
      var terminal = r[1] ? r[1].value : null;
      self.blocked = blocked && terminal && blocked.token === terminal.token ? blocked : null;
      self.terminalNow = terminal;
    });
  };

  // send one batch; resolves true when another batch should follow at once
  Outbox.prototype._flushBatch = function (summary) {
    var self = this;
    var terminal = this.terminalNow;
    if (!terminal || !terminal.token) {
      summary.error = errorOf("terminal.missing", "This device is not registered as a terminal.");
      return Promise.resolve(false);
    }
    if (this.blocked) { summary.error = this.blocked.error; return Promise.resolve(false); }
    return Promise.all([this.ops(MAX_BATCH), this.pending()]).then(function (r) {
      var ops = r[0];
      if (!ops.length) return false;
      var body = {
        client_time: isoNow(),
        backlog: { count: r[1], oldest_at: ops[0].created_at },
        ops: ops.map(function (o) { return { id: o.id, seq: o.seq, type: o.type, created_at: o.created_at, data: o.data }; }),
      };
      return self._post(terminal.token, body).then(function (answer) {
        if (answer.error) {
          summary.error = answer.error;
          summary.retry += ops.length;
          if (answer.status === 401) return self._block(terminal, answer.error).then(function () { return false; });
          return false;
        }
        return self._settle(ops, answer.body, summary).then(function (ok) { return ok && ops.length === MAX_BATCH; });
      });
    });
  };

  Outbox.prototype._post = function (token, body) {
    var controller = global.AbortController ? new global.AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, this.timeoutMs) : null;
    var headers = { "Content-Type": "application/json", "Accept": "application/json", "Authorization": "Bearer " + token };
    var lang = global.document && global.document.documentElement.lang;
    if (lang) headers["Accept-Language"] = lang;
    return global.fetch(this.url, {
      method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin", cache: "no-store",
      signal: controller ? controller.signal : undefined,
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (ignored) { /* not JSON: a proxy's page */ }
        if (resp.ok && json && Array.isArray(json.results)) return { status: resp.status, body: json };
        var err = json && json.code ? errorOf(json.code, json.message, json.data)
          : errorOf(resp.status === 401 ? "terminal.revoked" : "server.error", "HTTP " + resp.status);
        err.status = resp.status;
        return { status: resp.status, error: err };
      });
    }, function (e) {
      var timedOut = e && e.name === "AbortError";
      return { status: 0, error: errorOf(timedOut ? "network.timeout" : "network.error", String(e && e.message || e)) };
    }).then(function (r) { if (timer) clearTimeout(timer); return r; });
  };

  Outbox.prototype._block = function (terminal, error) {
    this.blocked = { token: terminal.token, error: error };
    var blocked = this.blocked;
    return tx(this.db, ["meta"], "readwrite", function (s) { s.meta.put({ key: "blocked", value: blocked }); });
  };

  // apply the server's answers: delete accepted/held/duplicate, move refused, keep the rest; true if none must wait
  // (held: the server keeps the op for a manager's review, dated too long ago or in a closed month)
  Outbox.prototype._settle = function (ops, body, summary) {
    var self = this;
    var byId = {};
    (body.results || []).forEach(function (r) { if (r && typeof r.id === "string") byId[r.id] = r; });
    var answered = [];
    var waiting = 0;
    ops.forEach(function (op) {
      var r = byId[op.id];
      if (!r || r.status === "retry" || ["accepted", "held", "duplicate", "refused"].indexOf(r.status) < 0) {
        waiting += 1;
        if (r && r.error && !summary.error) summary.error = r.error;
        return;
      }
      // a duplicate of an op that was refused the first time is still refused: show it
      var error = r.status === "refused" ? r.error
        : (r.status === "duplicate" && r.first && r.first.status === "refused" ? r.first.error : null);
      answered.push({ op: op, result: r, error: error });
    });
    summary.retry += waiting;
    if (waiting && !summary.error) summary.error = errorOf("server.unavailable", "retry");
    return tx(this.db, ["ops", "refused"], "readwrite", function (s) {
      answered.forEach(function (a) {
        s.ops.delete(a.op.id);
        if (a.error) {
          s.refused.put({ id: a.op.id, seq: a.op.seq, type: a.op.type, data: a.op.data, created_at: a.op.created_at,
            error: { code: a.error.code, message: a.error.message, data: a.error.data || {} }, refused_at: isoNow() });
        }
      });
    }).then(function () {
      answered.forEach(function (a) {
        if (a.result.status === "accepted") summary.accepted += 1;
        else if (a.result.status === "duplicate") summary.duplicate += 1;
        if (a.error) summary.refused += a.result.status === "refused" ? 1 : 0;
        self._emit("result", a.result, a.op);
      });
      return waiting === 0;
    });
  };

  // ------------------------------------------------------------ automatic upload

  Outbox.prototype.start = function (options) {
    var self = this;
    Object.keys(options || {}).forEach(function (k) { self.opts[k] = options[k]; });
    if (this.started) { this._schedule(0); return this; }
    this.started = true;
    this._onOnline = function () { self.delay = 0; self._schedule(0); };
    this._onOffline = function () { self._changed(false); };
    global.addEventListener("online", this._onOnline);
    global.addEventListener("offline", this._onOffline);
    this._schedule(0);
    return this;
  };

  Outbox.prototype.stop = function () {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this._onOnline) global.removeEventListener("online", this._onOnline);
    if (this._onOffline) global.removeEventListener("offline", this._onOffline);
  };

  Outbox.prototype._schedule = function (ms) {
    var self = this;
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(function () {
      self.timer = null;
      self.flush().then(function (s) { self._after(s); }, function () { self._after({ error: errorOf("outbox.error") }); });
    }, ms);
  };

  Outbox.prototype._after = function (summary) {
    if (!this.started) return;
    if (this.blocked) return;  // revoked: nothing more until setTerminal() gives a new token
    if (summary.error && summary.error.code !== "terminal.missing") {
      this.delay = this.delay ? Math.min(this.delay * 2, this.opts.maxDelayMs) : this.opts.minDelayMs;
      this._schedule(this.delay);
    } else {
      this.delay = 0;
      this._schedule(this.opts.periodMs);
    }
  };

  global.JxcOutbox = {
    /** The outbox of namespace `ns` (IndexedDB database "jxc-outbox-<ns>"); options: {url, timeoutMs}. */
    open: function (ns, options) {
      if (!ns || typeof ns !== "string") return Promise.reject(new Error("an outbox needs a namespace"));
      return openDb(DB_PREFIX + ns).then(function (db) { return new Outbox(ns, db, options || {}); });
    },
    isoNow: isoNow,
  };
})(window);
