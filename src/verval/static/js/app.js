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
