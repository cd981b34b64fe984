/* The reports' "Print" button (no inline script): any [data-print] opens the print dialog. */
document.addEventListener("click", function (evt) {
  "use strict";
  var button = evt.target && evt.target.closest ? evt.target.closest("[data-print]") : null;
  if (button) { evt.preventDefault(); window.print(); }
});
/* A <select data-autosubmit> submits its form when changed (the board's organisation pick). */
document.addEventListener("change", function (evt) {
  "use strict";
  var el = evt.target;
  if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
});
/* The board refreshes itself every 20 s (hx-trigger), but not while someone is dragging a
   card, has a card's menu open or is typing in it: the refresh is cancelled then. No
   trigger filter in the template, since those are evaluated code, which the
   Content-Security-Policy (and htmx's allowEval: false) forbids. */
document.addEventListener("htmx:confirm", function (evt) {
  "use strict";
  var elt = evt.detail && evt.detail.elt;
  if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-refresh-when-idle")) { return; }
  var busy = document.body.classList.contains("dragging") ||
    document.querySelector("#board details[open], #board textarea:focus");
  if (busy) { evt.preventDefault(); }
});
/* Lean School board: drag a card to another column to move it (Sortable.js + htmx).
   Everything also works without JavaScript through the forms in each card's menu. */
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function initBoard(root) {
    var lists = root.querySelectorAll ? root.querySelectorAll("ol[data-state]") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list._sortable) { return; }
      list._sortable = Sortable.create(list, {
        group: "board",
        animation: 120,
        draggable: ".card",
        filter: "details, summary, a, button, input, textarea, select",
        preventOnFilter: false,
        onStart: function () { document.body.classList.add("dragging"); },
        onEnd: function (evt) {
          document.body.classList.remove("dragging");
          if (evt.from === evt.to) { return; }
          var card = evt.item;
          var url = "/projects/" + card.getAttribute("data-project-id") + "/move" + window.location.search;
          htmx.ajax("POST", url, {
            target: "#board", swap: "outerHTML",
            values: { dest: evt.to.getAttribute("data-state"), version: card.getAttribute("data-version") },
            headers: { "X-CSRFToken": csrfToken() }
          });
        }
      });
    });
  }
  htmx.onLoad(function (el) { initBoard(el); });
  document.addEventListener("htmx:afterSwap", function () {
    var msg = document.querySelector("#board-message .message");
    if (msg) { msg.setAttribute("tabindex", "-1"); }
  });
})();
/* A button with data-confirm asks before it submits its form (the readiness questionnaire's
   «Отправить»); without JavaScript the form submits at once. */
document.addEventListener("click", function (evt) {
  "use strict";
  var button = evt.target && evt.target.closest ? evt.target.closest("button[data-confirm]") : null;
  if (button && !window.confirm(button.getAttribute("data-confirm"))) { evt.preventDefault(); }
});
