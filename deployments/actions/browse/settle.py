"""Wait until a rendered page has settled: scripts done fetching, timers fired, DOM quiet.

``load`` fires before most client-side rendering: a page that fetches its data or fills the
DOM from a timer still shows "Loading..." at that point. An init script counts the page's
pending work (fetch/XHR in flight, short timers not yet fired); after navigation the renderer
waits until nothing is pending and the DOM has not changed for a quiet window, capped.
"""

from __future__ import annotations

# Installed in every document before its own scripts run. Counting is transparent: the
# wrapped functions return what the originals return.
PENDING_INIT_JS = """(() => {
  if (window.__ifzPending) return;
  const pending = { fetch: 0, xhr: 0, timers: new Set() };
  window.__ifzPending = () => pending.fetch + pending.xhr + pending.timers.size;
  const SHORT_TIMER_MS = %(short_timer_ms)d;
  const origSetTimeout = window.setTimeout, origClearTimeout = window.clearTimeout;
  window.__ifzTimer = origSetTimeout.bind(window);
  window.setTimeout = function (fn, delay, ...args) {
    let id;
    const wrapped = typeof fn === "function"
      ? function (...a) { pending.timers.delete(id); return fn.apply(this, a); }
      : fn;
    id = origSetTimeout.call(window, wrapped, delay, ...args);
    if (typeof fn === "function" && (Number(delay) || 0) <= SHORT_TIMER_MS) pending.timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) {
    pending.timers.delete(id);
    return origClearTimeout.call(window, id);
  };
  if (window.fetch) {
    const origFetch = window.fetch;
    window.fetch = function (...args) {
      pending.fetch++;
      let done = false;
      const finish = () => { if (!done) { done = true; pending.fetch--; } };
      try {
        const p = origFetch.apply(window, args);
        p.then(finish, finish);
        return p;
      } catch (e) { finish(); throw e; }
    };
  }
  const origSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    pending.xhr++;
    let done = false;
    this.addEventListener("loadend", () => { if (!done) { done = true; pending.xhr--; } });
    try {
      return origSend.apply(this, args);
    } catch (e) {
      if (!done) { done = true; pending.xhr--; }
      throw e;
    }
  };
})();"""

# Resolves with the milliseconds waited once nothing is pending and the DOM was quiet for
# ``quietMs``, or at ``maxMs`` whatever the page is doing (pages that poll never settle).
SETTLE_JS = """([quietMs, maxMs]) => new Promise((resolve) => {
  const start = performance.now();
  let last = start;
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  const later = window.__ifzTimer || setTimeout;
  const busy = () => (typeof window.__ifzPending === "function" ? window.__ifzPending() : 0) > 0;
  const tick = () => {
    const now = performance.now();
    if (busy()) last = now;
    if (now - last >= quietMs || now - start >= maxMs) {
      observer.disconnect();
      resolve(now - start);
    } else {
      later(tick, 20);
    }
  };
  later(tick, 20);
})"""


def pending_init_script(short_timer_ms: int) -> str:
    """The init script; timers longer than ``short_timer_ms`` are not waited for."""
    return PENDING_INIT_JS % {"short_timer_ms": int(short_timer_ms)}
