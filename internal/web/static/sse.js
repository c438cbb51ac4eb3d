// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// Live progress for the shell's progress page. The element [data-sse] names
// an EventSource URL; the server sends "progress", "done" and "failed" events
// whose data is {"value", "max", "message", "url"} (web.ProgressEvent).
// Without this script, the page refreshes itself (<noscript> meta refresh).
(function () {
  'use strict';
  var root = document.querySelector('[data-sse]');
  if (!root || !window.EventSource) {
    return;
  }
  var bar = root.querySelector('progress');
  var message = root.querySelector('[data-sse-message]');
  var status = root.querySelector('[data-sse-status]');
  var next = root.querySelector('[data-sse-continue]');
  var fr = document.documentElement.lang === 'fr';
  var announced = -10;

  function percent(p) {
    return fr ? p + '\u00a0%' : p + '%';
  }

  function update(d) {
    if (d.max > 0) {
      bar.max = d.max;
      bar.value = Math.min(d.value, d.max);
      var p = Math.floor(Math.max(0, Math.min(100, d.value * 100 / d.max)));
      // Announce in steps of 10 % so that screen readers are not flooded.
      if (p >= announced + 10 || p === 100) {
        status.textContent = percent(p);
        announced = p;
      }
    } else {
      bar.removeAttribute('value');
    }
    if (d.message) {
      message.textContent = d.message;
    }
  }

  var es = new EventSource(root.getAttribute('data-sse'));
  es.addEventListener('progress', function (ev) {
    update(JSON.parse(ev.data));
  });
  es.addEventListener('done', function (ev) {
    es.close();
    var d = JSON.parse(ev.data);
    update(d);
    bar.value = bar.max;
    status.textContent = d.message || root.getAttribute('data-sse-done');
    if (d.url && next) {
      next.querySelector('a').href = d.url;
      next.hidden = false;
      next.querySelector('a').focus();
    }
  });
  es.addEventListener('failed', function (ev) {
    es.close();
    var d = JSON.parse(ev.data);
    root.classList.add('progress-failed');
    status.textContent = d.message || root.getAttribute('data-sse-failed');
  });
  es.onerror = function () {
    if (es.readyState === EventSource.CLOSED) {
      window.setTimeout(function () { window.location.reload(); }, 5000);
    }
  };
})();
