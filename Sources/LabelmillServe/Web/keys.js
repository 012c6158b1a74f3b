// Every key of the screen, shown by `?`, and the rule that keys wait while one types.

export const KEYS = {
  common: [
    ['1 – 9', 'Apply the tag with that number'],
    ['Ctrl+Z', 'Undo (saved at once)'],
    ['Ctrl+Shift+Z, Ctrl+Y', 'Redo'],
    ['Ctrl+Enter', 'Submit the page (when every image is labeled)'],
    ['?', 'Show or hide this list'],
    ['Esc', 'Close this list, cancel a drawing, clear the selection'],
  ],
  classification: [
    ['Click an image', 'Select or deselect it'],
    ['Ctrl+A', 'Select all images in view'],
    ['1 – 9', 'Multi-class: set that tag on the selected images. Multi-label: add it to the selected images, then deselect'],
    ['A', 'Accept the model’s suggestions for the selected images that have no tag (all when none is selected)'],
    ['PageDown, ]', 'Next images (when the layout shows fewer than the page has)'],
    ['PageUp, [', 'Previous images'],
  ],
  regions: [
    ['R', 'Draw boxes: drag on the image'],
    ['M', 'Adjust: drag an edge or corner, or drag inside to move'],
    ['T', 'Template box at the pointer (size of the last box drawn, else 50 x 50)'],
    ['P', 'Draw a polygon: click points; double-click, Enter or click the first point to finish'],
    ['U', 'Points: click an edge to add a point, click a point to remove it, drag a point to move it'],
    ['L', 'Lock or unlock the regions drawn so far'],
    ['1 – 9', 'Tag of the next region; retags the selected region'],
    ['Tab, Shift+Tab', 'Select the next or previous region'],
    ['Delete, Backspace', 'Delete the selected region (while drawing a polygon: remove its last point)'],
    ['Arrow keys', 'Move the selected region 1 pixel (with Shift: 10 pixels)'],
    ['N', 'Nothing to mark here: this image has no regions'],
    ['A', 'Accept the model’s suggested regions on this image'],
    ['PageDown, ]', 'Next image'],
    ['PageUp, [', 'Previous image'],
    ['Wheel', 'Zoom at the pointer'],
    ['Space+drag, middle drag', 'Pan'],
    ['0', 'Fit the whole image'],
    ['+, -', 'Zoom in, zoom out'],
  ],
};

export function isTyping(e) {
  const t = e.target;
  if (!t || !t.tagName) return false;
  if (t.isContentEditable) return true;
  if (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return true;
  if (t.tagName === 'INPUT') return !['button', 'checkbox', 'radio', 'submit'].includes(t.type);
  return false;
}

export function digitOf(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const m = /^Digit([1-9])$/.exec(e.code) || /^Numpad([1-9])$/.exec(e.code);
  if (m) return Number(m[1]);
  if (/^[1-9]$/.test(e.key)) return Number(e.key);
  return null;
}

export function helpDialog(kind) {
  const dialog = document.createElement('dialog');
  dialog.className = 'lm-help';
  dialog.setAttribute('aria-label', 'Keyboard shortcuts');
  dialog.dataset.lmHelp = '';
  const rows = [...KEYS.common, ...(kind === 'regions' ? KEYS.regions : KEYS.classification)];
  dialog.innerHTML = `<h2>Keyboard shortcuts</h2>
    <table><tbody></tbody></table>
    <p class="lm-muted">Keys do nothing while you type in a comment.</p>
    <form method="dialog"><button class="lm-btn" aria-label="Close the list of keys">Close</button></form>`;
  const tbody = dialog.querySelector('tbody');
  for (const [k, what] of rows) {
    const tr = document.createElement('tr');
    const th = document.createElement('th'); th.textContent = k;
    const td = document.createElement('td'); td.textContent = what;
    tr.append(th, td); tbody.append(tr);
  }
  return dialog;
}
