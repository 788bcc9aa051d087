// ward console: progressive enhancement only. Every page works without it.
// Live alerts: the alert list subscribes to /alerts/stream (Server-Sent
// Events) and adds rows for alerts raised after the page was rendered.
(function () {
  "use strict";
  var table = document.getElementById("alert-rows");
  var status = document.getElementById("live-status");
  if (!table || !window.EventSource) { return; }
  var url = table.getAttribute("data-stream");
  if (!url) { return; }
  var es = new EventSource(url);
  es.onopen = function () { if (status) { status.textContent = "Live: new alerts appear here."; status.setAttribute("data-state", "open"); } };
  es.onerror = function () { if (status) { status.textContent = "Live updates paused; reconnecting."; status.setAttribute("data-state", "error"); } };
  es.addEventListener("alert", function (ev) {
    var a;
    try { a = JSON.parse(ev.data); } catch (e) { return; }
    var existing = document.getElementById("alert-" + a.id);
    var tr = document.createElement("tr");
    tr.id = "alert-" + a.id;
    function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) { td.className = cls; } tr.appendChild(td); return td; }
    cell(a.created_at);
    var sev = cell(""); var b = document.createElement("span"); b.className = "badge sev-" + a.severity; b.textContent = a.severity; sev.appendChild(b);
    var t = cell(""); var link = document.createElement("a"); link.href = "/alerts/" + encodeURIComponent(a.id); link.textContent = a.title; t.appendChild(link);
    cell(a.rule, "mono");
    cell(a.status);
    if (existing) { existing.replaceWith(tr); } else { table.insertBefore(tr, table.firstChild); }
  });
})();
