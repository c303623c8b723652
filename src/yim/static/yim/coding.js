/* Coding in the browser: turn a text selection into offsets and post them.
 *
 * The transcript is split into blocks (.coding-block) that hold every character of the text
 * exactly once; each block carries its start as a UTF-16 offset (data-utf16-start). The
 * selection's ends are counted in UTF-16 code units, as JavaScript strings count, and the
 * server converts them to Unicode code points. No inline script (CSP): loaded with defer.
 */
(function () {
  "use strict";

  var COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

  function applyColours(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      var colour = el.getAttribute("data-color");
      if (!COLOUR.test(colour)) { return; }
      if (el.classList.contains("seg")) {
        // Translucent highlight: #RGB + alpha digit, or #RRGGBB + alpha byte.
        el.style.backgroundColor = colour + (colour.length === 4 ? "6" : "66");
      } else if (el.classList.contains("chip")) {
        el.style.backgroundColor = colour;
      } else {
        // A code's label or margin entry: its chip is drawn by ::before (coding.css).
        el.style.setProperty("--chip", colour);
      }
    });
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* The selection as {start, end, text} in UTF-16 units of the whole text, or null. */
  function selectionOffsets(container) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { return null; }
    var range = selection.getRangeAt(0);
    var start = null;
    var end = null;
    container.querySelectorAll(".coding-block").forEach(function (block) {
      if (!range.intersectsNode(block)) { return; }
      var whole = document.createRange();
      whole.selectNodeContents(block);
      var part = whole.cloneRange();
      if (range.compareBoundaryPoints(Range.START_TO_START, whole) > 0) {
        part.setStart(range.startContainer, range.startOffset);
      }
      if (range.compareBoundaryPoints(Range.END_TO_END, whole) < 0) {
        part.setEnd(range.endContainer, range.endOffset);
      }
      var length = part.toString().length;
      if (length === 0) { return; }
      var before = document.createRange();
      before.setStart(block, 0);
      before.setEnd(part.startContainer, part.startOffset);
      var first = parseInt(block.getAttribute("data-utf16-start"), 10) + before.toString().length;
      if (start === null || first < start) { start = first; }
      if (end === null || first + length > end) { end = first + length; }
    });
    if (start === null || end <= start) { return null; }
    return { start: start, end: end, text: range.toString() };
  }

  function post(url, form, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(form),
        "Accept": "application/json"
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || String(response.status)); }
        return data;
      });
    });
  }

  /* Strip accents and case, so "echt" finds "écht". */
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* A search field narrows one list: <input data-filter="ID"> hides the options of the
   * <select id=ID>, or the <label>s inside the element id=ID, that do not contain the typed
   * text (options marked data-keep stay). Its wrapper [data-filter-field] is hidden until
   * this script runs, since without JavaScript the field would do nothing. */
  function initFilters(root) {
    root.querySelectorAll("input[data-filter]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("data-filter"));
      if (!list) { return; }
      var items = list.tagName === "SELECT" ? list.options : list.querySelectorAll("label");
      var texts = null; // folded once, on first use
      var wrapper = input.closest("[data-filter-field]");
      if (wrapper) { wrapper.hidden = false; }
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); } // never submits a form
      });
      input.addEventListener("input", function () {
        if (texts === null) {
          texts = Array.prototype.map.call(items, function (el) { return fold(el.textContent); });
        }
        var wanted = fold(input.value.trim());
        Array.prototype.forEach.call(items, function (el, i) {
          el.hidden = wanted !== "" && !el.hasAttribute("data-keep") && texts[i].indexOf(wanted) === -1;
        });
      });
    });
  }

  function init() {
    applyColours(document);
    initFilters(document);
    var container = document.getElementById("coding-text");
    var form = document.getElementById("coding-form");
    if (!container || !form) { return; }
    var preview = document.getElementById("selection-preview");
    var status = document.getElementById("coding-status");
    var remembered = null; // kept while the user taps a checkbox (mobile clears selections)

    function current() {
      var now = selectionOffsets(container);
      if (now) { remembered = now; }
      return remembered;
    }

    document.addEventListener("selectionchange", function () {
      var now = selectionOffsets(container);
      if (now) {
        remembered = now;
        var shown = now.text.length > 120 ? now.text.slice(0, 117) + "…" : now.text;
        preview.textContent = form.getAttribute("data-msg-selected") + " “" + shown + "”";
        form.classList.add("has-selection");
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = current();
      var codes = Array.prototype.map.call(
        form.querySelectorAll("input[name=code]:checked"),
        function (box) { return parseInt(box.value, 10); }
      );
      if (!chosen) { status.textContent = form.getAttribute("data-msg-none"); return; }
      if (codes.length === 0) { status.textContent = form.getAttribute("data-msg-nocode"); return; }
      status.textContent = form.getAttribute("data-msg-saving");
      post(form.getAttribute("data-url"), form, { start: chosen.start, end: chosen.end, codes: codes })
        .then(function () { window.location.reload(); })
        .catch(function (error) {
          status.textContent = form.getAttribute("data-msg-failed") + " " + error.message;
        });
    });

    container.querySelectorAll("button.adjust").forEach(function (button) {
      button.addEventListener("click", function () {
        var chosen = current();
        if (!chosen) { status.textContent = form.getAttribute("data-msg-none"); return; }
        post(button.getAttribute("data-adjust-url"), form, { start: chosen.start, end: chosen.end })
          .then(function () { window.location.reload(); })
          .catch(function (error) {
            status.textContent = form.getAttribute("data-msg-failed") + " " + error.message;
          });
      });
    });

    // Hovering or focusing a margin entry outlines its passage in the text.
    container.querySelectorAll(".margin-seg").forEach(function (entry) {
      var id = entry.getAttribute("data-segment");
      function mark(on) {
        container.querySelectorAll("mark.seg").forEach(function (piece) {
          var ids = (piece.getAttribute("data-segments") || "").split(" ");
          if (ids.indexOf(id) !== -1) { piece.classList.toggle("seg-focus", on); }
        });
      }
      entry.addEventListener("mouseenter", function () { mark(true); });
      entry.addEventListener("mouseleave", function () { mark(false); });
      entry.addEventListener("focusin", function () { mark(true); });
      entry.addEventListener("focusout", function () { mark(false); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
