/*
 * Casebook workspace: small enhancements on top of pages that work without JavaScript.
 * Loaded on staff pages (our CSP allows only our own scripts: nothing inline).
 *
 * - The reply box: typing "#" (at the start of a word) opens a list of the macros offered by
 *   the composer's macro picker; arrow keys and Enter (or a click) pick one, which is then
 *   inserted through the picker's own Insert button (htmx). The rendered reply comes back in
 *   the picker's `data-macro-insert` and is put where the cursor was.
 * - Presence: typing in the composer is reported through the presence panel's heartbeat.
 * - Drafts: a reply and an internal note are drafted separately. Switching the composer's mode
 *   saves the text under the mode it was written in and puts the other mode's draft in the
 *   message (the server saves while typing: views/partials/composer-parts.tsx DraftAutosave).
 * - A case that leaves the agent's reach takes them to the inbox: what the composer held is shown
 *   there to copy (it was lost with the page).
 * - The inbox: "select all" on the page, the number of ticked cases, and the ticks of the cases
 *   a bulk action was sent for cleared after it (ticks made while it was on its way stay).
 */
(function () {
  'use strict';

  var caret = null; // where the cursor was in the reply box, for the next inserted macro

  function body() {
    return document.getElementById('composer-body');
  }

  function rememberCaret() {
    var ta = body();
    if (ta) caret = ta.selectionStart;
  }

  // ---- "#" opens the macro list ---------------------------------------------------------

  var list = null;
  var matches = [];
  var active = -1;
  var token = null; // { start, end } of "#query" in the reply box

  function macroOptions() {
    var select = document.getElementById('composer-macro-select');
    if (!select) return [];
    return Array.prototype.filter
      .call(select.options, function (o) {
        return o.value !== '';
      })
      .map(function (o) {
        var group = o.parentElement && o.parentElement.tagName === 'OPTGROUP' ? o.parentElement.label : '';
        return { value: o.value, label: o.textContent, group: group };
      });
  }

  function close() {
    if (list) list.remove();
    list = null;
    matches = [];
    active = -1;
    token = null;
    var ta = body();
    if (ta) {
      ta.removeAttribute('aria-activedescendant');
      ta.removeAttribute('aria-controls');
    }
  }

  function highlight(index) {
    active = index;
    if (!list) return;
    Array.prototype.forEach.call(list.children, function (li, i) {
      li.setAttribute('aria-selected', i === index ? 'true' : 'false');
    });
    var ta = body();
    if (ta && index >= 0) ta.setAttribute('aria-activedescendant', 'macro-suggest-' + index);
  }

  function open(ta, query) {
    var q = query.toLowerCase();
    matches = macroOptions().filter(function (m) {
      return m.label.toLowerCase().indexOf(q) !== -1;
    });
    if (!list) {
      list = document.createElement('ul');
      list.id = 'macro-suggest';
      list.className = 'macro-suggest';
      list.setAttribute('role', 'listbox');
      list.setAttribute('aria-label', 'Macros');
      ta.insertAdjacentElement('afterend', list);
      ta.setAttribute('aria-autocomplete', 'list');
    }
    ta.setAttribute('aria-controls', 'macro-suggest');
    list.textContent = '';
    if (matches.length === 0) {
      var none = document.createElement('li');
      none.className = 'macro-suggest-empty';
      none.textContent = query ? 'No macro matches “' + query + '”' : 'No macros yet';
      list.appendChild(none);
      active = -1;
      return;
    }
    matches.forEach(function (m, i) {
      var li = document.createElement('li');
      li.id = 'macro-suggest-' + i;
      li.setAttribute('role', 'option');
      li.textContent = m.label;
      if (m.group === 'Shared') {
        var tag = document.createElement('span');
        tag.className = 'macro-suggest-group';
        tag.textContent = ' shared';
        li.appendChild(tag);
      }
      li.addEventListener('mousedown', function (e) {
        e.preventDefault(); // keep the focus in the reply box
        choose(i);
      });
      list.appendChild(li);
    });
    highlight(0);
  }

  /** "#query" just before the cursor, at the start of a word. */
  function tokenAt(ta) {
    var upto = ta.value.slice(0, ta.selectionStart);
    var m = /(^|\s)#([^\s#]{0,40})$/.exec(upto);
    if (!m) return null;
    return { start: upto.length - m[2].length - 1, end: upto.length, query: m[2] };
  }

  function choose(index) {
    var ta = body();
    var m = matches[index];
    var select = document.getElementById('composer-macro-select');
    var insert = document.getElementById('macro-insert');
    if (!ta || !m || !select || !insert || !token) return close();
    ta.value = ta.value.slice(0, token.start) + ta.value.slice(token.end);
    caret = token.start;
    ta.setSelectionRange(caret, caret);
    select.value = m.value;
    close();
    insert.click();
  }

  document.addEventListener('input', function (e) {
    var ta = e.target;
    if (!ta || ta.id !== 'composer-body') return;
    rememberCaret();
    if (!document.getElementById('composer-macro-select')) return;
    var t = tokenAt(ta);
    if (!t) return close();
    token = t;
    open(ta, t.query);
  });

  document.addEventListener('keydown', function (e) {
    if (!list || !e.target || e.target.id !== 'composer-body') return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (matches.length === 0) return;
      e.preventDefault();
      var step = e.key === 'ArrowDown' ? 1 : -1;
      highlight((active + step + matches.length) % matches.length);
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      choose(active);
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      // Escape closes the list and stays; Tab closes it and moves on as usual.
      if (e.key === 'Escape') e.preventDefault();
      close();
    }
  });

  document.addEventListener('focusout', function (e) {
    if (e.target && e.target.id === 'composer-body') {
      rememberCaret();
      close();
    }
  });
  ['keyup', 'click', 'select'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      if (e.target && e.target.id === 'composer-body') rememberCaret();
    });
  });

  // ---- the inserted macro's reply goes where the cursor was ------------------------------

  function insertMacroText(panel) {
    var text = panel.getAttribute('data-macro-insert');
    panel.removeAttribute('data-macro-insert');
    var ta = body();
    if (!ta || !text) return;
    var value = ta.value;
    var at = caret === null || caret > value.length ? value.length : caret;
    var before = value.slice(0, at);
    var after = value.slice(at);
    var glueBefore = before.trim() === '' || /\s$/.test(before) ? '' : ' ';
    ta.value = before + glueBefore + text + after;
    var end = (before + glueBefore + text).length;
    ta.focus();
    ta.setSelectionRange(end, end);
    caret = end;
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // ---- the inbox's selection -------------------------------------------------------------

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('#inbox-results .select-case'));
  }

  function syncSelection() {
    var all = document.getElementById('select-all');
    var ticked = boxes().filter(function (b) {
      return b.checked;
    }).length;
    if (all) {
      all.hidden = false;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
    var count = document.getElementById('bulk-count');
    if (count) count.textContent = ticked === 0 ? '' : '(' + ticked + ' selected)';
  }

  // A successful bulk action clears the ticks of the cases it was sent for, and only those: the
  // agent may tick the cases of the next action while its answer is on its way. A case ticked
  // or unticked after sending (one at a time or with "select all") keeps what the agent made of it.
  var sentTicks = null; // the values of the cases the bulk form's request carried, untouched since
  function touched(list) {
    if (!sentTicks) return;
    list.forEach(function (b) {
      var at = sentTicks.indexOf(b.value);
      if (at !== -1) sentTicks.splice(at, 1);
    });
  }

  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t) return;
    if (t.id === 'select-all') {
      boxes().forEach(function (b) {
        b.checked = t.checked;
      });
      touched(boxes());
      syncSelection();
    } else if (t.classList && t.classList.contains('select-case')) {
      touched([t]);
      syncSelection();
    }
  });

  // beforeRequest comes after htmx has read the form: the ticks now are the ones sent.
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== 'bulk-form') return;
    sentTicks = boxes()
      .filter(function (b) {
        return b.checked;
      })
      .map(function (b) {
        return b.value;
      });
  });

  document.addEventListener('htmx:afterRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== 'bulk-form') return;
    var sent = sentTicks || [];
    sentTicks = null;
    // Only a done action clears: a refused one (422, swapped in: nothing ticked, too many, no tag typed) keeps every tick.
    var xhr = e.detail.xhr;
    if (!e.detail.successful || !xhr || xhr.status < 200 || xhr.status >= 300) return;
    boxes().forEach(function (b) {
      if (sent.indexOf(b.value) !== -1) b.checked = false;
    });
    syncSelection();
  });

  // ---- Presence: typing in the composer tells colleagues on the case ------------------------
  // The presence panel (views/partials/collision.tsx) posts itself every few seconds; typing
  // sets its `typing` field and fires `composer-typing`, at most every 4 s.

  var lastTyping = 0;
  document.addEventListener('input', function (e) {
    if (!e.target || e.target.id !== 'composer-body') return;
    var now = Date.now();
    if (now - lastTyping < 4000) return;
    var field = document.getElementById('presence-typing');
    if (!field) return;
    lastTyping = now;
    field.value = '1';
    document.body.dispatchEvent(new CustomEvent('composer-typing'));
  });

  // ---- Drafts: a reply and a note each keep their own text -------------------------------
  // The composer carries both drafts' texts (#composer-draft-public, #composer-draft-internal,
  // never posted) and the mode whose draft the message holds (draftMode). On a mode switch the
  // message goes to its mode's store and is saved there at once (a save still waiting for the
  // typing pause would otherwise miss its last words), then the other mode's text comes in and
  // the drafts line is refreshed for it.

  document.addEventListener('change', function (e) {
    var radio = e.target;
    if (!radio || !radio.classList || !radio.classList.contains('mode-radio')) return;
    var ta = body();
    var form = document.getElementById('composer');
    var modeField = form && form.querySelector('[name="draftMode"]');
    // Its own source (no hx-sync): a switch's saves are never dropped for one still on its way.
    var saver = document.getElementById('composer-draft-switch');
    if (!ta || !modeField || !saver) return;
    var before = modeField.value;
    var next = radio.value;
    if (before === next) return;
    var from = document.getElementById('composer-draft-' + before);
    var to = document.getElementById('composer-draft-' + next);
    if (!from || !to) return;
    var written = ta.value;
    from.value = written;
    ta.value = to.value;
    modeField.value = next;
    if (!window.htmx) return;
    var url = saver.getAttribute('hx-post');
    // The drafts line for the mode now shown, unless the mode changed again meanwhile (the text is then another mode's).
    var refresh = function () {
      if (!document.body.contains(ta) || modeField.value !== next) return;
      return window.htmx.ajax('POST', url, { source: saver, target: '#composer-draft', swap: 'outerHTML', values: { body: ta.value, visibility: next, draftMode: next } });
    };
    window.htmx.ajax('POST', url, { source: saver, swap: 'none', values: { body: written, visibility: before, draftMode: before } }).then(refresh, refresh);
  });

  // ---- Leaving the case page saves what the draft save has not yet ----------------------------
  // The draft is saved a second after typing stops: words typed just before a link was followed
  // (Merge…, a customer's other case, the inbox) were never saved and gone. What the server
  // last confirmed saving is known per composer; a text that differs is sent as the page goes,
  // in a request the browser finishes after the page is gone (keepalive).
  var savedText = new WeakMap();
  var savingText = null;
  function lastSaved(ta) {
    return savedText.has(ta) ? savedText.get(ta) : ta.defaultValue;
  }
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.id === 'composer-autosave' && body()) savingText = { field: body(), value: body().value };
  });
  document.addEventListener('htmx:afterRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || elt.id !== 'composer-autosave' || !savingText) return;
    if (e.detail.successful) savedText.set(savingText.field, savingText.value);
    savingText = null;
  });
  window.addEventListener('pagehide', function () {
    var ta = body();
    var saver = document.getElementById('composer-draft-switch');
    var mode = document.getElementById('composer-draft-mode');
    if (!ta || !saver || !mode || ta.value === lastSaved(ta) || !window.fetch) return;
    var token = '';
    try {
      token = JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (err) {
      token = '';
    }
    var values = new URLSearchParams({ body: ta.value, visibility: mode.value, draftMode: mode.value });
    savedText.set(ta, ta.value);
    window.fetch(saver.getAttribute('hx-post'), { method: 'POST', keepalive: true, credentials: 'same-origin', headers: { 'X-CSRF-Token': token, 'HX-Request': 'true' }, body: values });
  });

  // ---- The composer's text when the case leaves the agent's reach ----------------------------
  // A command that takes the case out of the agent's reach (escalated to a queue they do not
  // work, reassigned to a colleague or to a queue they are not in), or a colleague's move their
  // open page learns of, answers with the inbox (`HX-Redirect: /inbox?moved=C-1011`). The reply
  // or note in the composer was gone with the page: words typed since the last draft save were
  // never saved (the save as the page went is refused: the case is not theirs to open any more),
  // and a saved draft is on a case they cannot open. What the composer held (the message in its
  // mode, and the other mode's draft) is kept in this tab (sessionStorage) and the inbox shows
  // it under the notice saying where the case went, to copy, until the agent dismisses it.
  // Nothing waits for it: the command goes at once, even while a draft save is on its way.
  var LEFT_BEHIND = 'casebook-left-behind:';
  function composerTexts() {
    var ta = body();
    var modeField = document.getElementById('composer-draft-mode');
    if (!ta) return [];
    var mode = modeField && modeField.value === 'internal' ? 'internal' : 'public';
    var other = document.getElementById('composer-draft-' + (mode === 'internal' ? 'public' : 'internal'));
    var texts = [];
    if (ta.value.trim()) texts.push({ mode: mode, text: ta.value });
    if (other && other.value.trim()) texts.push({ mode: mode === 'internal' ? 'public' : 'internal', text: other.value });
    return texts;
  }
  document.addEventListener('htmx:beforeOnLoad', function (e) {
    var xhr = e.detail && e.detail.xhr;
    var to = xhr && xhr.getResponseHeader('HX-Redirect');
    var moved = to ? /^\/inbox\?(?:.*&)?moved=([^&#]+)/.exec(to) : null;
    if (!moved) return;
    var texts = composerTexts();
    if (!texts.length) return;
    try {
      sessionStorage.setItem(LEFT_BEHIND + decodeURIComponent(moved[1]), JSON.stringify(texts));
    } catch (err) {
      return; // storage refused (private mode, full): the page's own save as it goes is all there is
    }
    // Kept here: the save as the page goes (pagehide) would only be refused.
    var ta = body();
    if (ta) savedText.set(ta, ta.value);
  });
  // Text the page could not keep where it was typed, shown read-only to copy: a `tag` box `id`
  // saying `introText` (its paragraph `id`-intro), then each text under its label (tied to its
  // field: `id`-its place), `rows` lines high.
  function keptTextsBox(tag, id, introText, texts, rows) {
    var box = document.createElement(tag);
    box.className = 'alert alert-info';
    box.id = id;
    var intro = document.createElement('p');
    intro.id = id + '-intro';
    intro.textContent = introText;
    box.appendChild(intro);
    var idPrefix = id + '-';
    texts.forEach(function (t, i) {
      var label = document.createElement('label');
      label.setAttribute('for', idPrefix + i);
      label.textContent = t.label;
      var area = document.createElement('textarea');
      area.id = idPrefix + i;
      area.readOnly = true;
      area.rows = rows;
      area.value = t.text;
      box.appendChild(label);
      box.appendChild(area);
    });
    return box;
  }
  function showLeftBehind() {
    var notice = document.getElementById('moved-notice');
    var ref = new URLSearchParams(location.search).get('moved');
    if (!notice || !ref || document.getElementById('moved-unsent')) return;
    var texts = null;
    try {
      texts = JSON.parse(sessionStorage.getItem(LEFT_BEHIND + ref) || 'null');
    } catch (err) {
      texts = null;
    }
    if (!Array.isArray(texts) || !texts.length) return;
    var box = keptTextsBox(
      'section',
      'moved-unsent',
      'Not sent: what you were writing on ' + ref + '. You cannot open the case now, so it is kept here to copy (in this tab, until you dismiss it).',
      texts
        .filter(function (t) {
          return t && typeof t.text === 'string';
        })
        .map(function (t) {
          return { label: t.mode === 'internal' ? 'Your internal note' : 'Your reply', text: t.text };
        }),
      4,
    );
    box.setAttribute('aria-labelledby', 'moved-unsent-intro');
    var dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.className = 'secondary';
    dismiss.textContent = 'Dismiss';
    dismiss.addEventListener('click', function () {
      try {
        sessionStorage.removeItem(LEFT_BEHIND + ref);
      } catch (err) {
        /* gone with the tab */
      }
      box.remove();
    });
    box.appendChild(dismiss);
    notice.parentNode.insertBefore(box, notice.nextSibling);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', showLeftBehind);
  else showLeftBehind();

  // ---- Text typed into the Actions panel survives the live poll ------------------------------
  // When the case changes (a customer's reply moves it out of "waiting", a colleague resolves
  // it) the live poll sends the Actions panel again, out of band. What was typed into its fields
  // (a solution, a reason, an edited subject) goes back into the same field of the new panel; text
  // whose field is gone (that transition is not offered now) is shown above the panel to copy.

  // The edit form saves what was changed from what it showed (its hidden edit-shown-* fields):
  // text typed before the refresh goes back with what the form showed then, so a colleague's
  // change the refresh brought in is kept rather than undone.
  // Choices count as typing: a priority picked in Edit case…, a queue or an assignee in Reassign…,
  // Override capacity ticked. Before, the refresh put them back to what the case has, and Save
  // changes saved the typed tags without the priority picked, saying nothing about it.
  function defaultOf(select) {
    for (var i = 0; i < select.options.length; i++) if (select.options[i].defaultSelected) return select.options[i].value;
    return select.options.length > 0 ? select.options[0].value : '';
  }
  function changedByHand(field) {
    if (field.tagName === 'SELECT') return field.value !== defaultOf(field);
    if (field.type === 'checkbox') return field.checked !== field.defaultChecked;
    return field.value.trim() !== '' && field.value !== field.defaultValue;
  }
  function keptValue(field) {
    return field.type === 'checkbox' ? String(field.checked) : field.value;
  }
  // What the box of kept text shows for a field whose form is gone: the text, the option chosen.
  function shownValue(field) {
    if (field.tagName === 'SELECT') return field.selectedIndex >= 0 ? field.options[field.selectedIndex].textContent.trim() : field.value;
    if (field.type === 'checkbox') return field.checked ? 'ticked' : 'not ticked';
    return field.value;
  }
  // A select whose choice is not offered any more (an assignee now at capacity, a queue now inactive) cannot take it back.
  function canTake(field, value) {
    if (field.tagName !== 'SELECT') return true;
    for (var i = 0; i < field.options.length; i++) if (field.options[i].value === value) return true;
    return false;
  }
  function putBack(field, value) {
    if (field.type === 'checkbox') field.checked = value === 'true';
    else field.value = value;
  }

  var typedInActions = null;
  var shownBeforeEdit = null;
  var shownBeforeReassign = null;
  // What was typed or chosen in the Actions panel (`panel`), but not in `sent` (the form whose
  // request brought the answer: what it carried was used, or comes back with its error).
  function keepTyped(panel, sent) {
    typedInActions = [];
    shownBeforeEdit = null;
    shownBeforeReassign = null;
    panel.querySelectorAll('textarea[id], input[type="text"][id], select[id], input[type="checkbox"][id]').forEach(function (field) {
      if (field.readOnly || !changedByHand(field) || (sent && field.form === sent)) return;
      var label = document.querySelector('label[for="' + field.id + '"]');
      var form = field.form && field.form.querySelector('button[id$="-submit"]');
      typedInActions.push({ id: field.id, value: keptValue(field), shown: shownValue(field), label: (form ? form.textContent.trim() + ': ' : '') + (label ? label.textContent.trim() : field.name) });
      // Reassign… likewise carries where the case was when it was shown (`shown`): a choice put
      // back goes with it, so a reassignment a colleague made meanwhile is refused, not overridden.
      if (field.form && field.form.id === 'reassign-form' && shownBeforeReassign === null) {
        var where = field.form.querySelector('input[name="shown"]');
        shownBeforeReassign = where ? where.value : null;
      }
      if (field.id.indexOf('edit-') === 0 && !shownBeforeEdit) {
        shownBeforeEdit = [];
        panel.querySelectorAll('input[type="hidden"][id^="edit-shown-"]').forEach(function (shown) {
          shownBeforeEdit.push({ id: shown.id, value: shown.value });
        });
      }
    });
  }
  function putTypedBack() {
    var panel = document.getElementById('case-actions');
    if (!typedInActions || !panel) return;
    var typed = typedInActions;
    typedInActions = null;
    (shownBeforeEdit || []).forEach(function (t) {
      var shown = document.getElementById(t.id);
      if (shown && panel.contains(shown)) shown.value = t.value;
    });
    shownBeforeEdit = null;
    var reassign = document.getElementById('reassign-form');
    var where = reassign && shownBeforeReassign !== null ? reassign.querySelector('input[name="shown"]') : null;
    if (where) where.value = shownBeforeReassign;
    shownBeforeReassign = null;
    var homeless = [];
    typed.forEach(function (t) {
      var field = document.getElementById(t.id);
      if (!field || !panel.contains(field) || !canTake(field, t.value)) return homeless.push(t);
      if (!changedByHand(field)) putBack(field, t.value);
      var details = field.closest('details');
      if (details) details.open = true;
    });
    if (homeless.length === 0) return;
    var box = keptTextsBox(
      'div',
      'actions-kept-text',
      'The case changed while you typed: that form is not offered now. Your text is kept here to copy.',
      homeless.map(function (t) {
        return { label: t.label, text: t.shown };
      }),
      3,
    );
    box.setAttribute('role', 'status');
    var heading = panel.querySelector('h2');
    panel.insertBefore(box, heading ? heading.nextSibling : panel.firstChild);
  }
  document.addEventListener('htmx:oobBeforeSwap', function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.id === 'case-actions') keepTyped(target, null);
  });
  document.addEventListener('htmx:oobAfterSwap', function (e) {
    var panel = document.getElementById('case-actions');
    if (typedInActions && panel && panel.contains(e.target)) putTypedBack();
  });
  // The answer to a command sent from the case page (a reply or note from the composer, Edit
  // case…, a transition) is the whole case page again: what was typed into the Actions panel's
  // other forms comes back the same way. Before, sending a note while a solution or call notes
  // were half typed in the panel lost them, and closed their disclosures.
  // The form whose request brought an answer (`d`: a beforeSwap's detail).
  function sentForm(d) {
    var elt = d.requestConfig && d.requestConfig.elt;
    return elt ? (elt.tagName === 'FORM' ? elt : elt.form || elt.closest('form')) : null;
  }
  function keepActions(target, sent) {
    var panel = target.querySelector('#case-actions');
    if (panel) keepTyped(panel, sent);
  }
  // The composer's text likewise (keepComposer, below). A swap held while a press is under way
  // keeps both when it is made (flushHeld).
  document.addEventListener('htmx:beforeSwap', function (e) {
    var target = e.detail && e.detail.target;
    if (!target || target.id !== 'case-page' || !e.detail.shouldSwap || pressing) return;
    var sent = sentForm(e.detail);
    keepActions(target, sent);
    keepComposer(target, sent);
  });
  document.addEventListener('htmx:afterSwap', function (e) {
    var target = e.detail && e.detail.target;
    if (typedInActions && target && (target.id === 'case-page' || !document.body.contains(target))) putTypedBack();
  });

  // ---- Text typed in the composer survives the answer to another command ---------------------
  // The answer to a command sent from the Actions panel (Edit case…, a transition, Reassign…) is
  // the whole case page, whose composer holds the draft the server saved last: the draft is saved
  // a second after typing stops, so words typed just before (or a reply never paused on) were
  // replaced by the older draft, or by nothing. What the composer held (its mode, both drafts'
  // texts, the files chosen) goes back into the new one, and is saved as a draft from there.
  var composerKept = null;
  function keepComposer(target, sent) {
    composerKept = null;
    var form = document.getElementById('composer');
    var ta = body();
    // The composer's own answers (sent, or back with its error) carry what it sent.
    if (!form || !ta || !target.contains(form) || sent === form || ta.value === ta.defaultValue) return;
    var mode = form.querySelector('.mode-radio:checked');
    var keep = { body: ta.value, mode: mode ? mode.value : null, fields: [], files: null };
    ['composer-draft-mode', 'composer-draft-public', 'composer-draft-internal'].forEach(function (id) {
      var field = document.getElementById(id);
      if (field) keep.fields.push({ id: id, value: field.value });
    });
    var applied = form.querySelector('[name="appliedMacro"]');
    if (applied) keep.fields.push({ name: 'appliedMacro', value: applied.value });
    var files = document.getElementById('composer-files');
    if (files && files.files && files.files.length) keep.files = files.files;
    var saver = document.getElementById('composer-draft-switch');
    keep.draftUrl = saver ? saver.getAttribute('hx-post') : null;
    composerKept = keep;
  }
  // The answer has no composer (the command closed the case: a closed case shows one only with a
  // draft): the text is saved as the draft of its mode, and the case asked for again, which then
  // shows it in the composer — mode, other draft and files back in as above. Before, the words
  // typed since the last save were gone with the composer.
  var composerAfterSave = null;
  function saveAsDraftAndShow(keep) {
    var url = keep.draftUrl;
    if (!url || !window.htmx) return;
    var mode = null;
    keep.fields.forEach(function (f) {
      if (f.id === 'composer-draft-mode') mode = f.value;
    });
    mode = mode === 'internal' ? 'internal' : 'public';
    var values = { body: keep.body, visibility: mode, draftMode: mode };
    keep.fields.forEach(function (f) {
      if (f.name === 'appliedMacro') values.appliedMacro = f.value;
    });
    var show = function () {
      var page = document.getElementById('case-page');
      if (!page || document.getElementById('composer')) return;
      var path = url.replace(/\/draft$/, '') + '?mode=' + (mode === 'internal' ? 'note' : 'public');
      composerAfterSave = { keep: keep, path: path };
      return window.htmx.ajax('GET', path, { source: page, target: page, swap: 'outerHTML' });
    };
    window.htmx.ajax('POST', url, { source: document.body, swap: 'none', values: values }).then(show, show);
  }
  document.addEventListener('htmx:afterSwap', function (e) {
    var target = e.detail && e.detail.target;
    if (!composerKept || !target || !(target.id === 'case-page' || !document.body.contains(target))) return;
    var keep = composerKept;
    composerKept = null;
    restoreComposer(keep);
  });
  // Only on that answer, known by its path: another answer meanwhile targets the case page too
  // (the live poll's, whose parts come out of band). Before, the poll's took the restore for
  // itself, with no composer on the page yet: the one that came next had the text but no files.
  document.addEventListener('htmx:afterSwap', function (e) {
    var info = e.detail && e.detail.pathInfo;
    if (!composerAfterSave || !info || info.requestPath !== composerAfterSave.path) return;
    var keep = composerAfterSave.keep;
    composerAfterSave = null;
    restoreComposer(keep, true);
  });
  function restoreComposer(keep, saved) {
    var form = document.getElementById('composer');
    var ta = body();
    if (!form || !ta) {
      if (!saved) saveAsDraftAndShow(keep);
      return;
    }
    if (keep.mode) {
      var radio = form.querySelector('.mode-radio[value="' + keep.mode + '"]');
      if (radio) radio.checked = true;
    }
    keep.fields.forEach(function (f) {
      var field = f.id ? document.getElementById(f.id) : form.querySelector('[name="' + f.name + '"]');
      if (field && form.contains(field)) field.value = f.value;
    });
    var files = document.getElementById('composer-files');
    if (keep.files && files) files.files = keep.files;
    if (ta.value !== keep.body) composerToSave = { field: ta, body: keep.body };
  }
  // The text goes in once htmx has set up the new composer (its autosave, which saves only a
  // value other than the one it started with), and is saved as the draft from there, without
  // opening the macro list.
  var composerToSave = null;
  document.addEventListener('htmx:afterSettle', function () {
    var put = composerToSave;
    composerToSave = null;
    if (!put || !document.body.contains(put.field)) return;
    put.field.value = put.body;
    put.field.dispatchEvent(new Event('input', { bubbles: true }));
    close();
  });

  // ---- A press on the case page is not lost to an answer that comes meanwhile ---------------
  // A person holds the mouse ~100-150 ms. The answers that come on their own while someone
  // types or waits (the draft save a second after typing stops, the mention preview, the live
  // poll) change what is above the buttons: the drafts line "Draft reply saved" appearing the
  // first time, a mention preview, a new message in the timeline move Send down, and the release
  // lands beside it: no click, nothing sent. While a press on the case page is under way their
  // swaps wait; they are made when it ends (after the click it makes).
  // The inbox likewise: its list is drawn again by the live poll (a new case, a colleague's
  // change, a minute less on an SLA clock) and its saved views' counts once a minute. A case's
  // link, Next page or a view pressed as that answer came was replaced under the mouse: the
  // release opened nothing. A region marked `data-hold-swaps` likewise (the console's mailboxes,
  // drawn again every 10 s: Add mailbox or a mailbox's link pressed as that answer came opened nothing).
  var pressing = false;
  // So is the sidebar's list of views, drawn again with the inbox's list and after every command.
  var pressedIn = null; // the region pressed in: the case page, or the whole page (the inbox, the sidebar's views)
  function pressRegion(target) {
    var marked = target.closest('[data-hold-swaps]');
    if (marked) return marked;
    if (target.closest('#inbox-counts')) return document.body;
    var page = target.closest('#case-page');
    if (page) return page;
    return document.getElementById('inbox-results') ? document.body : null;
  }
  var heldSwaps = [];
  var pressTimer = null;
  function flushHeld() {
    pressing = false;
    pressedIn = null;
    if (pressTimer) clearTimeout(pressTimer);
    pressTimer = null;
    var held = heldSwaps;
    heldSwaps = [];
    held.forEach(function (h) {
      if (!document.body.contains(h.target) || !window.htmx) return;
      // A command's answer held (the whole case page) keeps what was typed, as one made at once does.
      if (h.target.id === 'case-page') {
        keepActions(h.target, h.sent);
        keepComposer(h.target, h.sent);
      }
      window.htmx.swap(h.target, h.content, { swapStyle: h.style }, { contextElement: h.target, eventInfo: { target: h.target } });
    });
  }
  document.addEventListener(
    'pointerdown',
    function (e) {
      var region = e.button === 0 && e.target && e.target.closest ? pressRegion(e.target) : null;
      if (!region) return;
      pressing = true;
      pressedIn = region;
      // A release the page never sees (outside the window) ends the wait too.
      if (pressTimer) clearTimeout(pressTimer);
      pressTimer = setTimeout(flushHeld, 3000);
    },
    true,
  );
  ['pointerup', 'pointercancel'].forEach(function (type) {
    window.addEventListener(
      type,
      function () {
        if (pressing) setTimeout(flushHeld, 0); // after the click the release makes
      },
      true,
    );
  });
  window.addEventListener('blur', function () {
    if (pressing) flushHeld();
  });
  document.addEventListener('htmx:beforeSwap', function (e) {
    var d = e.detail;
    if (!pressing || !d || !d.shouldSwap || !d.target) return;
    var page = pressedIn && document.body.contains(pressedIn) ? pressedIn : document.getElementById('case-page');
    if (!page || !(page.contains(d.target) || d.target.id === 'case-poll')) return;
    var elt = d.requestConfig && d.requestConfig.elt;
    var style = (d.swapOverride || (elt && elt.getAttribute && elt.getAttribute('hx-swap')) || 'innerHTML').split(' ')[0];
    d.shouldSwap = false;
    heldSwaps.push({ target: d.target, content: d.serverResponse, style: style, sent: sentForm(d) });
  });

  function setUp(root) {
    var panel = root.id === 'composer-macro' ? root : root.querySelector && root.querySelector('#composer-macro');
    if (panel && panel.hasAttribute('data-macro-insert')) insertMacroText(panel);
    if (document.getElementById('select-all')) syncSelection();
  }

  document.addEventListener('htmx:load', function (e) {
    if (e.target) setUp(e.target);
  });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () {
      setUp(document.body);
    });
  } else {
    setUp(document.body);
  }
})();
