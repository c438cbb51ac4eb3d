// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// Passkeys and security keys (CARINE INF-AUT-2, INF-AUT-12): runs the
// WebAuthn ceremonies of the security page (adding a key) and of the
// second-factor page (using one). The section [data-passkeys] names the
// begin and finish URLs (data-begin, data-finish), the CSRF token
// (data-csrf), where to go once done (data-next; the page reloads when
// empty) and the messages to show (data-working, data-cancelled,
// data-failed, data-exists, data-unsupported, data-done). Messages go to
// the [data-passkey-status] live region, so that screen readers announce
// them. The form [data-passkey-register] and the button
// [data-passkey-login] stay hidden without this script or without WebAuthn
// in the browser; the authenticator-app form works without it.
(function () {
  'use strict';
  var box = document.querySelector('[data-passkeys]');
  if (!box) {
    return;
  }
  var status = box.querySelector('[data-passkey-status]');
  var nojs = box.querySelector('[data-passkey-nojs]');
  var register = box.querySelector('form[data-passkey-register]');
  var login = box.querySelector('button[data-passkey-login]');
  if (!register && !login) {
    return;
  }
  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch && window.JSON);

  function text(name) {
    return box.getAttribute('data-' + name) || '';
  }

  function say(message, isError) {
    if (!status) {
      return;
    }
    status.classList.toggle('field-error', !!isError);
    status.textContent = message;
  }

  if (!supported) {
    if (nojs) {
      nojs.textContent = text('unsupported');
    }
    return;
  }
  if (nojs) {
    nojs.hidden = true;
  }

  // base64url (no padding) <-> ArrayBuffer, the encoding of the JSON forms
  // of WebAuthn options and responses.
  function toBuffer(s) {
    var b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) {
      b64 += '=';
    }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toBase64url(buf) {
    if (!buf) {
      return null;
    }
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = {type: d.type, id: toBuffer(d.id)};
      if (d.transports) {
        out.transports = d.transports;
      }
      return out;
    });
  }

  function creationOptions(json) {
    var o = json.publicKey;
    o.challenge = toBuffer(o.challenge);
    o.user.id = toBuffer(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    var o = json.publicKey;
    o.challenge = toBuffer(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  }

  // credentialJSON returns the browser's answer in the JSON form the server
  // reads (PublicKeyCredential.toJSON, written out for older browsers).
  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: {clientDataJSON: toBase64url(r.clientDataJSON)}
    };
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      if (r.userHandle) {
        out.response.userHandle = toBase64url(r.userHandle);
      }
    }
    return out;
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': text('csrf')},
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var err = new Error((data && data.error && data.error.message) || text('failed'));
          err.fromServer = true;
          throw err;
        }
        return data;
      });
    });
  }

  function done() {
    say(text('done'));
    var next = text('next');
    if (next) {
      window.location.assign(next);
    } else {
      window.location.reload();
    }
  }

  function failed(control) {
    return function (err) {
      control.disabled = false;
      if (err && err.fromServer) {
        say(err.message, true);
      } else if (err && (err.name === 'NotAllowedError' || err.name === 'AbortError')) {
        say(text('cancelled'), true); // the person closed the prompt, or it timed out
      } else if (err && err.name === 'InvalidStateError' && text('exists')) {
        say(text('exists'), true); // this authenticator already holds one of the account's keys
      } else {
        say(text('failed'), true);
      }
    };
  }

  if (register) {
    var button = register.querySelector('button[type="submit"]');
    var name = register.querySelector('input[name="passkey-name"]');
    register.hidden = false;
    register.addEventListener('submit', function (ev) {
      ev.preventDefault();
      button.disabled = true;
      say(text('working'));
      post(text('begin')).then(function (options) {
        return navigator.credentials.create({publicKey: creationOptions(options)});
      }).then(function (cred) {
        return post(text('finish'), {name: name ? name.value : '', credential: credentialJSON(cred)});
      }).then(done, failed(button));
    });
  }

  if (login) {
    login.hidden = false;
    login.addEventListener('click', function () {
      login.disabled = true;
      say(text('working'));
      post(text('begin')).then(function (options) {
        return navigator.credentials.get({publicKey: requestOptions(options)});
      }).then(function (cred) {
        return post(text('finish'), {credential: credentialJSON(cred)});
      }).then(done, failed(login));
    });
  }
})();
