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
