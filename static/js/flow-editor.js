// Susun langkah (admin): insert, move and delete rows, renumber them, keep the branch targets'
// list of steps in step with the rows, and refresh the flowchart preview as the author types.
(function () {
  "use strict";
  const form = document.getElementById("flow-editor");
  if (!form) return;
  const body = form.querySelector("tbody");
  const count = form.querySelector("input[name=rows]");
  const preview = document.getElementById("flow-preview");
  let serial = 0;

  function rows() { return Array.from(body.querySelectorAll("tr.step-row")); }
  function kept(row) {
    const activity = row.querySelector("textarea.activity");
    const deleted = row.querySelector(".delete input");
    return activity && activity.value.trim() !== "" && !(deleted && deleted.checked);
  }

  function renumber() {
    let no = 0;
    const labels = [];
    rows().forEach(function (row, index) {
      row.querySelector("input.pos").value = index + 1;
      const keep = kept(row);
      if (keep) no += 1;
      row.classList.toggle("blank", !keep);
      row.querySelector(".no").textContent = keep ? String(no) : "–";
      const text = row.querySelector("textarea.activity").value.trim();
      if (keep) labels.push(["row:" + row.dataset.key, "ke langkah " + no + ": " + text.slice(0, 40)]);
    });
    form.querySelectorAll("select.b-target").forEach(function (select) {
      const chosen = select.value;
      let group = select.querySelector("optgroup");
      group.replaceChildren();
      labels.forEach(function (pair) {
        const option = new Option(pair[1], pair[0]);
        group.appendChild(option);
      });
      if (chosen.startsWith("row:") && !labels.some(function (p) { return p[0] === chosen; })) {
        group.appendChild(new Option("(langkah yang dihapus)", chosen));
      }
      select.value = chosen;
    });
  }

  function blankCopy(row) {
    const index = Number(count.value);
    count.value = index + 1;
    serial += 1;
    const copy = row.cloneNode(true);
    copy.dataset.key = "j" + Date.now().toString(36) + serial;
    copy.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(/^row-\d+-/, "row-" + index + "-");
      if (el.name.endsWith("-key")) el.value = copy.dataset.key;
      else if (el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.value = "next";
      else if (el.type !== "hidden") el.value = "";
    });
    copy.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/-[^-]+$/, "-" + copy.dataset.key); });
    copy.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/-[^-]+$/, "-" + copy.dataset.key); });
    copy.querySelectorAll(".reading").forEach(function (el) { el.textContent = ""; });
    return copy;
  }

  body.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr.step-row");
    if (button.classList.contains("insert")) {
      const copy = blankCopy(row);
      body.insertBefore(copy, row);
      copy.querySelector("textarea.activity").focus();
    } else if (button.classList.contains("up") && row.previousElementSibling) {
      body.insertBefore(row, row.previousElementSibling);
    } else if (button.classList.contains("down") && row.nextElementSibling) {
      body.insertBefore(row.nextElementSibling, row);
    }
    renumber();
    schedule();
  });

  const add = document.getElementById("add-row");
  if (add) {
    add.addEventListener("click", function () {
      const all = rows();
      const copy = blankCopy(all[all.length - 1]);
      body.appendChild(copy);
      renumber();
      copy.querySelector("textarea.activity").focus();
    });
  }

  let timer = null;
  function schedule() {
    if (!preview) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 800);
  }
  function refresh() {
    const data = new FormData(form);
    data.set("action", "preview");
    fetch(form.dataset.previewUrl, { method: "POST", body: data, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) preview.innerHTML = html; });
  }

  form.addEventListener("input", function (event) {
    if (event.target.matches("textarea.activity")) renumber();
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.matches(".delete input")) renumber();
    schedule();
  });
  renumber();
})();
