// Entity page of `channelkg serve`: draws the timeline of the entity's dated claims from the
// page's JSON data block (never executed as script).
"use strict";
(function () {
  var data = document.getElementById("timeline-data");
  var box = document.getElementById("timeline");
  if (!data || !box || !window.ckgCharts) { return; }
  window.ckgCharts.timeline(box, JSON.parse(data.textContent));
}());
