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
