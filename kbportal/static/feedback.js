// "Was this helpful?" without leaving the page. Progressive enhancement: without this script
// the forms post and the server answers with a thank-you page.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-feedback]");
  Array.prototype.forEach.call(boxes, function (box) {
    var vote = box.querySelector(".feedback-vote");
    var reason = box.querySelector(".feedback-reason");
    var thanks = box.querySelector(".feedback-thanks");
    if (!vote || !reason || !thanks || !window.fetch || !window.FormData) { return; }

    function send(form, data) {
      return fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
    }

    vote.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button) { return; }  // an old browser: let the form post
      event.preventDefault();
      var data = new FormData(vote);
      data.append("helpful", button.value);
      send(vote, data).then(function (answer) {
        vote.hidden = true;
        if (button.value === "no") {
          reason.querySelector("input[name=vote]").value = answer.vote || "";
          reason.hidden = false;
          var first = reason.querySelector("input[type=radio]");
          if (first) { first.focus(); }
        } else {
          thanks.hidden = false;
        }
      }).catch(function () { vote.submit(); });
    });

    reason.addEventListener("submit", function (event) {
      event.preventDefault();
      send(reason, new FormData(reason)).then(function () {
        reason.hidden = true;
        thanks.hidden = false;
      }).catch(function () { reason.submit(); });
    });
  });
})();
