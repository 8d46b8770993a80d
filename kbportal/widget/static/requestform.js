// The request form inside the widget panel: the type's fields, suggestions while typing, the
// checklist, per-field errors, an idempotency key per form. Posts to /api/v1/requests.
(function () {
  "use strict";
  var P = window.kbpPanel;
  if (!P) { return; }
  var T = P.strings, view = document.getElementById("kbp-request");
  var foot = document.getElementById("kbp-foot"), contact = document.getElementById("kbp-contact");
  var types = [], form = null, token = "", key = "", identity = null, prefill = {}, timer = null;
  var typed = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in (attrs || {})) { node.setAttribute(name, attrs[name]); }
    if (text) { node.textContent = text; }
    return node;
  }

  function load(then) {
    P.api("requests/types?locale=" + P.locale)
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        types = data.types || []; token = data.token || ""; key = data.key || "";
        if (types.length) { foot.hidden = false; }
        if (then) { then(); }
      })
      .catch(function () { foot.hidden = true; });  // no request form on this portal
  }

  function field(spec, value) {
    var wrap = el("div", { "class": "kbp-field" }), id = "kbp-f-" + spec.name, input;
    var label = el("label", { "for": id }, spec.label + (spec.required ? " *" : ""));
    wrap.appendChild(label);
    if (spec.kind === "long_text") {
      input = el("textarea", { id: id, name: spec.name });
    } else if (spec.kind === "select") {
      input = el("select", { id: id, name: spec.name });
      input.appendChild(el("option", { value: "" }, "—"));
      spec.options.forEach(function (o) { input.appendChild(el("option", { value: o.value }, o.label)); });
    } else if (spec.kind === "checkbox") {
      input = el("input", { id: id, name: spec.name, type: "checkbox", value: "yes" });
      if (value) { input.checked = true; }
    } else {
      input = el("input", { id: id, name: spec.name, type: spec.kind === "email" ? "email" : "text" });
    }
    if (spec.kind !== "checkbox" && value) { input.value = value; }
    if (spec.required) { input.setAttribute("aria-required", "true"); }
    var described = [];
    if (spec.help) {
      wrap.appendChild(el("p", { "class": "kbp-help", id: id + "-help" }, spec.help));
      described.push(id + "-help");
    }
    var error = el("p", { "class": "kbp-field-error", id: id + "-error", hidden: "" });
    described.push(id + "-error");
    input.setAttribute("aria-describedby", described.join(" "));
    wrap.insertBefore(input, wrap.children[1] || null);
    wrap.appendChild(error);
    return wrap;
  }

  function render(typeName) {
    var type = types.filter(function (t) { return t.name === typeName; })[0] || types[0];
    view.textContent = "";
    view.appendChild(el("h2", { id: "kbp-request-h" }, T.request_title));
    form = el("form", { novalidate: "" });
    var chooser = { name: "type", kind: "select", label: T.request_type, required: true,
                    options: types.map(function (t) { return { value: t.name, label: t.label }; }) };
    var typeField = field(chooser, type.name);
    typeField.querySelector("option").remove();
    typeField.querySelector("select").addEventListener("change", function (e) { keep(); render(e.target.value); });
    form.appendChild(typeField);
    if (type.help) { form.appendChild(el("p", { "class": "kbp-help" }, type.help)); }
    if (type.checklist && type.checklist.length) {
      var box = el("section", { "class": "kbp-checklist", "aria-label": T.checklist });
      box.appendChild(el("h3", {}, T.checklist));
      var ul = el("ul", { "class": "kbp-list" });
      type.checklist.forEach(function (item) {
        var li = el("li"), a = el("a", { href: item.url }, item.text);
        a.addEventListener("click", function (e) { e.preventDefault(); openFromForm(item.url); });
        li.appendChild(a); ul.appendChild(li);
      });
      box.appendChild(ul); form.appendChild(box);
    }
    var person = identity || {};
    form.appendChild(field({ name: "name", kind: "text", label: T.your_name }, prefill.name || person.name));
    form.appendChild(field({ name: "email", kind: "email", label: T.your_email, required: true },
                           prefill.email || person.email));
    form.appendChild(field({ name: "subject", kind: "text", label: T.subject, required: true }, prefill.subject));
    form.appendChild(field({ name: "description", kind: "long_text", label: T.description, required: true },
                           prefill.description));
    var suggestions = el("section", { id: "kbp-req-suggested", "aria-live": "polite", hidden: "" });
    suggestions.appendChild(el("h3", {}, T.maybe_answered));
    suggestions.appendChild(el("ul", { "class": "kbp-list" }));
    form.appendChild(suggestions);
    (type.fields || []).forEach(function (spec) {
      if (spec.kind !== "file") { form.appendChild(field(spec, (prefill.fields || {})[spec.name])); }
    });
    var trap = el("div", { "class": "kbp-hp", "aria-hidden": "true" });
    trap.appendChild(el("input", { name: "website", tabindex: "-1", autocomplete: "off" }));
    form.appendChild(trap);
    form.appendChild(el("p", { "class": "kbp-field-error", id: "kbp-form-error", role: "alert", hidden: "" }));
    form.appendChild(el("button", { type: "submit", "class": "kbp-primary" }, T.send));
    form.addEventListener("input", function (e) {
      if (e.target.name === "subject" || e.target.name === "description") { suggestSoon(type.name); }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); send(type); });
    view.appendChild(form);
  }

  function keep() {
    // Switching type keeps what the customer already wrote.
    if (!form) { return; }
    ["name", "email", "subject", "description"].forEach(function (n) {
      if (form.elements[n]) { prefill[n] = form.elements[n].value; }
    });
  }

  function openFromForm(url) {
    var m = url.match(/^\/([a-z-]+)\/articles\/([^#]+)(?:#(.*))?$/);
    if (m) {
      P.state.fromForm = { form: key, type: form.elements.type.value };
      P.openArticle(decodeURIComponent(m[2]), m[3] || "", "request_form");
    }
    else { window.open(url, "_blank", "noopener"); }
  }

  function suggestSoon(typeName) {
    clearTimeout(timer);
    typed = true;
    timer = setTimeout(function () {
      var text = (form.elements.subject.value + " " + form.elements.description.value).trim();
      var box = document.getElementById("kbp-req-suggested");
      if (text.length < 3) { box.hidden = true; return; }
      P.api("suggest?" + new URLSearchParams({ q: text.slice(0, 300), type: typeName, locale: P.locale }))
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          var ul = box.querySelector("ul");
          ul.textContent = "";
          data.suggestions.forEach(function (s) {
            var li = el("li"), a = el("a", { href: s.url }, s.title);
            a.addEventListener("click", function (e) {
              e.preventDefault();
              P.beacon({ type: "click", article: s.slug, query: text, request_type: typeName, form: key });
              P.state.fromForm = { form: key, type: typeName };
              P.openArticle(s.slug, s.url.split("#")[1] || "", "request_form");
            });
            li.appendChild(a); ul.appendChild(li);
          });
          box.hidden = !data.suggestions.length;
          if (data.suggestions.length) {
            P.beacon({ type: "exposure", request_type: typeName, query: text, form: key,
                       articles: data.suggestions.map(function (s) { return s.slug; }) });
          }
        }).catch(function () {});
    }, 400);
  }

  function showErrors(errors) {
    var first = null;
    Array.prototype.forEach.call(form.querySelectorAll(".kbp-field-error"), function (p) { p.hidden = true; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (i) { i.removeAttribute("aria-invalid"); });
    for (var name in errors) {
      var input = form.elements[name], box = document.getElementById("kbp-f-" + name + "-error");
      if (input && box) {
        box.textContent = errors[name]; box.hidden = false;
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      } else {
        var general = document.getElementById("kbp-form-error");
        general.textContent = errors[name]; general.hidden = false;
      }
    }
    (first || document.getElementById("kbp-form-error")).focus();
  }

  function send(type) {
    var body = { type: type.name, locale: P.locale, surface: "widget", session: P.session,
                 token: token, fields: {}, website: form.elements.website.value,
                 source: { query: P.state.query || "", article: P.state.article || "" } };
    ["name", "email", "subject", "description"].forEach(function (n) { body[n] = form.elements[n].value; });
    (type.fields || []).forEach(function (spec) {
      var input = form.elements[spec.name];
      if (input) { body.fields[spec.name] = spec.kind === "checkbox" ? (input.checked ? "yes" : "") : input.value; }
    });
    if (identity) { body.identity = identity; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;  // a double click sends once; the key makes a retry safe too
    P.api("requests", { method: "POST", body: JSON.stringify(body),
                        headers: { "Content-Type": "application/json", "Idempotency-Key": key } })
      .then(function (r) { return r.json().then(function (data) { return [r.status, data]; }); })
      .then(function (result) {
        button.disabled = false;
        var data = result[1];
        if (result[0] === 200 || result[0] === 201) { return done(data); }
        showErrors(data.fields || { form: data.error || T.error });
      })
      .catch(function () { button.disabled = false; showErrors({ form: T.error }); });
  }

  function done(data) {
    view.textContent = "";
    view.appendChild(el("h2", { id: "kbp-request-h" }, T.request_sent));
    view.appendChild(el("p", {}, T.request_reference.replace("{id}", data.id)));
    P.tell("request_submitted", { id: data.id, status_url: data.status_url });
    prefill = {}; typed = false;
    load();  // a fresh key and token for another request
    view.focus();
  }

  contact.addEventListener("click", function (event) {
    event.preventDefault();
    open("");
  });

  function open(typeName) {
    if (!types.length) { load(function () { open(typeName); }); return; }
    if (!typed) { render(typeName || (prefill.type || "")); }
    P.show("request", view.querySelector("input, select, textarea"));
  }

  window.kbpRequestForm = {
    open: open,
    prefill: function (values) { prefill = values; if (form && !typed) { render(values.type || ""); } },
    identify: function (person) { identity = person; }
  };
  load();
})();
