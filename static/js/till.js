// The till's count form (sales/till/session_close.html): the drawer counted by denomination,
// its total and the difference with the expected cash shown as the cashier types. The server
// computes them again on closing (sales.till.services.close_session); this is only a preview.
(function () {
  "use strict";

  function cents(text) {
    const parts = String(text).trim().split(".");
    const whole = parseInt(parts[0] || "0", 10);
    const fraction = parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
    const sign = String(text).trim().startsWith("-") ? -1 : 1;
    return sign * (Math.abs(whole) * 100 + fraction);
  }

  function euros(amount) {
    return new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" }).format(amount / 100);
  }

  function refresh(form) {
    let total = 0;
    form.querySelectorAll("[data-denomination]").forEach(function (input) {
      const pieces = parseInt(input.value, 10);
      const cell = input.closest("tr").querySelector("[data-line-total]");
      const valid = Number.isInteger(pieces) && pieces >= 0 && pieces <= 100000;
      const line = valid ? pieces * cents(input.dataset.denomination) : 0;
      total += line;
      if (cell) cell.textContent = valid && pieces ? euros(line) : "—";
    });
    const difference = total - cents(form.dataset.expected);
    form.querySelector("#counted-total").textContent = euros(total);
    const shown = form.querySelector("#count-difference");
    shown.textContent = euros(difference);
    shown.classList.toggle("text-danger", difference !== 0);
    shown.classList.toggle("text-success", difference === 0);
    const hint = form.querySelector("#reason-hint");
    if (hint) hint.hidden = difference === 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-till-count]").forEach(function (form) {
      form.addEventListener("input", function () { refresh(form); });
      refresh(form);
    });
  });
})();
