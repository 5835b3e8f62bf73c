// The till's sale screen (sales/views/till_sale.py): keyboard and scanner only.
// - Scan box: code + Enter adds the article (lmb.js sends the scans one after the other).
// - Enter on the empty scan box, or F8: the payment panel, cash prefilled at the amount due and
//   selected (typing « 50 » replaces it); Enter validates. Escape or F2: back to the scan box.
// - F9: a return at the counter. F4: sell a voucher (bon d'achat).
// The change shown here is a help for the cashier; the server computes the one recorded.
(function () {
  "use strict";

  function scanBox() { return document.getElementById("till-scan"); }
  function payForm() { return document.getElementById("till-pay-form"); }

  function afterScans(callback) {
    // lmb.js keeps the scans in flight in the global ``scanQueue``: wait for the last one, so the
    // amount due includes every article scanned.
    const queue = typeof scanQueue !== "undefined" ? scanQueue : Promise.resolve();
    queue.then(callback, callback);
  }

  function focusCash() {
    const form = payForm();
    const cash = form && form.querySelector("[data-till-cash]");
    if (!cash) { const box = scanBox(); if (box) box.focus(); return; }
    form.classList.add("border-primary", "border-2");
    cash.focus();
    cash.select();
  }

  function openPayment() { afterScans(focusCash); }

  function cents(value) {
    const text = (value || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{0,2})?$/.test(text)) return 0;
    const parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function euros(amount) {
    const units = Math.floor(amount / 100).toLocaleString("fr-FR");
    return units + "," + String(amount % 100).padStart(2, "0") + "\u00a0€";
  }

  function dueOf(form) { return cents(form.dataset.due); }

  function showChange(form) {
    let tendered = 0;
    form.querySelectorAll("[data-tender]").forEach(function (input) { tendered += cents(input.value); });
    const change = document.getElementById("till-change");
    if (change) change.textContent = euros(Math.max(tendered - dueOf(form), 0));
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-till-sale]")) return;
    const box = scanBox();
    if (event.key === "F2" && box) { event.preventDefault(); box.focus(); box.select(); return; }
    if (event.key === "F8") { event.preventDefault(); openPayment(); return; }
    if (event.key === "F9" || event.key === "F4") {
      const link = document.getElementById(event.key === "F9" ? "till-return-link" : "till-voucher-link");
      if (link) { event.preventDefault(); window.location.href = link.href; }
      return;
    }
    if (event.key === "Enter" && event.target === box && !box.value.trim()) {
      event.preventDefault();
      openPayment();
      return;
    }
    if (event.key === "Escape" && event.target.closest && event.target.closest("#till-pay-form") && box) {
      event.preventDefault();
      box.focus();
    }
  });

  document.addEventListener("input", function (event) {
    const form = event.target.closest && event.target.closest("#till-pay-form");
    if (!form) return;
    if (event.target.matches("[data-till-cash]")) {
      event.target.dataset.edited = "1";
    } else if (event.target.matches("[data-tender]")) {
      // Part card part cash: the cash still to take follows the other tenders, until typed.
      const cash = form.querySelector("[data-till-cash]");
      if (cash && !cash.dataset.edited) {
        let others = 0;
        form.querySelectorAll("[data-tender]:not([data-till-cash])").forEach(function (input) { others += cents(input.value); });
        const left = Math.max(dueOf(form) - others, 0);
        cash.value = left ? euros(left).replace(/\u00a0€$/, "").replace(/\s|\u202f/g, "") : "";
      }
    }
    showChange(form);
  });

  function settle() {
    const form = payForm();
    if (form) showChange(form);
    const focus = document.querySelector("[data-till-focus]");
    if (focus) { focus.removeAttribute("data-till-focus"); focusCash(); return; }
    const active = document.activeElement;
    if (active && active.matches && active.matches("[data-till-cash]")) active.select();
  }

  document.addEventListener("DOMContentLoaded", function () {
    settle();
    const ticket = document.getElementById("till-ticket");
    if (ticket) new MutationObserver(settle).observe(ticket, {childList: true});
  });
})();
