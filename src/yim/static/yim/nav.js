// On a phone the main navigation is one sideways-scrolling row: bring the current entry into view.
(function () {
  "use strict";
  var current = document.querySelector(".site-header nav a[aria-current=page]");
  if (current && current.scrollIntoView) {
    current.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
})();
