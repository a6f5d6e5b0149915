/* kb-casebook: the case index filter and the interactive flame graphs.
 * Self-hosted (no CDN). d3 and d3-flame-graph are loaded only on pages that have a flame graph,
 * from the folder this script was served from. */
(function () {
  "use strict";
  var me = document.currentScript && document.currentScript.src;
  var base = me ? me.replace(/casebook\.js(\?.*)?$/, "") : "";

  function filterIndex(box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    if (!table) return;
    var selects = box.querySelectorAll("select");
    var count = box.querySelector(".kb-case-count");
    function apply() {
      var shown = 0;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var ok = true;
        selects.forEach(function (s) {
          var want = s.value;
          if (!want) return;
          var have = (row.getAttribute("data-" + s.name) || "").split(" ");
          if (have.indexOf(want) < 0) ok = false;
        });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (count) count.textContent = String(shown);
    }
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    apply();
  }

  function load(src, done) {
    var s = document.createElement("script");
    s.src = base + src;
    s.onload = done;
    document.head.appendChild(s);
  }

  function drawFlame(el) {
    var trees = JSON.parse(el.getAttribute("data-flame"));
    var bar = document.createElement("div");
    bar.className = "kb-flame-buttons";
    var holder = document.createElement("div");
    el.appendChild(bar);
    el.appendChild(holder);
    function show(which) {
      holder.innerHTML = "";
      var chart = window.flamegraph.default ? window.flamegraph.default() : window.flamegraph.flamegraph();
      chart.width(Math.max(320, el.clientWidth || 800)).cellHeight(18).transitionDuration(200);
      window.d3.select(holder).datum(trees[which]).call(chart);
    }
    ["before", "after"].forEach(function (which) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "md-button";
      b.textContent = el.getAttribute("data-" + which) || which;
      b.addEventListener("click", function () { show(which); });
      bar.appendChild(b);
    });
    show("before");
  }

  function init() {
    document.querySelectorAll(".kb-case-filter").forEach(filterIndex);
    var flames = document.querySelectorAll(".kb-flame");
    if (flames.length) {
      load("d3.min.js", function () {
        load("d3-flamegraph.min.js", function () { flames.forEach(drawFlame); });
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
