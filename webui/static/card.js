/* The card page: a section named in the address (#metrics, a gate's link, the section menu)
   opens in place; after a form came back with errors its first invalid field gets the focus.
   Without JavaScript the sections still open by a click (<details>) and ?open=<section>. */
(function () {
  "use strict";
  function openSection(id) {
    var section = id ? document.getElementById(id) : null;
    if (!section || !section.classList.contains("fold")) { return null; }
    var details = section.querySelector("details");
    if (details) { details.open = true; }
    return section;
  }
  function fromHash() {
    var section = openSection(decodeURIComponent(window.location.hash.slice(1)));
    if (section) { section.scrollIntoView(); }
  }
  document.addEventListener("click", function (evt) {
    var link = evt.target && evt.target.closest ? evt.target.closest("a[href*='#']") : null;
    if (!link || link.pathname !== window.location.pathname) { return; }
    var id = decodeURIComponent(link.hash.slice(1));
    var section = openSection(id) || document.getElementById(id);
    if (!section) { return; }
    evt.preventDefault();
    if (window.history && window.history.replaceState) { window.history.replaceState(null, "", "#" + id); }
    section.scrollIntoView();
  });
  window.addEventListener("hashchange", fromHash);
  function ready() {
    var invalid = document.querySelector(".project [aria-invalid='true']");
    var alert = document.querySelector(".project form .error[role='alert']");
    if (invalid) {
      invalid.focus();
      invalid.scrollIntoView({ block: "center" });
    } else if (alert) {
      alert.scrollIntoView({ block: "center" });
    } else if (document.querySelector("main > .flashes")) {
      /* a move from the card («Завершить проект», a request, an approval) reports at the top:
         show the message with the stage panel under it rather than scroll it away */
      document.querySelector("main > .flashes").scrollIntoView({ block: "start" });
    } else {
      fromHash();
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
}());
