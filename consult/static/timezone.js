// Preselect the browser's own time zone in fields marked data-detect-timezone,
// unless the person has already chosen one. Without JavaScript the default stays.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
    var untouched = select.value === "UTC" || select.value === "";
    var offered = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (untouched && offered) {
      select.value = zone;
    }
  });
})();
