// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// Progressive enhancement for every page. Pages work without it.
//   data-confirm="Question ?" on a button, form or link asks before acting.
//   data-autofocus moves the focus to an element (the form error summary).
//   The user menu closes on Escape and on a click outside it.
//   data-print on a button prints the page; data-check-all="name" on a
//   checkbox checks or clears every checkbox of that name in its table,
//   section or fieldset (else its form).
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  document.addEventListener('submit', function (ev) {
    var btn = ev.submitter;
    var msg = (btn && btn.getAttribute('data-confirm')) || ev.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });

  document.addEventListener('change', function (ev) {
    var all = ev.target.getAttribute && ev.target.getAttribute('data-check-all');
    var scope = all && (ev.target.closest('table, section, fieldset') || ev.target.form);
    if (scope) {
      scope.querySelectorAll('input[type=checkbox][name="' + all + '"]').forEach(function (c) {
        c.checked = ev.target.checked;
      });
    }
  });

  document.addEventListener('click', function (ev) {
    if (ev.target.closest && ev.target.closest('[data-print]')) {
      window.print();
    }
    var link = ev.target.closest && ev.target.closest('a[data-confirm]');
    if (link && !window.confirm(link.getAttribute('data-confirm'))) {
      ev.preventDefault();
    }
    document.querySelectorAll('details.user-menu[open]').forEach(function (d) {
      if (!d.contains(ev.target)) {
        d.open = false;
      }
    });
  });

  document.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Escape') {
      return;
    }
    document.querySelectorAll('details.user-menu[open]').forEach(function (d) {
      d.open = false;
      d.querySelector('summary').focus();
    });
  });

  var target = document.querySelector('[data-autofocus]');
  if (target) {
    target.focus();
  }
})();
