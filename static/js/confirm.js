// Asks before irreversible actions: <form data-confirm="Pertanyaan?">.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
