// Asks before irreversible actions: <form data-confirm="…">, <button data-confirm-button="…">, or
// <button data-confirm-branches='{"Tidak": "…"}'> for a decision form, where only the question of the
// branch actually chosen is asked (a harmless branch asks nothing). Listened to in the capture
// phase, before htmx's own listener on a form posted in place: a "no" stops the event there.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = null;
  if (button && button.hasAttribute("data-confirm-button")) {
    question = button.getAttribute("data-confirm-button");
  } else if (button && button.hasAttribute("data-confirm-branches")) {
    var questions = JSON.parse(button.getAttribute("data-confirm-branches"));
    var chosen = form.querySelector("input[name=branch]:checked");
    question = questions[chosen ? chosen.value : ""] || null;
  } else {
    question = form.getAttribute("data-confirm");
  }
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
