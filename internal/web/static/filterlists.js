// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// The lists page's upload with progress (the form works without it): the
// archive goes as the same multipart POST through XMLHttpRequest, a
// <progress> and a live region report how much was sent, then the browser
// goes where the server redirected (the import's progress page, or the
// page with its error).
(function () {
  'use strict';
  var form = document.querySelector('form[data-lists-upload]');
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector('input[type=file]');
  var box = form.querySelector('.upload-progress');
  var bar = box.querySelector('progress');
  var status = box.querySelector('[data-upload-status]');
  form.addEventListener('submit', function (ev) {
    if (!input.files || !input.files.length) { return; }
    ev.preventDefault();
    box.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) { return; }
      var pct = Math.round(e.loaded * 100 / e.total);
      bar.value = pct;
      status.textContent = pct + ' %';
    };
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () { status.textContent = box.getAttribute('data-network-error'); };
    xhr.send(new FormData(form));
  });
})();
