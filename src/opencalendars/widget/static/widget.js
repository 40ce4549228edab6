/* The booking widget's script: the pages work without it; it only helps.
   - Opens the page in the visitor's own time zone (Intl) unless one was chosen.
   - Stops a form being sent twice.
   - Remembers the person's details in this browser when the calendar asks (stickyContact).
   - Tells an embedding page (embed.js) how tall the widget is. */
(function () {
  "use strict";

  function detectedZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch (e) {
      return null;
    }
  }

  function openInVisitorZone(card) {
    if (card.getAttribute("data-zone-explicit") !== "false") { return false; }
    var select = document.getElementById("timezone");
    var zone = detectedZone();
    if (!select || !zone || select.value === zone) { return false; }
    var known = false;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { known = true; break; }
    }
    if (!known) { return false; }
    var url = new URL(window.location.href);
    url.searchParams.set("timezone", zone);
    url.searchParams.delete("slot");
    window.location.replace(url.toString());
    return true;
  }

  var STICKY_KEY = "opencalendars.contact";
  var STICKY_FIELDS = ["firstName", "lastName", "email", "phone"];

  function restoreContact(form) {
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(STICKY_KEY) || "null"); } catch (e) { return; }
    if (!saved) { return; }
    STICKY_FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (input && !input.value && typeof saved[name] === "string") { input.value = saved[name]; }
    });
  }

  function rememberContact(form) {
    var saved = {};
    STICKY_FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (input) { saved[name] = input.value.slice(0, 255); }
    });
    try { window.localStorage.setItem(STICKY_KEY, JSON.stringify(saved)); } catch (e) { /* private mode */ }
  }

  function guardSubmit(form, sticky) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "true") { event.preventDefault(); return; }
      form.setAttribute("data-sent", "true");
      if (sticky) { rememberContact(form); }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.setAttribute("aria-disabled", "true"); }
    });
  }

  function reportHeight() {
    if (window.parent === window) { return; }
    var height = document.documentElement.scrollHeight;
    window.parent.postMessage({ type: "opencalendars:height", height: height }, "*");
  }

  function focusFirst() {
    var target = document.getElementById("alert") || document.getElementById("done");
    if (target) { target.focus(); return; }
    var invalid = document.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var card = document.querySelector(".booking");
    if (card && openInVisitorZone(card)) { return; }
    var form = document.getElementById("booking-form");
    var sticky = card && card.getAttribute("data-sticky") === "true";
    if (form) {
      if (sticky) { restoreContact(form); }
      guardSubmit(form, sticky);
    }
    document.querySelectorAll("form").forEach(function (other) {
      if (other !== form && other.method.toLowerCase() === "post") { guardSubmit(other, false); }
    });
    focusFirst();
    reportHeight();
    window.addEventListener("resize", reportHeight);
  });
})();
