// ikescope HTML report: class filter, and each SA's details and ladder
// drawn on demand from the JSON data block. Every string is inserted with
// textContent or as an attribute value, never parsed as markup.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var data = null, byID = null;

  function load() {
    if (data) return;
    var node = document.getElementById("data");
    data = JSON.parse((node && node.textContent) || "[]") || [];
    byID = {};
    for (var i = 0; i < data.length; i++) byID[data[i].sa.id] = data[i];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function fmtOff(s) {
    var a = Math.abs(s), v = a < 10 ? a.toFixed(3) : a < 100 ? a.toFixed(2) : a.toFixed(1);
    return (s < 0 ? "-" : "+") + v + " s";
  }

  function fmtDur(d) {
    if (d < 1) return (d * 1000).toFixed(d < 0.01 ? 2 : 0) + " ms";
    if (d < 120) return d.toFixed(1) + " s";
    if (d < 7200) return Math.floor(d / 60) + " min " + Math.round(d % 60) + " s";
    return Math.floor(d / 3600) + " h " + Math.round((d % 3600) / 60) + " min";
  }

  function fmtBytes(n) {
    if (n < 10000) return n + " B";
    if (n < 10e6) return (n / 1e3).toFixed(1) + " kB";
    if (n < 10e9) return (n / 1e6).toFixed(1) + " MB";
    return (n / 1e9).toFixed(1) + " GB";
  }

  function side(dir) { return dir === "i2r" ? "initiator \u2192 responder" : "responder \u2192 initiator"; }

  // ---- summary table: filter and expand ----

  var table = document.getElementById("sas");
  var form = document.getElementById("filter");
  var shown = document.getElementById("shown");

  var ROW = 26; // px, the height of a summary row (report.css)

  function applyFilter() {
    if (!form || !table) return;
    var boxes = form.querySelectorAll("input[name=class]"), n = 0, hidden = {};
    for (var i = 0; i < boxes.length; i++) {
      table.classList.toggle("hide-" + boxes[i].value, !boxes[i].checked);
      if (boxes[i].checked) n += Number(boxes[i].getAttribute("data-n")) || 0;
      else hidden[boxes[i].value] = true;
    }
    if (shown) shown.textContent = n + " shown";
    // Groups of rows off the screen are not laid out: give each the height
    // of the rows it still shows, so that the scroll bar stays right.
    var chunks = table.querySelectorAll(".chunk");
    for (var c = 0; c < chunks.length; c++) {
      var rows = chunks[c].querySelectorAll(".row.sa"), v = 0;
      for (var r = 0; r < rows.length; r++) if (!hidden[rows[r].getAttribute("data-c")]) v++;
      chunks[c].classList.toggle("empty", v === 0);
      chunks[c].style.containIntrinsicSize = (v * ROW) + "px";
    }
  }

  function setAll(on) {
    var boxes = form.querySelectorAll("input[name=class]");
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = on;
    applyFilter();
  }

  function toggle(tr, open) {
    var next = tr.nextElementSibling;
    var isOpen = !!(next && next.classList.contains("detail"));
    if (open === undefined) open = !isOpen;
    if (isOpen === open) return;
    if (!open) {
      next.remove();
      tr.classList.remove("open");
      tr.setAttribute("aria-expanded", "false");
      return;
    }
    load();
    var d = byID[tr.getAttribute("data-id")];
    if (!d) return;
    var box = el("div", "detail");
    box.setAttribute("data-c", tr.getAttribute("data-c"));
    box.appendChild(details(d));
    tr.after(box);
    tr.classList.add("open");
    tr.setAttribute("aria-expanded", "true");
  }

  if (form) {
    form.addEventListener("change", applyFilter);
    document.getElementById("all").addEventListener("click", function () { setAll(true); });
    document.getElementById("none").addEventListener("click", function () { setAll(false); });
    applyFilter();
  }
  if (table) {
    table.addEventListener("click", function (e) {
      var tr = e.target.closest(".row.sa");
      if (tr) toggle(tr);
    });
    table.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" && e.key !== " ") return;
      var tr = e.target.closest && e.target.closest(".row.sa");
      if (tr && e.target === tr) { e.preventDefault(); toggle(tr); }
    });
  }

  // ---- one SA: verdict, facts, ladder ----

  function kv(tb, k, v) {
    if (v === null || v === undefined || v === "") return;
    var tr = el("tr");
    tr.appendChild(el("td", "", k));
    tr.appendChild(el("td", "", v));
    tb.appendChild(tr);
  }

  function list(box, title, items) {
    if (!items.length) return;
    box.appendChild(el("h3", "", title));
    var ul = el("ul");
    for (var i = 0; i < items.length; i++) ul.appendChild(el("li", "", items[i]));
    box.appendChild(ul);
  }

  function details(d) {
    var sa = d.sa, v = sa.verdict, box = el("div", "sa-detail");
    box.appendChild(el("p", "head mono", "IKE SA #" + sa.id + " \u00b7 IKEv" + sa.version + " " + sa.mode + " \u00b7 " +
      sa.initiator + " \u2192 " + sa.responder + (sa.nat_t ? " \u00b7 NAT-T" : "") +
      " \u00b7 SPIs " + sa.initiator_spi + " / " + sa.responder_spi));
    var vp = el("p", "verdict");
    vp.appendChild(el("span", "cls c-" + v.class, v.class));
    var vt = (v.final ? "" : " (not final)") + " \u2014 " + v.summary;
    if (v.windows_error) {
      var w = v.windows_error;
      vt += " \u00b7 Windows " + w.code + " " + w.hex + (w.name ? " " + w.name : "") +
        (w.certain ? " (certain: reported by the peer)" : " (likely)");
    }
    vp.appendChild(document.createTextNode(vt));
    box.appendChild(vp);

    var cols = el("div", "cols");
    var c1 = el("div");
    list(c1, "Evidence", v.evidence.map(function (e) { return (e.frame ? "frame " + e.frame + ": " : "") + e.text; }));
    list(c1, "Check", v.hints);
    cols.appendChild(c1);

    var c2 = el("div");
    c2.appendChild(el("h3", "", "IKE SA"));
    var tb = el("table", "kv");
    kv(tb, "started", sa.started);
    kv(tb, "established", sa.established);
    kv(tb, "ended", sa.ended);
    if (sa.proposal) {
      var p = sa.proposal, parts = [p.encryption, p.integrity, p.prf, p.dh_group, p.auth].filter(Boolean);
      if (p.lifetime_seconds) parts.push(p.lifetime_seconds + " s");
      if (p.lifetime_kilobytes) parts.push(p.lifetime_kilobytes + " kB");
      kv(tb, "proposal", parts.join(" / "));
    }
    for (var i = 0; i < sa.vendor_ids.length; i++) {
      var vid = sa.vendor_ids[i];
      kv(tb, "vendor ID (" + vid.sender + ")", vid.name ? vid.name : vid.hex);
    }
    d.steps.forEach(function (s) {
      (s.ids || []).forEach(function (id) {
        kv(tb, "identity (" + (s.d === "i2r" ? "initiator" : "responder") + ", frame " + s.f[0] + ")", id);
      });
    });
    c2.appendChild(tb);
    cols.appendChild(c2);

    var c3 = el("div");
    if (sa.child_sas.length) {
      c3.appendChild(el("h3", "", "Child SAs"));
      var g = el("table", "grid"), hr = el("tr");
      ["protocol", "SPI i", "SPI r", "established", "ESP", "state"].forEach(function (h) { hr.appendChild(el("th", "", h)); });
      g.appendChild(hr);
      sa.child_sas.forEach(function (c) {
        var r = el("tr");
        [c.protocol, c.spi_i || "-", c.spi_r || "-", c.established || "-",
          c.esp_packets + " packets, " + fmtBytes(c.esp_bytes),
          [c.rekeyed ? "rekeyed" : "", c.deleted ? "deleted" : ""].filter(Boolean).join(", ") || "-"
        ].forEach(function (x) { r.appendChild(el("td", "mono", x)); });
        g.appendChild(r);
      });
      c3.appendChild(g);
    }
    list(c3, "Events", sa.events.map(function (e) { return e.type + (e.frame ? " (frame " + e.frame + ")" : "") + ": " + e.text; }));
    cols.appendChild(c3);
    box.appendChild(cols);

    var step = el("div", "step");
    step.appendChild(el("span", "hint", "Click an arrow (or focus it and press Enter) for its payloads."));
    var wrap = el("div", "ladder-wrap");
    wrap.appendChild(ladder(d, step));
    box.appendChild(wrap);
    if (d.dropped) box.appendChild(el("p", "legend", d.dropped + " earlier completed informational exchanges (DPD and the like) were not kept and are not drawn."));
    box.appendChild(el("p", "legend", "Solid arrow: a message, at its capture time; dashed: a retransmission of it; red: the message an exchange that never completed stopped at; dotted red: a message seen only in part (IP fragments lost). " +
      "Long silences are compressed and labelled with their length. Green and blue bands: ESP per SPI (initiator to responder, responder to initiator). " +
      "Yellow notes: the verdict's evidence, beside the frame it rests on."));
    box.appendChild(step);
    return box;
  }

  // stepText is what a message is, line by line (the tooltip and the
  // expanded detail).
  function stepText(d, s, k) {
    var sa = d.sa, lines = [];
    if (s.ghost) {
      lines.push(s.x + " message from the " + (s.d === "i2r" ? "initiator" : "responder") +
        (s.frag_only ? ", seen only in part: some of its IP fragments never arrived, so it never became a whole IKE message" : ", not decoded"));
      lines.push(side(s.d) + ": " + (s.d === "i2r" ? sa.initiator + " \u2192 " + sa.responder : sa.responder + " \u2192 " + sa.initiator));
      var gs = [];
      for (var g = 0; g < s.t.length; g++) gs.push("frame " + s.f[g] + " at " + fmtOff(s.t[g]) + (g === k ? " (this one)" : ""));
      lines.push("sent " + s.t.length + (s.t.length > 1 ? " times: " : " time: ") + gs.join("; "));
      return lines;
    }
    lines.push(s.x + " message " + s.n + " (message ID " + s.mid + (s.done ? "" : ", exchange not completed") + ")");
    lines.push(side(s.d) + ": " + (s.d === "i2r" ? sa.initiator + " \u2192 " + sa.responder : sa.responder + " \u2192 " + sa.initiator));
    lines.push(s.len + " bytes" + (s.enc ? ", encrypted" : "") + (s.frags ? ", in " + s.frags + " IP fragments" : ""));
    var sends = [];
    for (var i = 0; i < s.t.length; i++) sends.push("frame " + s.f[i] + " at " + fmtOff(s.t[i]) + (i === k ? " (this one)" : ""));
    var extra = s.extra || 0;
    lines.push((s.t.length + extra > 1 ? "sent " + (s.t.length + extra) + " times: " : "sent once: ") + sends.join("; ") +
      (extra ? "; " + extra + " more not listed" : ""));
    lines.push("payloads: " + (s.p.length ? s.p.join(" ") : "none") + (s.inner ? " (first inside SK: " + s.inner + ")" : ""));
    if (s.notify && s.notify.length) lines.push("notify: " + s.notify.join(", "));
    if (s.ids && s.ids.length) lines.push("identity: " + s.ids.join("; "));
    return lines;
  }

  function showStep(box, d, s, k) {
    while (box.firstChild) box.removeChild(box.firstChild);
    var lines = stepText(d, s, k);
    box.appendChild(el("b", "", lines[0]));
    var ul = el("ul");
    for (var i = 1; i < lines.length; i++) ul.appendChild(el("li", "", lines[i]));
    box.appendChild(ul);
  }

  function wrapText(s, width) {
    var words = String(s).split(" "), out = [], cur = "";
    for (var i = 0; i < words.length; i++) {
      var w = words[i];
      while (w.length > width) { // a long token (hex, an identity) is cut
        if (cur) { out.push(cur); cur = ""; }
        out.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (cur && cur.length + 1 + w.length > width) { out.push(cur); cur = w; } else cur = cur ? cur + " " + w : w;
    }
    if (cur) out.push(cur);
    return out;
  }

  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }

  var AXIS = 86, XI = 240, XR = 680, NOTE = 720, NOTE_CH = 62, GAP = 1.0;

  function ladder(d, stepBox) {
    var sa = d.sa, rows = [], i, j;
    var perX = {};
    d.steps.forEach(function (s) { perX[s.xi] = (perX[s.xi] || 0) + 1; });
    d.steps.forEach(function (s) { s.nx = perX[s.xi]; if (s.ghost) d.hasGhost = true; });
    d.steps.forEach(function (s, si) {
      for (var k = 0; k < s.t.length; k++) rows.push({ t: s.t[k], f: s.f[k], kind: "msg", s: s, si: si, k: k, notes: [] });
    });
    d.esp.forEach(function (e, ei) {
      rows.push({ t: e.first, f: e.ff, kind: "esp", e: e, ei: ei, notes: [] });
      if (e.lf !== e.ff) rows.push({ t: e.last, f: e.lf, kind: "espend", e: e, ei: ei, notes: [] });
    });
    rows.sort(function (a, b) { return a.t - b.t || a.f - b.f; });

    // The verdict's evidence goes beside the frame it names, or the last
    // row at or before its time.
    var byFrame = {};
    for (i = rows.length - 1; i >= 0; i--) if (rows[i].f) byFrame[rows[i].f] = i;
    var verdictAt = -1; // the latest row the evidence names: the step that decided
    d.notes.forEach(function (n) {
      var at = n.f && byFrame[n.f] !== undefined ? byFrame[n.f] : -1;
      if (at < 0 && n.t !== null && rows.length) {
        at = 0;
        for (var r = 0; r < rows.length; r++) if (rows[r].t <= n.t) at = r;
      }
      if (at < 0) at = rows.length - 1;
      if (at < 0) return;
      rows[at].notes.push(n.text);
      if (at > verdictAt) verdictAt = at;
    });
    if (rows.length && verdictAt < 0) verdictAt = rows.length - 1;

    // Layout: rows top to bottom, silences of GAP seconds or more
    // compressed into a marked band.
    var y = 64, gaps = [];
    for (i = 0; i < rows.length; i++) {
      var row = rows[i], lines = 0;
      if (i > 0) {
        var dt = row.t - rows[i - 1].t;
        if (dt >= GAP) { gaps.push({ y: y + 2, dt: dt }); y += 30; } else if (dt >= 0.2) y += 8;
      }
      row.noteLines = [];
      if (i === verdictAt) row.noteLines.push({ badge: true, text: "verdict: " + sa.verdict.class });
      row.notes.forEach(function (n) { wrapText(n, NOTE_CH).forEach(function (l) { row.noteLines.push({ text: l }); }); });
      lines = row.noteLines.length;
      row.y = y + 22;
      y += Math.max(44, 22 + lines * 15 + 4); // notes run down from the arrow
    }
    rows.forEach(function (r) { if (r.kind === "esp") r.e.row0 = r; else if (r.kind === "espend") r.e.row1 = r; });
    var bottom = y + 10;
    if (rows.length && d.end > rows[rows.length - 1].t + GAP) { gaps.push({ y: y, dt: d.end - rows[rows.length - 1].t, end: true }); bottom = y + 34; }

    var hasNotes = verdictAt >= 0;
    var W = hasNotes ? NOTE + NOTE_CH * 7 + 20 : XR + 60;
    var svg = sv("svg", { "class": "ladder", width: W, height: bottom + 8, viewBox: "0 0 " + W + " " + (bottom + 8), role: "img" });
    svg.appendChild(sv("title", {}, "ladder of IKE SA #" + sa.id));

    // Columns.
    svg.appendChild(sv("text", { "class": "who", x: XI, y: 18, "text-anchor": "middle" }, "initiator"));
    svg.appendChild(sv("text", { "class": "addr", x: XI, y: 33, "text-anchor": "middle" }, sa.initiator));
    svg.appendChild(sv("text", { "class": "who", x: XR, y: 18, "text-anchor": "middle" }, "responder"));
    svg.appendChild(sv("text", { "class": "addr", x: XR, y: 33, "text-anchor": "middle" }, sa.responder));
    svg.appendChild(sv("text", { "class": "axis", x: 8, y: 33 }, "time"));
    svg.appendChild(sv("line", { "class": "life", x1: XI, y1: 42, x2: XI, y2: bottom }));
    svg.appendChild(sv("line", { "class": "life", x1: XR, y1: 42, x2: XR, y2: bottom }));
    svg.appendChild(sv("line", { "class": "grid", x1: AXIS - 6, y1: 42, x2: AXIS - 6, y2: bottom }));

    // Gaps.
    gaps.forEach(function (gp) {
      var g = sv("g", { "class": "gap" });
      g.appendChild(sv("rect", { x: AXIS - 10, y: gp.y, width: XR - AXIS + 40, height: 24 }));
      g.appendChild(sv("line", { x1: XI, y1: gp.y, x2: XI, y2: gp.y + 24 }));
      g.appendChild(sv("line", { x1: XR, y1: gp.y, x2: XR, y2: gp.y + 24 }));
      g.appendChild(sv("text", { x: (XI + XR) / 2, y: gp.y + 16, "text-anchor": "middle" },
        "\u22ef " + fmtDur(gp.dt) + (gp.end ? " until the end of the SA or capture" : " later") + " \u22ef"));
      svg.appendChild(g);
    });

    // ESP bands, behind the arrows: initiator-to-responder SPIs along the
    // initiator's line, the others along the responder's.
    var lane = { i2r: 0, r2i: 0 };
    d.esp.forEach(function (e) {
      var n = lane[e.d]++, x = e.d === "i2r" ? XI + 6 + n * 14 : XR - 18 - n * 14;
      var y0 = e.row0.y - 8, y1 = Math.max(e.row1 ? e.row1.y + 6 : y0 + 14, y0 + 14);
      var g = sv("g", { "class": "esp " + e.d });
      g.appendChild(sv("rect", { x: x, y: y0, width: 12, height: y1 - y0, rx: 3 }));
      g.appendChild(sv("title", {}, "ESP SPI " + e.spi + " " + side(e.d) + ": " + e.packets + " packets, " + e.bytes +
        " bytes, frames " + e.ff + " to " + e.lf + ", " + fmtOff(e.first) + " to " + fmtOff(e.last) +
        (e.gaps ? ", " + e.gaps + " sequence numbers missing" : "")));
      svg.appendChild(g);
    });

    var sel = null;
    for (i = 0; i < rows.length; i++) {
      var r = rows[i];
      svg.appendChild(sv("text", { "class": "axis", x: 8, y: r.y + 4 }, fmtOff(r.t)));
      if (r.kind === "esp") {
        var e = r.e;
        svg.appendChild(sv("text", { "class": "esp-l " + e.d, x: (XI + XR) / 2, y: r.y + 4, "text-anchor": "middle" },
          "ESP " + e.spi + " " + (e.d === "i2r" ? "\u2192" : "\u2190") + "  " + e.packets + " packets, " + fmtBytes(e.bytes) +
          " until " + fmtOff(e.last) + " (frames " + e.ff + "\u2013" + e.lf + ")" + (e.gaps ? ", " + e.gaps + " sequence numbers missing" : "")));
      } else if (r.kind === "espend") {
        svg.appendChild(sv("text", { "class": "esp-l end " + r.e.d, x: (XI + XR) / 2, y: r.y + 4, "text-anchor": "middle" },
          "last ESP " + r.e.spi + " (frame " + r.f + ")"));
      } else {
        svg.appendChild(arrow(d, r, stepBox, function (g) {
          if (sel) sel.classList.remove("sel");
          sel = g;
          g.classList.add("sel");
        }));
      }
      if (r.noteLines.length) {
        var ng = sv("g", { "class": "note" + (sa.verdict.class === "established" ? " ok" : "") });
        ng.appendChild(sv("line", { x1: XR + 8, y1: r.y, x2: NOTE - 8, y2: r.y }));
        ng.appendChild(sv("circle", { cx: NOTE - 5, cy: r.y, r: 3 }));
        var ty = r.y + 4;
        r.noteLines.forEach(function (l, li) {
          ng.appendChild(sv("text", { "class": l.badge ? "vbadge" : "", x: NOTE + 2, y: ty + li * 15 }, l.text));
        });
        svg.appendChild(ng);
      }
    }
    if (!rows.length) svg.appendChild(sv("text", { x: (XI + XR) / 2, y: 70, "text-anchor": "middle" }, "no messages kept for this SA"));
    return svg;
  }

  function arrow(d, r, stepBox, onSelect) {
    var s = r.s, k = r.k, sends = s.t.length + (s.extra || 0), y = r.y;
    var x1 = s.d === "i2r" ? XI : XR, x2 = s.d === "i2r" ? XR : XI, dir = x2 > x1 ? 1 : -1;
    // The message an unfinished exchange stopped at: one seen only in part
    // when there is one, else the last of the exchange.
    var open = s.ghost || (!d.hasGhost && !s.done && s.n === s.nx);
    var g = sv("g", { "class": "msg" + (k > 0 ? " rt" : "") + (open ? " open" : "") + (s.ghost ? " ghost" : ""), tabindex: 0, "data-step": r.si, "data-send": k, "data-frame": r.f });
    g.appendChild(sv("rect", { "class": "hit", x: Math.min(x1, x2) - 4, y: y - 19, width: Math.abs(x2 - x1) + 8, height: 36 }));
    g.appendChild(sv("line", { x1: x1, y1: y, x2: x2 - dir * 9, y2: y }));
    g.appendChild(sv("path", {
      "class": s.ghost ? "head-open" : k > 0 ? "head-rt" : open ? "head-open" : "head-i",
      d: "M" + x2 + " " + y + " l" + (-dir * 10) + " -5 v10 z"
    }));
    var name = s.x;
    if (s.ghost) name += s.frag_only ? " (IP fragments only)" : " (not decoded)";
    else if (d.sa.version === 2 && s.nx <= 2) name += s.n === 1 ? " request" : " response";
    else if (s.nx > 1) name += " #" + s.n;
    var label = k === 0 ? name : name + " retransmission " + k + "/" + (sends - 1);
    g.appendChild(sv("text", { "class": "lbl", x: (x1 + x2) / 2, y: y - 6, "text-anchor": "middle" }, label));
    var sub = "frame " + r.f + (s.ghost ? " \u00b7 never whole" : " \u00b7 " + s.len + " B");
    if (k === 0 && !s.ghost) {
      sub += " \u00b7 " + (s.p.length ? s.p.join(" ") : s.enc ? "encrypted" : "no payloads");
      if (s.notify && s.notify.length) sub += " \u00b7 " + s.notify.join(", ");
    }
    g.appendChild(sv("text", { "class": "sub", x: (x1 + x2) / 2, y: y + 14, "text-anchor": "middle" }, clip(sub, 70)));
    if (k === 0 && sends > 1) {
      g.appendChild(sv("text", { "class": "rtx", x: x1 - dir * 8, y: y + 4, "text-anchor": dir > 0 ? "end" : "start" }, "\u00d7" + sends));
    }
    g.appendChild(sv("title", {}, stepText(d, s, k).join("\n")));
    function pick() { onSelect(g); showStep(stepBox, d, s, k); }
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
    return g;
  }

  // Open what the address names, or everything when there is little.
  var rowsAll = table ? table.querySelectorAll(".row.sa") : [];
  var target = location.hash && location.hash.indexOf("#sa-") === 0 ? document.getElementById(location.hash.slice(1)) : null;
  if (target && target.classList.contains("sa")) {
    toggle(target, true);
  } else if (rowsAll.length <= 8) {
    for (var n = 0; n < rowsAll.length; n++) toggle(rowsAll[n], true);
  }
}());
