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
// A request of htmx that fails on a slow or dropping link is never lost in silence (decision
// 0069): the control says it is waiting and takes no second click; a failure is said next to it
// in the page's language (the texts are rendered in base.html's #net-messages), with what the user
// typed left in place; the next answer that succeeds from the same control takes the message away.
(function () {
  var texts = document.getElementById("net-messages");
  if (!texts) {
    return; // a page without htmx (signed out)
  }
  var counter = 0;
  function keyOf(elt) {
    if (elt.id) {
      return elt.id;
    }
    if (!elt.dataset.netKey) {
      counter += 1;
      elt.dataset.netKey = "net-" + counter;
    }
    return elt.dataset.netKey;
  }
  // Only what a person clicked or sent shows it is busy: not a poll, not the check of a number
  // being typed.
  function busyControl(elt) {
    return elt.tagName === "FORM" || elt.tagName === "A" || elt.tagName === "BUTTON";
  }
  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements || [], function (el) {
      return el.tagName === "BUTTON" && el.type === "submit";
    });
  }
  // A request that gets no answer ends: htmx waits forever by default.
  document.addEventListener("htmx:configRequest", function (event) {
    var ms = Number(document.body.dataset.requestTimeout);
    if (!event.detail.timeout && ms > 0) {
      event.detail.timeout = ms;
    }
  });
  // A second click while the first is on its way is dropped, not queued behind it. An element
  // with hx-sync (the school list's filters: the newest request wins) keeps its own rule.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (elt.getAttribute("aria-busy") === "true" && !elt.hasAttribute("hx-sync")) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!busyControl(elt)) {
      return;
    }
    elt.setAttribute("aria-busy", "true");
    // aria-disabled rather than disabled: a disabled button loses the keyboard's focus.
    if (elt.tagName === "FORM") {
      submitButtons(elt).forEach(function (b) {
        if (!b.disabled && !b.hasAttribute("aria-disabled")) {
          b.setAttribute("aria-disabled", "true");
          b.dataset.netBusy = "1";
        }
      });
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.getAttribute("aria-busy") === "true") {
      elt.removeAttribute("aria-busy");
    }
    if (elt.tagName === "FORM") {
      submitButtons(elt).forEach(function (b) {
        if (b.dataset.netBusy) {
          b.removeAttribute("aria-disabled");
          delete b.dataset.netBusy;
        }
      });
    }
  });
  // An answer that succeeded: before the swap, while the element is still in the page (after an
  // outerHTML swap htmx tells afterRequest to an ancestor instead). This event is the target's;
  // the element that asked is in requestConfig.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    var key = elt.id || elt.dataset.netKey;
    if (event.detail.isError || !key) {
      return;
    }
    document.querySelectorAll(".net-error").forEach(function (m) {
      if (m.dataset.for === key) {
        m.remove();
      }
    });
  });
  // A click on a busy form's button (aria-disabled) sends nothing natively either.
  document.addEventListener(
    "click",
    function (event) {
      var b = event.target && event.target.closest ? event.target.closest("button[aria-disabled='true']") : null;
      if (b) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true
  );
  // Next to what was clicked: inside its form, after a button that sends a form from outside it
  // (the pager below the list), else right after the element (the job page's progress).
  function show(detail, kind) {
    var source = texts.content.querySelector("[data-net='" + kind + "']");
    var elt = detail.elt;
    if (!source || !document.body.contains(elt)) {
      return;
    }
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    var submitter = trigger && trigger.submitter;
    var inside = null;
    var after = null;
    if (elt.tagName === "FORM" && submitter && !elt.contains(submitter)) {
      after = submitter;
    } else {
      inside = elt.tagName === "FORM" ? elt : elt.closest("form");
      after = inside ? null : elt;
    }
    var old = inside ? inside.querySelector(":scope > .net-error") : after.nextElementSibling;
    if (old && !old.classList.contains("net-error")) {
      old = null;
    }
    var key = keyOf(elt);
    if (old && old.dataset.kind === kind) {
      old.dataset.for = key; // the same words again are not read out again
      return;
    }
    var message = document.createElement("p");
    message.className = "net-error";
    message.setAttribute("role", "alert");
    message.dataset.for = key;
    message.dataset.kind = kind;
    Array.prototype.forEach.call(source.childNodes, function (n) {
      message.appendChild(n.cloneNode(true));
    });
    // The sign-in or two-factor link leads back to this page.
    var signIn = message.querySelector("a[data-sign-in]");
    if (signIn) {
      var here = window.location.pathname + window.location.search;
      signIn.setAttribute("href", signIn.getAttribute("href") + "?next=" + encodeURIComponent(here));
    }
    if (old) {
      old.replaceWith(message);
    } else if (inside) {
      inside.appendChild(message);
    } else {
      after.after(message);
    }
  }
  document.addEventListener("htmx:sendError", function (event) {
    show(event.detail, "offline");
  });
  document.addEventListener("htmx:timeout", function (event) {
    show(event.detail, "timeout");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var kind = "refused";
    // The two-factor gate's 403 says so in a header: a 403 alone is also a stale CSRF token.
    if (event.detail.xhr.getResponseHeader("Verval-Refused") === "two-factor") {
      kind = "two-factor";
    } else if (status === 401) {
      kind = "session";
    } else if (status === 502 || status === 503 || status === 504) {
      kind = "unavailable";
    } else if (status >= 500) {
      kind = "server";
    }
    show(event.detail, kind);
  });
})();
