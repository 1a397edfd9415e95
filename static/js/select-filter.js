// Filters the options of a <select> as the user types in an input with data-filter-select.
document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
  var select = document.getElementById(input.dataset.filterSelect);
  if (!select) return;
  var options = Array.prototype.slice.call(select.options);
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var firstMatch = null;
    options.forEach(function (option) {
      var text = option.text.toLowerCase();
      var match = !option.value || words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !match;
      if (match && option.value && !firstMatch) firstMatch = option;
    });
    if (firstMatch && (select.selectedIndex < 1 || select.options[select.selectedIndex].hidden)) {
      select.value = firstMatch.value;
    }
  });
});
