// As-you-type article suggestions for search forms. Progressive enhancement: without this
// script the form still submits to the search page.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-suggest]");
  Array.prototype.forEach.call(forms, function (form, index) {
    var input = form.querySelector("input[type=search]");
    if (!input || !window.fetch) { return; }
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.id = "suggestions-" + index;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(list);
    form.appendChild(status);
    input.setAttribute("aria-describedby", list.id);
    var timer = null;
    var latest = 0;
    var searchId = "";  // the previous keystroke's search: the server keeps one row per search

    function show(items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = item.click_url || item.url;  // click_url credits the click to this search
        a.textContent = item.title;  // text, never HTML
        li.appendChild(a);
        list.appendChild(li);
      });
      var hint = form.getAttribute("data-suggest-hint") || "";
      status.textContent = items.length ? items.length + " \u2014 " + hint : "";
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) { show([]); return; }
      timer = setTimeout(function () {
        var ticket = ++latest;
        var url = form.getAttribute("data-suggest") + "&q=" + encodeURIComponent(text) +
          (searchId ? "&prev=" + searchId : "");
        fetch(url, { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            if (data.search_id) { searchId = String(data.search_id); }
            if (ticket === latest) { show(data.suggestions || []); }
          })
          .catch(function () { show([]); });
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && list.firstChild) {
        event.preventDefault();
        list.querySelector("a").focus();
      } else if (event.key === "Escape") {
        show([]);
      }
    });
    list.addEventListener("keydown", function (event) {
      var current = document.activeElement && document.activeElement.parentNode;
      if (event.key === "ArrowDown" && current && current.nextSibling) {
        event.preventDefault();
        current.nextSibling.querySelector("a").focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (current && current.previousSibling) { current.previousSibling.querySelector("a").focus(); }
        else { input.focus(); }
      } else if (event.key === "Escape") {
        show([]);
        input.focus();
      }
    });
  });
})();
