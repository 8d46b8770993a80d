/*! kbportal widget: a help button and a help panel for any page. One global: KBPortal. */
(function (win, doc) {
  "use strict";
  var queued = win.KBPortal;
  if (queued && queued.version) { return; }  // the snippet was pasted twice
  var me = doc.currentScript || doc.querySelector("script[data-kbportal], script[src$='/widget.js']");
  if (!me) { return; }
  var base = new URL(me.src, location.href);
  var portal = base.origin;
  var prefix = base.pathname.replace(/\/widget\.js$/, "");
  var attr = function (name, fallback) { return me.getAttribute("data-" + name) || fallback; };
  var WORDS = {
    en: { button: "Help", open: "Open help", close: "Close help", dialog: "Help center" },
    ru: { button: "Помощь", open: "Открыть помощь", close: "Закрыть помощь", dialog: "Центр помощи" }
  };
  var locale = pickLocale(attr("locale", "") || doc.documentElement.lang || (navigator.languages || [])[0] || navigator.language);
  var words = WORDS[locale] || WORDS.en;
  var colour = /^#[0-9a-fA-F]{3,8}$/.test(attr("color", "")) ? attr("color", "") : "#1f5fbf";
  var left = attr("position", "right") === "left";
  var listeners = {}, pending = [], ready = false, open = false, returnFocus = null;
  var hostEl, button, dialog, frame;

  function pickLocale(tag) {
    var lang = String(tag || "").toLowerCase().split(/[-_]/)[0];
    return WORDS[lang] ? lang : "en";
  }

  function css(el, rules) { for (var k in rules) { el.style.setProperty(k, rules[k]); } return el; }

  function build() {
    // A shadow root: the host page's CSS cannot reach in, ours cannot leak out. Open, so that
    // accessibility checkers and tests can walk it. Styles go through the CSSOM, which no
    // Content-Security-Policy blocks, so the host needs no style-src entry.
    hostEl = doc.createElement("div");
    hostEl.setAttribute("data-kbportal-widget", "");
    css(hostEl, { position: "fixed", bottom: "0", width: "0", height: "0", "z-index": "2147483000" });
    css(hostEl, left ? { left: "0" } : { right: "0" });
    var shadow = hostEl.attachShadow ? hostEl.attachShadow({ mode: "open" }) : hostEl;
    button = doc.createElement("button");
    button.type = "button";
    button.textContent = attr("label", words.button);
    button.setAttribute("aria-label", attr("label", words.open));
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    css(button, { position: "fixed", bottom: "20px", padding: "12px 18px", border: "0",
      "border-radius": "24px", background: colour, color: "#fff", font: "600 15px/1 system-ui, sans-serif",
      cursor: "pointer", "box-shadow": "0 2px 10px rgba(0,0,0,.25)" });
    css(button, left ? { left: "20px" } : { right: "20px" });
    if (attr("button", "") === "none") { button.hidden = true; }
    button.addEventListener("click", toggle);
    button.addEventListener("mouseenter", ensureFrame);
    button.addEventListener("focus", ensureFrame);
    dialog = doc.createElement("div");
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", words.dialog);
    dialog.hidden = true;
    css(dialog, { position: "fixed", bottom: "76px", width: "380px", height: "600px",
      "max-height": "calc(100vh - 96px)", "max-width": "calc(100vw - 40px)", background: "#fff",
      "border-radius": "10px", overflow: "hidden", "box-shadow": "0 6px 30px rgba(0,0,0,.3)" });
    css(dialog, left ? { left: "20px" } : { right: "20px" });
    shadow.appendChild(dialog);
    shadow.appendChild(button);
    (doc.body || doc.documentElement).appendChild(hostEl);
  }

  function ensureFrame() {
    if (frame) { return; }
    frame = doc.createElement("iframe");
    frame.title = words.dialog;
    frame.src = portal + prefix + "/widget/panel?" + new URLSearchParams({
      locale: locale, origin: location.origin, color: colour });
    css(frame, { width: "100%", height: "100%", border: "0", display: "block" });
    dialog.appendChild(frame);
    // The page's own address and labels choose the first suggestions.
    send("suggest", { labels: labels, url: location.href });
  }

  var labels = (attr("labels", "") || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean);

  function send(command, detail) {
    if (!ready) { pending.push([command, detail]); return; }
    frame.contentWindow.postMessage({ kbportal: 1, command: command, detail: detail || {} }, portal);
  }

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail || {}); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  function narrow() { return win.innerWidth < 480; }

  function openPanel() {
    if (open) { return; }
    ensureFrame();
    open = true;
    returnFocus = doc.activeElement === hostEl ? button : doc.activeElement;
    if (narrow()) { css(dialog, { left: "0", right: "0", bottom: "0", width: "100vw", height: "100%", "max-height": "100%", "max-width": "100vw", "border-radius": "0" }); }
    dialog.hidden = false;
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-label", words.close);
    frame.focus();
    send("focus");
    emit("opened");
  }

  function closePanel() {
    if (!open) { return; }
    open = false;
    dialog.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", attr("label", words.open));
    var target = returnFocus && returnFocus !== doc.body && returnFocus.focus ? returnFocus : button;
    target.focus();
    emit("closed");
  }

  function toggle() { if (open) { closePanel(); } else { openPanel(); } }

  win.addEventListener("message", function (event) {
    // Only the panel we framed, from the portal's origin, may talk to us.
    if (!frame || event.origin !== portal || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (!data || data.kbportal !== 1 || typeof data.event !== "string") { return; }
    if (data.event === "ready") {
      ready = true;
      pending.splice(0).forEach(function (item) { send(item[0], item[1]); });
      if (open) { send("focus"); }
      return;
    }
    if (data.event === "close") { closePanel(); return; }
    emit(data.event, data.detail);
  });

  // While the panel is open, focus stays in it; Escape on the page closes it.
  doc.addEventListener("focusin", function (event) {
    if (open && event.target !== hostEl) { frame.focus(); send("focus"); }
  });
  doc.addEventListener("keydown", function (event) {
    if (open && event.key === "Escape") { closePanel(); }
  });

  var api = {
    version: "1",
    open: openPanel,
    close: closePanel,
    toggle: toggle,
    isOpen: function () { return open; },
    search: function (query) { openPanel(); send("search", { query: String(query || "") }); },
    suggest: function (options) {
      var o = Array.isArray(options) ? { labels: options } : (options || {});
      labels = (o.labels || []).map(String);
      ensureFrame();
      // Labels alone replace the page's address as the source; pass url to combine them.
      send("suggest", { labels: labels, url: o.url || "" });
    },
    prefill: function (fields) { ensureFrame(); send("prefill", fields || {}); },
    identify: function (person) { ensureFrame(); send("identify", person || {}); },
    article: function (slug, anchor) { openPanel(); send("article", { slug: slug, anchor: anchor || "" }); },
    request: function (type) { openPanel(); send("request", { type: type || "" }); },
    on: function (name, fn) { (listeners[name] = listeners[name] || []).push(fn); return api; },
    off: function (name, fn) {
      listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; });
      return api;
    }
  };

  function start() {
    build();
    win.KBPortal = api;
    // Calls made before the script loaded: window.KBPortal = [["open"], ["on", "opened", fn]].
    var calls = Array.isArray(queued) ? queued : (queued && queued.q) || [];
    calls.forEach(function (call) { if (api[call[0]]) { api[call[0]].apply(api, [].slice.call(call, 1)); } });
    if (attr("open", "") === "true") { openPanel(); }
    doc.dispatchEvent(new CustomEvent("kbportal:ready", { detail: api }));
  }

  if (doc.body) { start(); } else { doc.addEventListener("DOMContentLoaded", start); }
})(window, document);
