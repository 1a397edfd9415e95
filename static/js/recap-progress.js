// Batch intake: while a recap job runs, ask the server to process the next rows and show progress;
// the page reloads when the job is finished. Without JavaScript the "Lanjutkan proses" button does the same.
(function () {
  var card = document.getElementById("recap-job");
  if (!card || !card.hasAttribute("data-running")) return;
  var form = card.querySelector("[data-recap-form]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var bar = card.querySelector("progress");
  function show(state) {
    bar.value = state.done;
    card.querySelector("[data-recap-done]").textContent = Number(state.done).toLocaleString("id-ID");
    card.querySelector("[data-recap-created]").textContent = Number(state.created).toLocaleString("id-ID");
    card.querySelector("[data-recap-skipped]").textContent = Number(state.skipped).toLocaleString("id-ID");
  }
  function step() {
    fetch(card.getAttribute("data-progress-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": token},
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (state) {
      show(state);
      if (state.finished) window.location.reload(); else step();
    }).catch(function () {
      form.hidden = false;
      form.querySelector("[data-recap-stopped]").hidden = false;
    });
  }
  form.hidden = true;
  step();
})();
