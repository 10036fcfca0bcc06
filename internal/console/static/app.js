// jfn console: copy buttons and the Try tool picker. Served from our own origin; the
// Content-Security-Policy allows no inline script.
"use strict";
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el) return;
  var text = el.textContent;
  var done = function () {
    var old = b.textContent;
    b.textContent = "Copied";
    setTimeout(function () { b.textContent = old; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { select(el); });
  } else {
    select(el);
  }
});

// select highlights el's text, so that Ctrl-C copies it where the clipboard API is not offered.
function select(el) {
  var r = document.createRange();
  r.selectNodeContents(el);
  var s = window.getSelection();
  s.removeAllRanges();
  s.addRange(r);
}

document.addEventListener("change", function (ev) {
  var sel = ev.target.closest("select[data-autosubmit]");
  if (sel && sel.form) sel.form.submit();
});

// The functions table refreshes from /functions.json every few seconds; without script the
// page is the same table, rendered by the server, and a reload refreshes it.
(function () {
  var table = document.querySelector("table[data-live]");
  if (!table || !window.fetch) return;
  var note = document.getElementById("live-note");
  var every = 3000;
  var set = function (row, field, value) {
    var el = row.querySelector('[data-field="' + field + '"]');
    if (el && el.textContent !== String(value)) el.textContent = value;
    return el;
  };
  var refresh = function () {
    fetch(table.getAttribute("data-live"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok || (resp.headers.get("Content-Type") || "").indexOf("application/json") !== 0) throw new Error("status " + resp.status);
        return resp.json();
      })
      .then(function (data) {
        (data.functions || []).forEach(function (f) {
          var row = table.querySelector('tr[data-function="' + f.name + '"]');
          if (!row) return;
          var st = set(row, "status", f.status);
          if (st) st.className = "status " + f.status;
          var pr = row.querySelector('[data-field="problem"]');
          if (pr) {
            pr.hidden = !f.problem;
            pr.textContent = "";
            pr.appendChild(document.createElement("br"));
            pr.appendChild(document.createTextNode(f.problem));
          }
          set(row, "loaded", f.loaded);
          set(row, "tried", f.tried);
          var tt = row.querySelector('[data-field="tried-text"]');
          if (tt) tt.hidden = !f.tried;
          set(row, "toolsText", f.toolsText);
          set(row, "requests", f.requests);
          set(row, "errorRate", f.errorRate);
          set(row, "tokens", f.tokens);
        });
        table.setAttribute("data-refreshed", "");
        if (note) note.textContent = "Refreshes every " + every / 1000 + " seconds; last at " + new Date().toLocaleTimeString() + ".";
        setTimeout(refresh, every);
      })
      .catch(function () {
        if (note) note.textContent = "Not refreshed (logged out, or the server is down): reload the page.";
      });
  };
  refresh();
})();
