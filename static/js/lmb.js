// LMB's own behaviour. Barcode scanners type a code and Enter: the search box in the top bar is a
// plain GET form, so no script is needed for that. Here only keyboard comfort.
document.addEventListener("keydown", function (event) {
  // "/" focuses the search box from anywhere, like many back-offices; not while typing in a field.
  const target = event.target;
  const typing = target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && !typing) {
    const box = document.querySelector("[data-scanner-target]");
    if (box) { event.preventDefault(); box.focus(); box.select(); }
  }
});

// Scan forms (reception, inventory count, order lines): a barcode scanner types a code and Enter,
// and may type the next code before the server has answered. Each submission is captured at once,
// the box is emptied for the next code, and the submissions are sent one after the other; only
// the results block is replaced, never the box being typed in.
let scanQueue = Promise.resolve();

function resetScanField(input) {
  if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
}

document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-scan-form]");
  if (!form) return;
  event.preventDefault();
  const data = new FormData(form);
  const target = document.querySelector(form.dataset.scanTarget);
  form.querySelectorAll("[data-scan-reset]").forEach(resetScanField);
  const box = form.querySelector("[data-scan-box]");
  if (box) box.focus();
  scanQueue = scanQueue
    .then(function () {
      return fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"HX-Request": "true", "HX-Target": target.id},
      });
    })
    .then(function (response) { return response.text(); })
    .then(function (html) {
      target.innerHTML = html;
      if (window.htmx) window.htmx.process(target);
    })
    .catch(function () {
      target.insertAdjacentHTML("afterbegin",
        '<div class="alert alert-danger">Connexion perdue : le dernier scan n\u2019a pas été enregistré.</div>');
    });
});
