// Curriculum progress: checkboxes marked data-kb-progress="<module>" keep their state in this
// browser's localStorage (no server, works offline). Keys do not depend on the language, so the
// zh and en pages share one record. Self-hosted, no dependencies: the site makes no request to
// another host. Hand-written because it is ~40 lines and no library does less.
(function () {
  "use strict";
  var PREFIX = "kb-curriculum:";

  function store() {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null; // storage disabled (private mode, file:// in some browsers): boxes still work
    }
  }

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[type=checkbox][data-kb-progress]"));
  }

  function summarize() {
    var ids = {};
    boxes().forEach(function (b) { ids[b.getAttribute("data-kb-progress")] = b.checked; });
    var all = Object.keys(ids);
    var done = all.filter(function (k) { return ids[k]; }).length;
    document.querySelectorAll("[data-kb-progress-done]").forEach(function (el) { el.textContent = String(done); });
    document.querySelectorAll("[data-kb-progress-total]").forEach(function (el) { el.textContent = String(all.length); });
  }

  function init() {
    var s = store();
    boxes().forEach(function (box) {
      var key = PREFIX + box.getAttribute("data-kb-progress");
      box.checked = !!s && s.getItem(key) === "done";
      if (box.dataset.kbProgressBound) return;
      box.dataset.kbProgressBound = "1";
      box.addEventListener("change", function () {
        if (s) {
          if (box.checked) s.setItem(key, "done"); else s.removeItem(key);
        }
        // The same module may appear twice on a page (table and header): keep them in step.
        boxes().forEach(function (other) {
          if (other !== box && other.getAttribute("data-kb-progress") === box.getAttribute("data-kb-progress")) {
            other.checked = box.checked;
          }
        });
        summarize();
      });
    });
    document.querySelectorAll("[data-kb-progress-reset]").forEach(function (btn) {
      if (btn.dataset.kbProgressBound) return;
      btn.dataset.kbProgressBound = "1";
      btn.addEventListener("click", function () {
        boxes().forEach(function (b) {
          b.checked = false;
          if (s) s.removeItem(PREFIX + b.getAttribute("data-kb-progress"));
        });
        summarize();
      });
    });
    summarize();
  }

  // Material's instant navigation (if enabled) swaps pages without a load event: use its
  // document$ observable when present, else the ordinary DOMContentLoaded.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
