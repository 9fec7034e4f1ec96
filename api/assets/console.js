// Herald Console: progressive enhancement only. Every page is complete without it.
// - <time data-age> elements keep their relative text fresh (the absolute time is the
//   title, shown on hover);
// - an element with data-live="URL" is refreshed from that URL (an HTML fragment of
//   the same page, same origin, the session cookie) once a second.
(function () {
  "use strict";
  function ago(iso) {
    var then = Date.parse(iso);
    if (isNaN(then)) { return null; }
    var s = Math.round((Date.now() - then) / 1000);
    var future = s < 0; s = Math.abs(s);
    var text = s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m" :
      s < 86400 ? Math.floor(s / 3600) + "h" : Math.floor(s / 86400) + "d";
    return future ? "in " + text : text + " ago";
  }
  function refreshTimes(root) {
    var times = (root || document).querySelectorAll("time[data-age]");
    for (var i = 0; i < times.length; i++) {
      var text = ago(times[i].getAttribute("datetime"));
      if (text) { times[i].textContent = text; }
    }
  }
  function live(el) {
    var url = el.getAttribute("data-live");
    var busy = false;
    setInterval(function () {
      if (busy) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (!r.ok) { throw new Error(r.status); }
          return r.text();
        })
        .then(function (html) { el.innerHTML = html; refreshTimes(el); })
        .catch(function () { /* keep the last board; retry next tick */ })
        .then(function () { busy = false; });
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    refreshTimes();
    setInterval(refreshTimes, 15000);
    var lives = document.querySelectorAll("[data-live]");
    for (var i = 0; i < lives.length; i++) { live(lives[i]); }
  });
})();
