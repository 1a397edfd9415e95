// Opens a folded part of a form (<details data-open-when="id_field=value">) when that field takes that value,
// e.g. the incoming-letter fields when the channel becomes "Surat". It never folds anything: what is open stays open.
(function () {
  "use strict";
  document.querySelectorAll("details[data-open-when]").forEach(function (details) {
    var rule = details.dataset.openWhen.split("=");
    var field = document.getElementById(rule[0]);
    if (!field) return;
    function check() {
      var value = field.type === "checkbox" ? (field.checked ? "on" : "") : field.value;
      if (value === rule[1]) details.open = true;
    }
    field.addEventListener("change", check);
    check();
  });
})();
