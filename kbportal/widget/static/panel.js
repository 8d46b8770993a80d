// The widget panel, inside the host page's iframe: search as you type, suggestions for the
// host page, articles read in place, beacons; talks to the host only by postMessage.
(function () {
  "use strict";
  var root = document.getElementById("kbp");
  var T = JSON.parse(document.getElementById("kbp-strings").textContent);
  var locale = root.getAttribute("data-locale");
  var host = root.getAttribute("data-host-origin");  // "" when the portal did not trust it
  var colour = root.getAttribute("data-colour");
  if (colour) { document.documentElement.style.setProperty("--accent", colour); }
  var $ = function (id) { return document.getElementById(id); };
  var input = $("kbp-q"), status = $("kbp-status");
  var views = { home: $("kbp-home"), article: $("kbp-article"), request: $("kbp-request") };
  var history = [], current = "home";
  var state = { identity: null, prefill: {}, query: "", logged: "", labels: [], url: "" };
  var session = sessionId();
  var timer = null, logTimer = null, ticket = 0;

  function sessionId() {
    // One random id per panel session (sessionStorage is partitioned per host site): no cookie.
    try {
      var kept = sessionStorage.getItem("kbp-session");
      if (kept) { return kept; }
    } catch (e) { /* storage blocked: an id for this page view only */ }
    var bytes = new Uint8Array(12), id = "";
    crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) { id += ("0" + bytes[i].toString(16)).slice(-2); }
    try { sessionStorage.setItem("kbp-session", id); } catch (e) { /* see above */ }
    return id;
  }

  function tell(event, detail) {
    // To the host page only, and only when the portal vouched for its origin.
    if (host && window.parent !== window) {
      window.parent.postMessage({ kbportal: 1, event: event, detail: detail || {} }, host);
    }
  }

  function api(path, options) {
    // credentials "omit": the panel is the customers' view even for a signed-in agent.
    var init = { credentials: "omit", headers: { "Accept": "application/json" } };
    for (var key in (options || {})) { init[key] = options[key]; }
    return fetch("/api/v1/" + path, init);
  }

  function beacon(body) {
    body.surface = "widget"; body.session = body.session || session; body.locale = locale;
    return api("events", { method: "POST", body: JSON.stringify(body), keepalive: true,
                           headers: { "Content-Type": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .catch(function () { return {}; });
  }

  function show(name, focusTarget) {
    if (name !== current) { history.push(current); }
    switchTo(name, focusTarget);
  }

  function switchTo(name, focusTarget) {
    current = name;
    for (var key in views) { views[key].hidden = key !== name; }
    $("kbp-back").hidden = name === "home";
    (focusTarget || (name === "home" ? input : views[name])).focus();
  }

  function back() { switchTo(history.pop() || "home"); }

  function snippet(html) {
    // The API's snippet is escaped text with <mark>: rebuild it from text and marks only.
    var span = document.createElement("span");
    span.className = "kbp-snippet";
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    Array.prototype.forEach.call(doc.body.firstChild.childNodes, function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        span.appendChild(mark);
      } else { span.appendChild(document.createTextNode(node.textContent)); }
    });
    return span;
  }

  function list(section, hits, source) {
    var ul = section.querySelector("ul");
    ul.textContent = "";
    hits.forEach(function (hit, index) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = hit.url;
      var title = document.createElement("span");
      title.className = "kbp-hit-title";
      title.textContent = hit.title;
      a.appendChild(title);
      if (hit.section && hit.section !== hit.title) {
        var sec = document.createElement("span");
        sec.className = "kbp-hit-section";
        sec.textContent = " › " + hit.section;
        a.appendChild(sec);
      }
      if (hit.snippet) { a.appendChild(snippet(hit.snippet)); }
      a.addEventListener("click", function (event) {
        event.preventDefault();
        var logged = logSearch();
        (source === "search" ? logged : Promise.resolve()).then(function () {
          var click = { type: "click", article: hit.slug, query: state.query, position: index + 1 };
          if (source === "search" && state.searchId) { click.search_id = state.searchId; }
          beacon(click);
        });
        openArticle(hit.slug, hit.url.split("#")[1] || "", source);
      });
      li.appendChild(a);
      ul.appendChild(li);
    });
    section.hidden = !hits.length && section.id === "kbp-suggested";
  }

  function search(text) {
    state.query = text;
    clearTimeout(logTimer);
    var results = $("kbp-results");
    if (text.length < 2) { results.hidden = true; status.textContent = ""; return; }
    var mine = ++ticket;
    api("search?" + new URLSearchParams({ q: text, locale: locale, limit: "8" }))
      .then(function (r) { return r.ok ? r.json() : { total: 0, results: [] }; })
      .then(function (data) {
        if (mine !== ticket) { return; }
        list(results, data.results, "search");
        results.hidden = false;
        results.querySelector(".kbp-empty").hidden = data.results.length > 0;
        status.textContent = T.results_count.replace("{n}", data.total);
        state.total = data.total;
        state.shown = data.results.slice(0, 10).map(function (h) { return h.slug; });
        tell("searched", { query: text, total: data.total });
        // As-you-type is one search: log it once the customer stops typing.
        logTimer = setTimeout(logSearch, 1500);
      })
      .catch(function () { status.textContent = T.error; });
  }

  function logSearch() {
    // One row per search: as-you-type continues the previous one (search_id), never a new row
    // per keystroke. Resolves once the search id is known, so clicks can be credited to it.
    clearTimeout(logTimer);
    if (state.query.length < 3 || state.query === state.logged) { return Promise.resolve(); }
    state.logged = state.query;
    var body = { type: "search", query: state.query, total: state.total || 0,
                 articles: state.shown || [] };
    if (state.searchId) { body.search_id = state.searchId; }
    return beacon(body).then(function (data) { if (data.search_id) { state.searchId = data.search_id; } });
  }

  function suggest(labels, url) {
    state.labels = labels || []; state.url = url || "";
    var params = { locale: locale, labels: state.labels.join(","), url: state.url };
    if (!params.labels && !params.url) { return; }
    api("suggest?" + new URLSearchParams(params))
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) {
        list($("kbp-suggested"), data.suggestions, "suggestion");
        if (data.suggestions.length) {
          beacon({ type: "exposure", articles: data.suggestions.map(function (s) { return s.slug; }) });
        }
      })
      .catch(function () {});
  }

  function openArticle(slug, anchor, source) {
    if (source !== "request_form") { state.fromForm = null; }
    var view = views.article, body = view.querySelector(".kbp-body");
    body.textContent = T.loading;
    $("kbp-article-h").textContent = "";
    view.querySelector(".kbp-thanks").hidden = true;
    $("kbp-solved").hidden = false;
    show("article");
    api("articles/" + slug.split("/").map(encodeURIComponent).join("/") + "?locale=" + locale)
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (article) {
        state.article = article.slug;
        $("kbp-article-h").textContent = article.title;
        // Sanitised at publish time; the panel's CSP (script-src 'self') is the second wall.
        body.innerHTML = article.html;
        $("kbp-full").href = article.url + (anchor ? "#" + anchor : "");
        var target = anchor && document.getElementById(decodeURIComponent(anchor));
        if (target) { target.scrollIntoView(); }
        tell("article_viewed", { slug: article.slug, title: article.title, source: source });
      })
      .catch(function () { body.textContent = T.error; });
  }

  // Links inside an article: the portal's own articles open in the panel, the rest in a tab.
  views.article.addEventListener("click", function (event) {
    var a = event.target.closest && event.target.closest("a[href]");
    if (!a || a.id === "kbp-full") { return; }
    var url = new URL(a.getAttribute("href"), location.href);
    var match = url.origin === location.origin && url.pathname.match(/^\/([a-z-]+)\/articles\/(.+)$/);
    if (match && match[1] === locale) {
      event.preventDefault();
      openArticle(decodeURIComponent(match[2]), url.hash.slice(1), "link");
    } else if (url.hash && url.pathname === location.pathname) {
      return;  // an in-page anchor
    } else {
      a.target = "_blank"; a.rel = "noopener";
    }
  });

  $("kbp-solved").addEventListener("click", function () {
    var solved = { type: "deflection", article: state.article, query: state.query };
    // Opened from the request form: the deflection belongs to that form's session and type.
    if (state.fromForm) { solved.form = state.fromForm.form; solved.request_type = state.fromForm.type; }
    beacon(solved);
    $("kbp-solved").hidden = true;
    views.article.querySelector(".kbp-thanks").hidden = false;
    tell("deflected", { slug: state.article, query: state.query });
  });

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var text = input.value.trim();
    timer = setTimeout(function () { search(text); }, 200);
  });
  $("kbp-search").addEventListener("submit", function (event) {
    event.preventDefault();
    search(input.value.trim());
    logSearch();
  });
  $("kbp-back").addEventListener("click", back);
  $("kbp-close").addEventListener("click", function () { tell("close"); });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      tell("close");
    } else if (event.key === "Tab") {
      trapFocus(event);
    }
  });

  function trapFocus(event) {
    // Focus stays in the panel while it is open: Tab wraps from the last control to the first.
    var all = Array.prototype.filter.call(
      root.querySelectorAll("a[href], button, input, select, textarea, [tabindex='0']"),
      function (el) { return !el.disabled && el.offsetParent !== null; });
    if (!all.length) { return; }
    var first = all[0], last = all[all.length - 1];
    if (event.shiftKey && (document.activeElement === first || !root.contains(document.activeElement))) {
      event.preventDefault(); last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault(); first.focus();
    }
  }

  var commands = {
    focus: function () { (current === "home" ? input : views[current]).focus(); },
    search: function (d) { switchTo("home"); history = []; input.value = d.query || ""; search(input.value.trim()); },
    suggest: function (d) { suggest(d.labels || [], d.url || ""); },
    prefill: function (d) { for (var k in d) { state.prefill[k] = d[k]; } if (window.kbpRequestForm) { window.kbpRequestForm.prefill(state.prefill); } },
    identify: function (d) { state.identity = d; if (window.kbpRequestForm) { window.kbpRequestForm.identify(d); } },
    article: function (d) { openArticle(d.slug, d.anchor || "", "api"); },
    request: function (d) { if (window.kbpRequestForm) { window.kbpRequestForm.open(d.type); } }
  };

  window.addEventListener("message", function (event) {
    if (!host || event.origin !== host || event.source !== window.parent) { return; }
    var data = event.data;
    if (!data || data.kbportal !== 1 || !commands.hasOwnProperty(data.command)) { return; }
    commands[data.command](data.detail || {});
  });

  // For the request form (loaded with the panel when the portal has one).
  window.kbpPanel = { api: api, beacon: beacon, tell: tell, show: show, state: state,
                      strings: T, locale: locale, session: session, openArticle: openArticle };
  // Ready once every deferred script (the request form's too) has run: commands the host
  // queued may be for it. A deferred script runs while readyState is already "interactive",
  // before the scripts after it, so only DOMContentLoaded (fired after all of them) is late enough.
  if (document.readyState === "complete") { tell("ready"); } else {
    document.addEventListener("DOMContentLoaded", function () { tell("ready"); });
  }
})();
