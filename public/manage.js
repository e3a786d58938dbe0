/*
 * The manager console's builders, a little faster with JavaScript (everything works
 * without it: every button is a form post):
 * - rule builder: Alt+ArrowUp / Alt+ArrowDown moves the rule that has the focus; rules can
 *   be dragged by their heading onto another rule;
 * - workflow diagram: zoom buttons and dragging to pan (text never below 12 px: the zoom
 *   only goes up from the diagram's own size);
 * - both builders post on every change and come back whole: a click after typing is not lost
 *   to that post, and typing on while an answer is on its way is not overwritten by it.
 * No inline script or style (CSP): styles are set through the CSSOM only.
 */
(function () {
  'use strict';

  function builderForm() {
    return document.getElementById('builder-form');
  }

  /** Submits the builder with a command, as its buttons do (htmx sends it when loaded). */
  function command(op) {
    var form = builderForm();
    var builder = document.getElementById('builder');
    if (!form || !builder) return;
    // A button that kept the focus would send its own command instead.
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = 'op';
    input.value = op;
    builder.appendChild(input);
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  }

  document.addEventListener('keydown', function (event) {
    if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
    var target = event.target;
    var card = target && target.closest ? target.closest('.rule-card') : null;
    if (!card) return;
    var button = card.querySelector(event.key === 'ArrowUp' ? '[id$="-move-up"]' : '[id$="-move-down"]');
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  // Dragging a rule by its heading onto another rule puts it there.
  var dragged = null;
  document.addEventListener('dragstart', function (event) {
    var card = event.target && event.target.closest ? event.target.closest('.rule-card') : null;
    if (!card) return;
    dragged = card;
    card.classList.add('rule-dragging');
    if (event.dataTransfer) {
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', card.getAttribute('data-rule-index') || '');
    }
  });
  document.addEventListener('dragover', function (event) {
    var card = event.target && event.target.closest ? event.target.closest('.rule-card') : null;
    if (!dragged || !card || card === dragged) return;
    event.preventDefault();
    document.querySelectorAll('.rule-drop-target').forEach(function (el) {
      el.classList.remove('rule-drop-target');
    });
    card.classList.add('rule-drop-target');
  });
  document.addEventListener('drop', function (event) {
    var card = event.target && event.target.closest ? event.target.closest('.rule-card') : null;
    if (!dragged || !card || card === dragged) return;
    event.preventDefault();
    command('moveRule ' + dragged.getAttribute('data-rule-index') + ' to ' + card.getAttribute('data-rule-index'));
  });
  document.addEventListener('dragend', function () {
    if (dragged) dragged.classList.remove('rule-dragging');
    dragged = null;
    document.querySelectorAll('.rule-drop-target').forEach(function (el) {
      el.classList.remove('rule-drop-target');
    });
  });

  function markDraggable(root) {
    (root || document).querySelectorAll('.rule-card > .rule-card-head > h3').forEach(function (handle) {
      handle.setAttribute('draggable', 'true');
      handle.setAttribute('title', 'Drag onto another rule to move it there (or use Alt+↑ / Alt+↓)');
    });
  }

  // Workflow diagram: zoom (100 % and up) and pan by dragging the frame.
  var ZOOMS = [1, 1.25, 1.5, 2, 2.5, 3];
  function setupDiagram(frame) {
    if (frame.getAttribute('data-ready')) return;
    frame.setAttribute('data-ready', '1');
    var svg = frame.querySelector('svg');
    if (!svg) return;
    var width = Number(svg.getAttribute('width'));
    var height = Number(svg.getAttribute('height'));
    var level = 0;
    var controls = frame.parentElement ? frame.parentElement.querySelector('.diagram-zoom') : null;
    function apply() {
      var z = ZOOMS[level];
      svg.setAttribute('width', String(Math.round(width * z)));
      svg.setAttribute('height', String(Math.round(height * z)));
      var label = controls ? controls.querySelector('.zoom-level') : null;
      if (label) label.textContent = Math.round(z * 100) + ' %';
    }
    if (controls) {
      controls.querySelectorAll('a[data-zoom]').forEach(function (link) {
        link.addEventListener('click', function (event) {
          event.preventDefault();
          var dir = link.getAttribute('data-zoom');
          level = dir === 'in' ? Math.min(ZOOMS.length - 1, level + 1) : dir === 'out' ? Math.max(0, level - 1) : 0;
          apply();
        });
      });
    }
    var start = null;
    frame.addEventListener('pointerdown', function (event) {
      if (event.button !== 0 || (event.target.closest && event.target.closest('a'))) return;
      start = { x: event.clientX, y: event.clientY, left: frame.scrollLeft, top: frame.scrollTop };
      frame.classList.add('diagram-panning');
    });
    window.addEventListener('pointermove', function (event) {
      if (!start) return;
      frame.scrollLeft = start.left - (event.clientX - start.x);
      frame.scrollTop = start.top - (event.clientY - start.y);
    });
    window.addEventListener('pointerup', function () {
      start = null;
      frame.classList.remove('diagram-panning');
    });
  }

  function setup(root) {
    markDraggable(root);
    (root || document).querySelectorAll('.diagram[data-zoomable]').forEach(setupDiagram);
  }

  // A change (a field edited) is never a command: htmx would otherwise send the command of
  // a button that still has the focus (its last click), e.g. "+ Condition" once more.
  document.addEventListener('htmx:configRequest', function (event) {
    var detail = event.detail || {};
    var trigger = detail.triggeringEvent;
    if (trigger && trigger.type === 'change' && detail.elt && detail.elt.id === 'builder-form' && detail.parameters) {
      delete detail.parameters.op;
    }
  });

  // Typing in a field and then clicking a builder button: the mouse press moves the focus,
  // the field's change posts the form, and its answer replaces the builder (the button with
  // it) before the mouse is released, so the click never happened and "Save" did nothing.
  // The press leaves the focus where it is; the click's post carries the typed value.
  document.addEventListener('mousedown', function (event) {
    if (event.button !== 0) return;
    var button = event.target && event.target.closest ? event.target.closest('#builder-form button[type="submit"]') : null;
    var field = document.activeElement;
    if (!button || !field || field === button || !field.form || field.form.id !== 'builder-form') return;
    event.preventDefault();
  });

  // Typing on in a field while a post is on its way (the last field's change, or this one's
  // own): the builder it brings back would put the field's old value over what was typed
  // since and move the caret. The field being typed in is kept as it is (value, caret,
  // selection) unless the answer changed that field to something neither it nor the post
  // held; it takes the answer's attributes (aria-invalid, the messages it points to).
  // The same when typing in the JSON view brought the builder back out of band (its
  // validation answer redraws the forms 400 ms after the last key) while a field of the forms
  // was being typed in: that post carried none of the forms' fields.
  var sent = {};
  document.addEventListener('htmx:configRequest', function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === 'definition-json') sent = {};
    if (!elt || elt.id !== 'builder-form') return;
    sent = {};
    elt.querySelectorAll('input[id], textarea[id]').forEach(function (field) {
      sent[field.id] = field.value;
    });
  });
  var typing = null;
  document.addEventListener('htmx:beforeSwap', function (event) {
    typing = null;
    keepTyping(event);
  });
  document.addEventListener('htmx:oobBeforeSwap', keepTyping);
  function keepTyping(event) {
    if (!event.detail || !event.detail.shouldSwap) return;
    var target = event.detail.target;
    var field = document.activeElement;
    if (!target || target.id !== 'builder' || !field || !field.id || !target.contains(field)) return;
    if (field.tagName !== 'TEXTAREA' && !(field.tagName === 'INPUT' && /^(text|search|email|url|tel|number)$/.test(field.type))) return;
    var start = null;
    var end = null;
    try {
      start = field.selectionStart;
      end = field.selectionEnd;
    } catch (e) {
      // number fields have no selection to read
    }
    typing = { field: field, start: start, end: end };
    hold(field);
  }
  document.addEventListener('htmx:afterSwap', function () {
    var kept = typing;
    typing = null;
    if (!kept) return;
    var old = kept.field;
    var fresh = document.getElementById(old.id);
    old.keptState.swapping = false;
    var same = fresh && fresh !== old && fresh.tagName === old.tagName;
    if (!same || (fresh.defaultValue !== old.defaultValue && fresh.defaultValue !== sent[old.id])) {
      old.keptState.release(false);
      return;
    }
    Array.prototype.slice.call(old.attributes).forEach(function (a) {
      if (!fresh.hasAttribute(a.name)) old.removeAttribute(a.name);
    });
    Array.prototype.slice.call(fresh.attributes).forEach(function (a) {
      if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    });
    fresh.replaceWith(old);
    old.focus({ preventScroll: true });
    if (kept.start !== null && old.setSelectionRange) old.setSelectionRange(kept.start, kept.end);
  });

  // While a field is swapped out and back, Chrome reports the typing so far as a change,
  // which would post once per keystroke while answers keep coming. Until something is typed
  // after the latest swap, the field's change is dropped; when the field is left, its value
  // is posted unless a change went out since or the last post already carried it.
  function hold(field) {
    if (field.keptState) {
      field.keptState.typed = false;
      field.keptState.swapping = true;
      return;
    }
    var state = { typed: false, changed: false, swapping: true, release: release };
    field.keptState = state;
    function typed() {
      state.typed = true;
    }
    function gate(event) {
      if (!state.typed) event.stopImmediatePropagation();
      else state.changed = true;
    }
    function left() {
      if (!state.swapping) release(true);
    }
    function release(post) {
      field.removeEventListener('input', typed);
      field.removeEventListener('change', gate, true);
      field.removeEventListener('focusout', left);
      delete field.keptState;
      if (post && !state.changed && field.isConnected && field.value !== sent[field.id]) field.dispatchEvent(new Event('change', { bubbles: true }));
    }
    field.addEventListener('input', typed);
    field.addEventListener('change', gate, true);
    field.addEventListener('focusout', left);
  }

  document.addEventListener('DOMContentLoaded', function () {
    setup(document);
  });
  document.addEventListener('htmx:load', function (event) {
    setup(event.target && event.target.querySelectorAll ? event.target : document);
  });
})();
