// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// The file manager's upload with progress (the form works without it):
// files chosen or dropped on the form go one by one as the body of a PUT
// to /files/upload?dir=…&name=…, with the CSRF token in a header, and a
// <progress> and a live region report how far it got.
(function () {
  'use strict';
  var form = document.querySelector('form[data-upload]');
  if (!form || !window.XMLHttpRequest) { return; }
  var input = form.querySelector('input[type=file]');
  var box = form.querySelector('.upload-progress');
  var bar = box.querySelector('progress');
  var status = box.querySelector('[data-upload-status]');
  var dir = form.querySelector('input[name=dir]').value;
  var token = form.querySelector('input[name=csrf]').value;

  function send(files) {
    var total = 0, done = 0, i = 0;
    for (var k = 0; k < files.length; k++) { total += files[k].size; }
    box.hidden = false;
    function next() {
      if (i >= files.length) {
        status.textContent = '100 %';
        window.location.search = '?path=' + encodeURIComponent(dir) + '&done=uploaded';
        return;
      }
      var f = files[i++];
      var xhr = new XMLHttpRequest();
      xhr.open('PUT', '/files/upload?dir=' + encodeURIComponent(dir) + '&name=' + encodeURIComponent(f.name));
      xhr.setRequestHeader('X-CSRF-Token', token);
      xhr.upload.onprogress = function (ev) {
        var pct = total ? Math.round((done + ev.loaded) * 100 / total) : 100;
        bar.value = pct;
        status.textContent = f.name + ' — ' + pct + ' %';
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { done += f.size; next(); return; }
        status.textContent = f.name + ' : ' + (xhr.responseText || xhr.status);
        window.location.search = '?path=' + encodeURIComponent(dir) + '&error=' +
          encodeURIComponent(f.name + ' : ' + (xhr.responseText || xhr.status).toString().slice(0, 300));
      };
      xhr.onerror = function () { status.textContent = f.name + ' : network error'; };
      xhr.send(f);
    }
    next();
  }
  form.addEventListener('submit', function (ev) {
    if (!input.files || !input.files.length) { return; }
    ev.preventDefault();
    send(input.files);
  });
  form.addEventListener('dragover', function (ev) { ev.preventDefault(); form.classList.add('dragging'); });
  form.addEventListener('dragleave', function () { form.classList.remove('dragging'); });
  form.addEventListener('drop', function (ev) {
    ev.preventDefault();
    form.classList.remove('dragging');
    if (ev.dataTransfer && ev.dataTransfer.files.length) { send(ev.dataTransfer.files); }
  });
})();
