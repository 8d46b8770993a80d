// The agents' workspace: live search with keyboard control, copy buttons that record each copy,
// and reply templates filled in as you type. Progressive enhancement: without this script the
// search is a plain form, links sit in read-only fields, and templates are filled by the server.
(function () {
  "use strict";

  var csrfMeta = document.querySelector("meta[name=csrf-token]");
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function isTyping(target) {
    if (!target) { return false; }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  // Clipboard: the async API where the browser allows it, else a selected textarea + execCommand.
  function copyText(text) {
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "clipboard-helper";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
    }
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(fallback);
    }
    return fallback();
  }

  // A copy is recorded before we say "copied"; retried, because editors count on every one.
  function recordCopy(endpoint, payload, attempt) {
    attempt = attempt || 1;
    return fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF, "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (response) {
      if (response.ok) { return true; }
      if (response.status >= 500 && attempt < 3) { return retry(); }
      return false;
    }, function () {
      return attempt < 3 ? retry() : false;
    });
    function retry() {
      return new Promise(function (resolve) { setTimeout(resolve, 300 * attempt); })
        .then(function () { return recordCopy(endpoint, payload, attempt + 1); });
    }
  }

  function setupSearch(form) {
    var input = form.querySelector("input[type=search]");
    var locale = form.querySelector("select[name=locale]");
    var list = document.getElementById("agent-results");
    var status = document.getElementById("agent-status");
    var endpoint = form.getAttribute("data-endpoint");
    var copies = form.getAttribute("data-copies");
    var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };
    var timer = null;
    var ticket = 0;
    var selected = -1;

    function items() { return list.querySelectorAll("li.agent-hit"); }

    function select(index) {
      var all = items();
      if (!all.length) { selected = -1; return; }
      selected = Math.max(-1, Math.min(index, all.length - 1));
      Array.prototype.forEach.call(all, function (li, i) {
        var on = i === selected;
        li.classList.toggle("selected", on);
        if (on) { li.setAttribute("aria-current", "true"); li.scrollIntoView({ block: "nearest" }); }
        else { li.removeAttribute("aria-current"); }
      });
    }

    // "N articles found" in the page's language: the server rendered one sample per plural
    // category (Russian has three), and the browser's plural rules pick the one for N.
    var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang) : null;
    // A count over many matches is an estimate ("About N"): the API says so.
    function found(count, about) {
      var kind = about ? "about-" : "found-";
      var category = plurals ? plurals.select(count) : (count === 1 ? "one" : "other");
      var sample = msg(kind + category) || msg(kind + "other");
      return sample.replace(/\d+/, String(count));
    }

    function button(kind, label) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "copy";
      b.setAttribute("data-copy", kind);
      b.textContent = label;
      return b;
    }

    function render(hit) {
      var li = document.createElement("li");
      li.className = "agent-hit" + (hit.internal ? " is-internal" : "");
      li.setAttribute("data-key", hit.key);
      li.setAttribute("data-anchor", hit.anchor);
      li.setAttribute("data-open", hit.open);
      li.setAttribute("data-url", hit.url);
      li.setAttribute("data-section-url", hit.section_url);
      li.setAttribute("data-markdown", hit.markdown);
      var h2 = document.createElement("h2");
      h2.className = "hit-title";
      var a = document.createElement("a");
      a.className = "hit-open";
      a.href = hit.open;
      a.textContent = hit.title;  // text, never HTML
      h2.appendChild(a);
      if (hit.section) {
        var s = document.createElement("span");
        s.className = "section";
        s.textContent = " \u203a " + hit.section;
        h2.appendChild(s);
      }
      if (hit.template) {
        var tag = document.createElement("span");
        tag.className = "badge-template";
        tag.textContent = msg("template");
        h2.appendChild(document.createTextNode(" "));
        h2.appendChild(tag);
      }
      if (hit.internal) {
        var badge = document.createElement("span");
        badge.className = "badge-internal";
        badge.textContent = msg("internal");
        h2.appendChild(document.createTextNode(" "));
        h2.appendChild(badge);
      }
      li.appendChild(h2);
      var p = document.createElement("p");
      p.className = "snippet";
      p.innerHTML = hit.snippet;  // escaped by the engine, then cleaned to <mark> only by the server
      li.appendChild(p);
      var row = document.createElement("div");
      row.className = "copy-row";
      var field = document.createElement("input");
      field.className = "copy-url";
      field.readOnly = true;
      field.value = hit.section_url;
      field.setAttribute("aria-label", msg("link"));
      row.appendChild(field);
      row.appendChild(button("link", msg("copy-link")));
      row.appendChild(button("markdown", msg("copy-markdown")));
      if (hit.anchor) { row.appendChild(button("section", msg("copy-section"))); }
      if (hit.internal) {
        var note = document.createElement("span");
        note.className = "staff-only";
        note.textContent = msg("staff-only");
        row.appendChild(note);
      }
      li.appendChild(row);
      return li;
    }

    function show(data) {
      list.textContent = "";
      (data.hits || []).forEach(function (hit) { list.appendChild(render(hit)); });
      status.textContent = data.total ? found(data.total, data.total_is_estimate) : (data.query ? msg("none") : "");
      if (data.corrected) { status.textContent += " \u2014 " + msg("did-you-mean") + " " + data.corrected; }
      selected = -1;
      // The pager and "did you mean" described the server's page, not these results.
      Array.prototype.forEach.call(document.querySelectorAll("nav.pagination, p.did-you-mean"),
        function (el) { el.hidden = true; });
    }

    function run() {
      var text = input.value.trim();
      var mine = ++ticket;
      var params = "q=" + encodeURIComponent(text) + "&locale=" + encodeURIComponent(locale ? locale.value : "");
      if (window.history && history.replaceState) {
        history.replaceState(null, "", form.getAttribute("action") + (text ? "?" + params : ""));
      }
      if (!text) { show({ hits: [], total: 0, query: "" }); return; }
      fetch(endpoint + "?" + params, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && mine === ticket) { show(data); } })
        .catch(function () { /* keep the last results; the form still submits */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    if (locale) { locale.addEventListener("change", run); }

    document.addEventListener("keydown", function (event) {
      if (event.key === "/" && !isTyping(event.target) && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        input.focus();
        input.select();
        return;
      }
      var inList = list.contains(event.target);
      if (event.target !== input && !inList) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        select(selected + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (selected <= 0) { select(-1); input.focus(); } else { select(selected - 1); }
      } else if (event.key === "Enter" && selected >= 0 && (event.target === input || event.target.classList.contains("copy-url"))) {
        event.preventDefault();  // open the selected hit instead of submitting the form
        window.location.href = items()[selected].getAttribute("data-open");
      } else if (event.key === "Escape") {
        select(-1);
        input.focus();
      }
    });

    list.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("button[data-copy]") : null;
      if (!target) { return; }
      var li = target.closest("li.agent-hit");
      var kind = target.getAttribute("data-copy");
      var text = kind === "markdown" ? li.getAttribute("data-markdown")
        : kind === "section" ? li.getAttribute("data-section-url") : li.getAttribute("data-url");
      var payload = { article: li.getAttribute("data-key"), section: kind === "section" ? li.getAttribute("data-anchor") : "", how: kind };
      copyText(text).then(function () {
        target.classList.add("done");
        return recordCopy(copies, payload).then(function (recorded) {
          status.textContent = recorded ? msg("copied") + ": " + text : msg("unrecorded");
          li.setAttribute("data-recorded", recorded ? "yes" : "no");
        });
      }, function () {
        status.textContent = msg("failed");
        var field = li.querySelector(".copy-url");
        if (field) { field.value = text; field.focus(); field.select(); }
      });
    });

    // Server-rendered hits came with hidden buttons: with script they work, so show them.
    Array.prototype.forEach.call(list.querySelectorAll("button[data-copy]"), function (b) { b.hidden = false; });
  }

  function setupTemplate(form) {
    var source = document.getElementById("template-source");
    var output = document.getElementById("reply-text");
    var status = document.getElementById("template-status");
    var copyButton = document.querySelector("button[data-copy-reply]");
    var fields = form.querySelectorAll("[data-field]");
    var pattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

    function fill() {
      var values = {};
      Array.prototype.forEach.call(fields, function (f) { values[f.getAttribute("data-field")] = f.value; });
      // Plain text into a textarea's value: nothing typed here is ever parsed as HTML.
      output.value = source.value.replace(pattern, function (whole, name) { return values[name] || whole; });
    }

    Array.prototype.forEach.call(fields, function (f) { f.addEventListener("input", fill); });
    if (copyButton) {
      copyButton.hidden = false;
      copyButton.addEventListener("click", function () {
        fill();
        copyText(output.value).then(function () {
          // Counted like a copied link: editors see which replies agents send most.
          var payload = { template: form.getAttribute("data-template") };
          return recordCopy(form.getAttribute("data-copies"), payload).then(function (recorded) {
            status.textContent = form.getAttribute(recorded ? "data-msg-copied" : "data-msg-unrecorded");
            form.setAttribute("data-recorded", recorded ? "yes" : "no");
          });
        }, function () {
          status.textContent = form.getAttribute("data-msg-failed");
          output.focus();
          output.select();
        });
      });
    }
  }

  var searchForm = document.getElementById("agent-search");
  if (searchForm && window.fetch) { setupSearch(searchForm); }
  var templateForm = document.querySelector("form[data-template-form]");
  if (templateForm) { setupTemplate(templateForm); }
})();
