// Asks before irreversible actions: <form data-confirm="…"> or <button data-confirm-button="…">.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = event.target.getAttribute("data-confirm") ||
    (button && button.getAttribute("data-confirm-button"));
  if (question && !window.confirm(question)) event.preventDefault();
});
