// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// Submits the form of a CAS method=POST answer, which posts the service
// ticket to the application. Without script, the person presses the button.
(function () {
  'use strict';
  var form = document.querySelector('form[data-cas-submit]');
  if (form) {
    form.submit();
  }
})();
