// Progressive enhancement only: every page works without this file.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el && el.classList && el.classList.contains("autosubmit") && el.form) {
    el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target;
  if (el && el.dataset && el.dataset.confirm && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
  }
  if (el && el.classList && el.classList.contains("select-all")) {
    var boxes = document.querySelectorAll("input[name='" + el.dataset.target + "']");
    boxes.forEach(function (b) { b.checked = el.checked; });
  }
});
// A file larger than the server takes is refused here, before a slow link uploads all of it.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (!el || el.type !== "file" || !el.dataset || !el.dataset.maxBytes) {
    return;
  }
  var tooBig = el.files && el.files.length && el.files[0].size > Number(el.dataset.maxBytes);
  el.setCustomValidity(tooBig ? el.dataset.tooBig || "" : "");
  if (tooBig) {
    el.reportValidity();
  }
});
// A submit button outside its form (form="...") with a name: htmx does not send its value (the
// search pager's page number), so it travels in a hidden field for this one submission only.
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest ? event.target.closest("button[form][name]") : null;
  var form = button && button.form;
  if (!form || button.type !== "submit" || form.contains(button)) {
    return;
  }
  var carrier = document.createElement("input");
  carrier.type = "hidden";
  carrier.name = button.name;
  carrier.value = button.value;
  form.appendChild(carrier);
  // The submission (and htmx reading the form) happens before this runs.
  setTimeout(function () { carrier.remove(); }, 0);
});
// Filters folded on a phone (<details data-open-wide>) start open on a wide screen.
if (window.matchMedia && window.matchMedia("(min-width: 601px)").matches) {
  document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
}
// The language form returns to the page as it is now: htmx changes the address (the school
// list's filters, HX-Push-Url) without reloading the header that holds this field.
document.addEventListener("htmx:pushedIntoHistory", function () {
  document.querySelectorAll("form input[type=hidden][name=next][data-here]").forEach(function (el) {
    el.value = window.location.pathname + window.location.search;
  });
});
// A page restored from the back/forward cache is the page as it was, not as the server has it
// now: the school list would offer its old versions and ticks again after a confirmation (Safari
// keeps no-store pages in that cache; Chrome may). Such a page asks to be loaded again.
window.addEventListener("pageshow", function (event) {
  if (event.persisted && document.querySelector("[data-reload-on-restore]")) {
    window.location.reload();
  }
});
