// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors
//
// Progressive enhancement of the picture sign-in pages. They work without it.
//   [data-pic-grid]: the arrow keys move the focus between the buttons of a
//     grid (Tab, Enter and Space work anyway), Home and End to the ends.
//   [data-print]: a button, hidden without script, that prints the page.
(function () {
  'use strict';

  function buttons(grid) {
    return Array.prototype.slice.call(grid.querySelectorAll('button'));
  }

  // columns counts the buttons on the first row of the grid.
  function columns(list) {
    var top = list[0].getBoundingClientRect().top;
    var n = 0;
    while (n < list.length && Math.abs(list[n].getBoundingClientRect().top - top) < 4) {
      n++;
    }
    return Math.max(n, 1);
  }

  document.querySelectorAll('[data-pic-grid]').forEach(function (grid) {
    grid.addEventListener('keydown', function (ev) {
      var list = buttons(grid);
      var i = list.indexOf(document.activeElement);
      if (i < 0 || ev.altKey || ev.ctrlKey || ev.metaKey) {
        return;
      }
      var cols = columns(list);
      var next = {
        ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols,
        Home: 0, End: list.length - 1
      }[ev.key];
      if (next === undefined) {
        return;
      }
      ev.preventDefault();
      if (next >= 0 && next < list.length) {
        list[next].focus();
      }
    });
  });

  document.querySelectorAll('[data-print]').forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener('click', function () {
      window.print();
    });
  });
})();
