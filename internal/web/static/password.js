// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// Live check of the password page (CARINE INF-AUT-6). The list
// [data-password-rules] names the new-password input (data-for) and the
// check URL (data-check-url); each rule is an <li data-rule="code">, and
// those with data-live are checked as the person types. The server answers
// {"violations": ["too_short", …]}; each rule then shows an icon and a word
// ("met" / "not met"), never colour alone, and the [data-rules-status]
// live region announces how many rules are met. Without this script the
// form works the same: the server checks on submission.
(function () {
  'use strict';
  var list = document.querySelector('[data-password-rules]');
  if (!list || !window.fetch || !window.JSON) {
    return;
  }
  var input = document.getElementById(list.getAttribute('data-for'));
  var csrf = input && input.form && input.form.querySelector('input[name="csrf"]');
  var status = document.querySelector('[data-rules-status]');
  if (!input || !csrf) {
    return;
  }
  var rules = Array.prototype.slice.call(list.querySelectorAll('li[data-rule][data-live]'));
  var timer = null;
  var seq = 0;
  var lastAnnounce = '';

  function mark(li, state) {
    var icon = li.querySelector('.rule-icon');
    var word = li.querySelector('.rule-state');
    li.setAttribute('data-state', state);
    if (state === 'met') {
      icon.textContent = '\u2713';
      word.textContent = '(' + list.getAttribute('data-met') + ')';
    } else if (state === 'unmet') {
      icon.textContent = '\u2717';
      word.textContent = '(' + list.getAttribute('data-unmet') + ')';
    } else {
      icon.textContent = '\u2013';
      word.textContent = '';
    }
  }

  function announce(text) {
    if (status && text !== lastAnnounce) {
      status.textContent = text;
      lastAnnounce = text;
    }
  }

  function apply(codes) {
    var met = 0;
    rules.forEach(function (li) {
      var broken = codes.indexOf(li.getAttribute('data-rule')) >= 0;
      mark(li, broken ? 'unmet' : 'met');
      if (!broken) {
        met++;
      }
    });
    if (met === rules.length) {
      announce(list.getAttribute('data-all'));
    } else {
      announce(list.getAttribute('data-summary').replace('{met}', met).replace('{total}', rules.length));
    }
  }

  function check() {
    var mine = ++seq;
    if (input.value === '') {
      rules.forEach(function (li) { mark(li, ''); });
      announce('');
      return;
    }
    fetch(list.getAttribute('data-check-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf.value},
      body: JSON.stringify({password: input.value})
    }).then(function (resp) {
      return resp.ok ? resp.json() : null;
    }).then(function (data) {
      if (data && mine === seq && Array.isArray(data.violations)) {
        apply(data.violations);
      }
    }).catch(function () {
      // The server checks again on submission.
    });
  }

  input.addEventListener('input', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  });
})();
