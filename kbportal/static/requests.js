// The request form: suggested articles as the customer types, a draft kept across page
// visits, and "This solved my problem" without leaving the page. Without this script the
// form still works: the server shows suggestions once before sending.
(function () {
  "use strict";
  var form = document.querySelector("form.request-form[data-suggest]");
  if (!form || !window.fetch) { return; }
  var subject = form.querySelector("#f-subject");
  var description = form.querySelector("#f-description");
  var live = form.querySelector(".live-suggestions");
  var anyway = form.querySelector("input[name=send_anyway]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var draftKey = "kbportal-request-draft:" + location.pathname + ":" +
    form.querySelector("input[name=type]").value;
  var timer = null;
  var latest = 0;

  function saveDraft() {
    var draft = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[type=text], input[type=email], textarea, select"), function (el) {
      if (el.name && el.name !== "website") { draft[el.name] = el.value; }
    });
    try { sessionStorage.setItem(draftKey, JSON.stringify(draft)); } catch (e) { /* private mode */ }
  }

  function restoreDraft() {
    var draft = null;
    try { draft = JSON.parse(sessionStorage.getItem(draftKey) || "null"); } catch (e) { draft = null; }
    if (!draft) { return; }
    Object.keys(draft).forEach(function (name) {
      var el = form.elements[name];
      if (el && el.value === "" && typeof draft[name] === "string") { el.value = draft[name]; }
    });
  }

  function solved(url, item) {
    var body = new URLSearchParams();
    body.set("csrf_token", csrf);
    body.set("key", form.querySelector("input[name=key]").value);
    body.set("type", form.querySelector("input[name=type]").value);
    body.set("article", url);
    fetch(form.action.replace(/\/new$/, "/solved"), {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      body: body
    }).then(function (r) {
      if (!r.ok) { return; }
      try { sessionStorage.removeItem(draftKey); } catch (e) { /* ignore */ }
      var done = document.createElement("p");
      done.className = "solved-done";
      done.setAttribute("role", "status");
      done.textContent = form.getAttribute("data-solved-done");
      item.appendChild(done);
    });
  }

  function show(items) {
    live.textContent = "";
    if (!items.length) { live.hidden = true; return; }
    var title = document.createElement("h2");
    title.textContent = form.getAttribute("data-suggest-title");
    live.appendChild(title);
    var list = document.createElement("ul");
    list.className = "request-suggestions";
    items.forEach(function (s) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = form.getAttribute("data-open") + "&to=" + encodeURIComponent(s.url);
      a.target = "_blank";  // a new tab: the draft stays where it is
      a.rel = "noopener";
      a.textContent = s.section ? s.title + " \u203a " + s.section : s.title;  // text, never HTML
      li.appendChild(a);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "solved-button";
      button.textContent = form.getAttribute("data-solved-label");
      button.addEventListener("click", function () { solved(s.url, li); });
      li.appendChild(button);
      list.appendChild(li);
    });
    live.appendChild(list);
    live.hidden = false;
    anyway.value = "1";  // the customer has seen suggestions: no second look before sending
  }

  function ask() {
    var text = (subject.value + " " + description.value).trim();
    if (text.length < 3) { show([]); return; }
    var ticket = ++latest;
    var url = form.getAttribute("data-suggest") + "&chars=" + text.length +
      "&q=" + encodeURIComponent(text.slice(0, 300));
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (ticket === latest) { show(data.suggestions || []); } })
      .catch(function () { /* suggestions are a help, never a blocker */ });
  }

  restoreDraft();
  [subject, description].forEach(function (el) {
    el.addEventListener("input", function () {
      saveDraft();
      clearTimeout(timer);
      timer = setTimeout(ask, 300);
    });
  });
  form.addEventListener("input", saveDraft);
  form.addEventListener("submit", function () {
    try { sessionStorage.removeItem(draftKey); } catch (e) { /* ignore */ }
  });
  if ((subject.value + description.value).trim().length >= 3) { ask(); }
})();
