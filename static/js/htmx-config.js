// htmx for the case page's in-place step completion (templates/cases/_action_panel.html). Loaded
// after static/vendor/htmx/htmx.min.js; the CSP forbids inline script and eval, so htmx is told
// to use neither, and to keep no page copies (personal data) in localStorage.
(function () {
  if (!window.htmx) return;
  htmx.config.allowEval = false;
  htmx.config.allowScriptTags = false;
  htmx.config.includeIndicatorStyles = false;
  htmx.config.historyEnabled = false;
  htmx.config.historyCacheSize = 0;
  htmx.config.selfRequestsOnly = true;

  // A refusal the server answers with an error page (403, 404, 500) or no answer at all: told in
  // the action panel, which stays as it was.
  function tell(panel, text) {
    var box = panel && panel.querySelector("[data-testid=panel-error]");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text =
      status === 403
        ? "Tindakan ini bukan untuk Anda (403). Muat ulang halaman."
        : status === 404
          ? "Permohonan tidak ditemukan (404)."
          : "Tindakan gagal (" + status + "). Muat ulang halaman lalu ulangi.";
    tell(document.getElementById("tindakan"), text);
  });
  document.addEventListener("htmx:sendError", function () {
    tell(document.getElementById("tindakan"), "Tidak tersambung ke server. Periksa jaringan lalu ulangi.");
  });

  // After the panel is swapped: in view, and the focus on what it now says (the message,
  // or the next step's form) instead of on a button that no longer exists.
  document.addEventListener("htmx:afterSettle", function (event) {
    var panel = document.getElementById("tindakan");
    if (!panel || event.target !== panel) return;
    document.documentElement.setAttribute("data-step-swaps", String(Number(document.documentElement.getAttribute("data-step-swaps") || 0) + 1));
    // As the #tindakan anchor does without JavaScript: the panel at the top when it, or the next
    // step's button, is out of view.
    var button = panel.querySelector("[data-testid=complete]");
    var below = button && button.getBoundingClientRect().bottom > window.innerHeight;
    if (panel.getBoundingClientRect().top < 0 || below) panel.scrollIntoView({ block: "start" });
    var focus = panel.querySelector("[data-testid=panel-messages], [data-testid=complete-form] h3");
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus({ preventScroll: true });
    }
  });
})();
