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
/* Lean School board: drag a card (anywhere on it, its title too: a click still opens it) to
   another column to move it (Sortable.js + htmx); a card shows drop slots only in the columns
   it may go to (data-dests). Everything also works without JavaScript: the card's menu
   «Переместить» opens a page of its moves, the filters are a plain GET form, the stage tabs
   are links. */
(function () {
  "use strict";
  var focusAfterMove = null;  // the card whose keyboard move is under way: focus returns to it
  var stage = null;           // the column shown on a phone (the stage tab picked here)
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function allowed(card, list) {
    var dests = (card.getAttribute("data-dests") || "").split(" ");
    return dests.indexOf(list.getAttribute("data-state")) >= 0;
  }
  function initBoard(root) {
    var lists = root.querySelectorAll ? root.querySelectorAll("ol[data-state]") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list._sortable) { return; }
      var lane = list.getAttribute("data-lane") || "";
      list._sortable = Sortable.create(list, {
        group: { name: "board" + lane, pull: true,
                 put: function (to, from, dragEl) { return allowed(dragEl, to.el); } },
        sort: false,
        animation: 120,
        draggable: ".card",
        filter: "details, summary, button, input, textarea, select, form",
        preventOnFilter: false,
        delay: 200, delayOnTouchOnly: true,  // a phone scrolls the page unless one holds the card
        onStart: function (evt) {
          document.body.classList.add("dragging");
          Array.prototype.forEach.call(document.querySelectorAll('#board ol[data-state]'), function (ol) {
            if ((ol.getAttribute("data-lane") || "") !== lane || ol === evt.from) { return; }
            ol.classList.add(allowed(evt.item, ol) ? "drop-ok" : "drop-no");
          });
        },
        onEnd: function (evt) {
          document.body.classList.remove("dragging");
          Array.prototype.forEach.call(document.querySelectorAll("#board .drop-ok, #board .drop-no"), function (ol) {
            ol.classList.remove("drop-ok", "drop-no");
          });
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
  /* the phone's one column: the tab's stage is shown, the others hidden (CSS) */
  function showStage(board, state) {
    if (!board || !state || !board.querySelector('[data-stage-tab="' + state + '"]')) { return; }
    stage = state;
    board.setAttribute("data-stage", state);
    Array.prototype.forEach.call(board.querySelectorAll("[data-column]"), function (col) {
      col.classList.toggle("current", col.getAttribute("data-column") === state);
    });
    Array.prototype.forEach.call(board.querySelectorAll("[data-stage-tab]"), function (tab) {
      if (tab.getAttribute("data-stage-tab") === state) { tab.setAttribute("aria-current", "true"); }
      else { tab.removeAttribute("aria-current"); }
    });
  }
  document.addEventListener("click", function (evt) {
    var tab = evt.target && evt.target.closest ? evt.target.closest("[data-stage-tab]") : null;
    if (!tab) { return; }
    evt.preventDefault();
    showStage(tab.closest("#board"), tab.getAttribute("data-stage-tab"));
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", tab.getAttribute("href"));
    }
  });
  htmx.onLoad(function (el) {
    initBoard(el);
    var board = el.id === "board" ? el : null;
    if (board && stage) { showStage(board, stage); }
  });
  /* a move from a card's menu (the keyboard's way): remember the card ... */
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    var path = elt && elt.getAttribute ? elt.getAttribute("hx-post") || "" : "";
    var m = /\/projects\/(\d+)\/move/.exec(path);
    focusAfterMove = m ? m[1] : null;
  });
  /* ... and give it the focus back on the new board, in whichever column it is now */
  document.addEventListener("htmx:afterSettle", function () {
    var msg = document.querySelector("#board-message .message");
    if (msg) { msg.setAttribute("tabindex", "-1"); }
    if (!focusAfterMove) { return; }
    var card = document.querySelector('#board [data-project-id="' + focusAfterMove + '"]');
    focusAfterMove = null;
    if (!card) { return; }
    var column = card.closest("[data-column]");
    if (column) { showStage(card.closest("#board"), column.getAttribute("data-column")); }
    var title = card.querySelector(".card-title");
    if (title) { title.focus(); }
  });
})();
/* The header on a phone: the menu button shows and hides the navigation (without
   JavaScript the button stays hidden and the navigation open). */
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  var button = header ? header.querySelector("[data-menu-toggle]") : null;
  if (!button) { return; }
  header.classList.add("collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
/* A button with data-confirm asks before it submits its form (the readiness questionnaire's
   «Отправить»); without JavaScript the form submits at once. */
document.addEventListener("click", function (evt) {
  "use strict";
  var button = evt.target && evt.target.closest ? evt.target.closest("button[data-confirm]") : null;
  if (button && !window.confirm(button.getAttribute("data-confirm"))) { evt.preventDefault(); }
});
