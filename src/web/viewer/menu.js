// The "Options" menu of a narrow toolbar: the less-used view options (wrap, line numbers, time,
// lines kept, clear, download) fold behind one button below a width the stylesheet sets; the
// button opens and closes them, and a click elsewhere or Esc closes them.

import { el } from "../dom.js";

function setOpen(open) {
  el.options.classList.toggle("open", open);
  el.optionsToggle.setAttribute("aria-expanded", String(open));
}

export function setupMenu() {
  el.optionsToggle.addEventListener("click", () => setOpen(!el.options.classList.contains("open")));
  document.addEventListener("click", (e) => {
    if (!el.options.classList.contains("open") || !(e.target instanceof Element)) return;
    if (!e.target.closest("#options, #options-toggle")) setOpen(false);
  });
  el.options.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    setOpen(false);
    el.optionsToggle.focus();
  });
}
