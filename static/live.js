// Live updates for the gate and stocktake pages: follows the server's event stream and
// updates the page in place. The pages are complete without it.
(function () {
  "use strict";
  var root = document.querySelector("[data-stream]");
  if (!root || !window.EventSource) return;
  var t = function (key, fallback) { return root.getAttribute("data-t-" + key) || fallback || key; };
  var cell = function (tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (text instanceof Node) td.appendChild(text); else td.textContent = text == null ? "" : String(text);
    tr.appendChild(td);
    return td;
  };
  var link = function (href, text) { var a = document.createElement("a"); a.href = href; a.textContent = text; return a; };
  // A moment on the depot's clock (its offset from UTC in minutes is the page's
  // data-tz-minutes), to the second, as the server writes it: 2026-11-30 10:44:15.
  var offset = Number(root.getAttribute("data-tz-minutes") || 480);
  var time = function (iso) {
    var at = new Date(String(iso));
    if (isNaN(at.getTime())) return String(iso);
    return new Date(at.getTime() + offset * 60000).toISOString().slice(0, 19).replace("T", " ");
  };
  // A list paged away from its newest page (data-paged) gets no new rows at its top.
  var prepend = function (table, tr) {
    var body = document.querySelector(table + ":not([data-paged]) tbody");
    if (!body) return;
    body.insertBefore(tr, body.firstChild);
    while (body.rows.length > 100) body.deleteRow(body.rows.length - 1);
  };
  var stream = new EventSource(root.getAttribute("data-stream"));
  // Say whether the page is following the stream (tests and styles look at it).
  stream.addEventListener("open", function () { root.setAttribute("data-live", "open"); });
  stream.addEventListener("error", function () { root.setAttribute("data-live", "retrying"); });

  stream.addEventListener("passage", function (m) {
    var e = JSON.parse(m.data);
    if (document.querySelector('tr[data-fact="' + CSS.escape(e.fact_key) + '"]')) return;
    var tr = document.createElement("tr");
    tr.setAttribute("data-fact", e.fact_key);
    tr.className = "fresh";
    cell(tr, time(e.at), "mono nowrap");
    cell(tr, e.gate);
    cell(tr, t(e.direction));
    cell(tr, e.asset_id ? link("/assets/" + e.asset_id, String(e.asset_id)) : e.epc, e.asset_id ? "" : "mono");
    var order = "";
    if (e.order_id) order = e.order_kind === "loan" ? link("/orders/" + e.order_id, t("loan") + " " + e.order_id) : t(e.order_kind) + " " + e.order_id;
    cell(tr, order);
    var status = document.createElement("span");
    status.className = "status outcome-" + e.outcome;
    status.textContent = t(e.outcome);
    cell(tr, status);
    prepend("#passages", tr);
  });

  // A CSRF-checked form that posts one decision about an alert.
  var decide = function (id, action, label, cls) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/keeper/alerts/" + id + "/" + action;
    form.className = "inline";
    [["csrf", root.getAttribute("data-csrf")], ["back", root.getAttribute("data-back")]].forEach(function (f) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = f[0]; input.value = f[1] || "";
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    if (cls) button.className = cls;
    button.textContent = label;
    form.appendChild(button);
    return form;
  };

  // An uncertain passage: the keeper is asked, with one-tap confirm and dismiss.
  var uncertain = function (a) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-alert", a.id);
    tr.className = "fresh";
    cell(tr, time(a.at), "mono nowrap");
    var asset = document.createElement("span");
    if (a.asset_id) asset.appendChild(link("/assets/" + a.asset_id, String(a.asset_id)));
    asset.appendChild(document.createTextNode(" " + a.epc));
    cell(tr, asset);
    cell(tr, t(a.direction));
    cell(tr, a.confidence == null ? "" : Number(a.confidence).toFixed(2), "mono");
    var would = t("would_nothing");
    if (a.order_id) would = t(a.direction === "in" ? "would_return" : "would_issue") + " " + t(a.order_kind) + " " + a.order_id;
    cell(tr, would);
    var td = cell(tr, decide(a.id, "confirm", t("confirm"), "primary"), "nowrap");
    td.appendChild(document.createTextNode(" "));
    td.appendChild(decide(a.id, "dismiss", t("dismiss")));
    prepend("#uncertain", tr);
  };

  stream.addEventListener("alert", function (m) {
    var a = JSON.parse(m.data).alert;
    if (document.querySelector('tr[data-alert="' + a.id + '"]')) return;
    if (a.kind === "uncertain_passage") return uncertain(a);
    var tr = document.createElement("tr");
    tr.setAttribute("data-alert", a.id);
    tr.className = "fresh";
    cell(tr, time(a.at), "mono nowrap");
    var kind = document.createElement("span");
    kind.className = "status overdue";
    kind.textContent = t(a.kind);
    cell(tr, kind);
    cell(tr, a.epc, "mono");
    cell(tr, a.message);
    cell(tr, decide(a.id, "acknowledge", t("ack")));
    prepend("#alerts", tr);
  });

  // The lists of a running stocktake: fetched again from the server, at most once a second.
  var pending = false;
  var refreshLists = function () {
    if (pending || !document.getElementById("lists") || !window.fetch || !window.DOMParser) return;
    pending = true;
    setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("lists");
          var lists = document.getElementById("lists");
          if (fresh && lists) lists.replaceWith(document.importNode(fresh, true));
        })
        .catch(function () {})
        .then(function () { pending = false; });
    }, 1000);
  };

  stream.addEventListener("stocktake_progress", function (m) {
    var e = JSON.parse(m.data);
    if (String(e.stocktake_id) !== root.getAttribute("data-stocktake")) return;
    var set = function (id, value) { var el = document.getElementById(id); if (el) el.textContent = String(value); };
    var between = e.between || 0;
    ["expected", "found", "misplaced", "missing", "unexpected"].forEach(function (k) { set(k, e[k]); });
    set("between", between);
    var counted = e.found + e.misplaced + between;
    set("counted", counted);
    var bar = document.getElementById("progress");
    if (bar) { bar.max = Math.max(e.expected, 1); bar.value = counted; bar.textContent = counted + " / " + e.expected; }
    refreshLists();
  });
})();
