/* Live screens: one EventSource on /api/feed/stream per page that has live regions.
 *
 * A region declares what it shows:  <section id="..." data-live="stock. document." [data-live-object="12"]>
 * (topic prefixes, and optionally one document id). When a matching change arrives, the region is
 * fetched again from the page's own URL with htmx and its content replaced (debounced, one request per
 * burst). The browser reconnects by itself and sends Last-Event-ID, so nothing is missed; the indicator
 * in the top bar shows live / reconnecting / offline. */
(function () {
  "use strict";

  var REFRESH_DELAY = 150; // ms: a posting writes several events at once
  var pending = new Map();
  var source = null;
  var lastId = null;

  function indicator() { return document.getElementById("live-indicator"); }

  function setState(state) {
    var el = indicator();
    if (!el) return;
    el.dataset.state = state;
    el.hidden = false;
    var label = el.querySelector(".live-label");
    if (label) label.textContent = el.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
    el.title = label ? label.textContent : state;
  }

  function matches(region, change) {
    var topics = (region.dataset.live || "").split(/\s+/).filter(Boolean);
    if (!topics.some(function (t) { return change.topic.indexOf(t) === 0; })) return false;
    var object = region.dataset.liveObject;
    if (object) return change.object_type === "documents.document" && change.object_id === object;
    return true;
  }

  // someone typing in a region (a comment on the inbox, a quantity) is not interrupted: its refresh waits
  function busy(region) {
    var el = document.activeElement;
    return el && region.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.type !== "submit" &&
      el.type !== "button";
  }

  function refresh(region) {
    if (!window.htmx || !region.id || !document.body.contains(region)) return;
    if (busy(region)) {
      var again = function () { region.removeEventListener("focusout", again); schedule(region); };
      region.addEventListener("focusout", again);
      return;
    }
    window.htmx.ajax("GET", window.location.href, {
      target: "#" + region.id, select: "#" + region.id + " > *", swap: "innerHTML"
    }).then(function () {
      region.dataset.liveUpdated = String(Date.now());
      region.classList.remove("live-flash");
      void region.offsetWidth; // restart the highlight
      region.classList.add("live-flash");
      document.dispatchEvent(new CustomEvent("jxc:live-updated", { detail: { id: region.id } }));
    });
  }

  function schedule(region) {
    if (pending.has(region)) return;
    pending.set(region, setTimeout(function () { pending.delete(region); refresh(region); }, REFRESH_DELAY));
  }

  function onChange(ev) {
    lastId = ev.lastEventId || lastId;
    var change;
    try { change = JSON.parse(ev.data); } catch (e) { return; }
    document.querySelectorAll("[data-live]").forEach(function (region) {
      if (matches(region, change)) schedule(region);
    });
  }

  function connect() {
    var el = indicator();
    if (!el || !el.dataset.url || !window.EventSource) return;
    var url = el.dataset.url + (lastId ? "?cursor=" + encodeURIComponent(lastId) : "");
    setState("connecting");
    source = new EventSource(url);
    source.addEventListener("ready", function (ev) { lastId = ev.lastEventId || lastId; setState("live"); });
    source.onmessage = onChange;
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // the server refused (signed out, error): try again later from where we were
        setState("offline");
        source = null;
        setTimeout(connect, 5000);
      } else {
        setState("reconnecting"); // the browser retries by itself with Last-Event-ID
      }
    };
  }

  function start() {
    if (!document.querySelector("[data-live]")) return;
    connect();
    window.addEventListener("pagehide", function () { if (source) source.close(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
