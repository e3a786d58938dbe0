// Casebook's own script, loaded from our origin (CSP script-src 'self'; nothing inline).
// Pages work without it; it only adds keyboard shortcuts.

// "/" focuses the search box in the top bar (unless the key is typed into a field).
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const box = document.getElementById('jump-q');
  if (!(box instanceof HTMLInputElement)) return;
  event.preventDefault();
  box.focus();
  box.select();
});
