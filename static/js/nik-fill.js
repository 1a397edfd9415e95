// Person form: a valid NIK fills tanggal lahir and jenis kelamin and proposes kecamatan and kabupaten.
// Only fields left empty (or filled by this script and not touched since) are written; the server checks again.
(function () {
  "use strict";
  function init() {
    var form = document.querySelector("form[data-nik-url]");
    if (!form) return;
    var nik = form.querySelector("#id_nik");
    var facts = document.getElementById("nik-facts");
    if (!nik || !facts) return;
    var targets = {
      birth_date: form.querySelector("#id_birth_date"),
      sex: form.querySelector("#id_sex"),
      district: form.querySelector("#id_district"),
      regency: form.querySelector("#id_regency"),
    };
    Object.keys(targets).forEach(function (key) {
      var field = targets[key];
      if (field) field.addEventListener("input", function () { delete field.dataset.fromNik; });
    });
    var last = "";
    function put(key, value) {
      var field = targets[key];
      if (!field || !value) return;
      if (field.value === "" || field.dataset.fromNik === "1") {
        field.value = value;
        field.dataset.fromNik = "1";
      }
    }
    function check() {
      var digits = nik.value.replace(/[\s.\-]/g, "");
      if (digits.length !== 16 || digits === last) return;
      last = digits;
      fetch(form.dataset.nikUrl + "?nik=" + encodeURIComponent(digits), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          facts.hidden = false;
          if (!data.valid) {
            facts.textContent = data.problems.join(" ");
            facts.classList.add("error-text");
            return;
          }
          facts.classList.remove("error-text");
          put("birth_date", data.birth_date);
          put("sex", data.sex);
          put("district", data.district);
          put("regency", data.regency);
          var parts = [data.birth_date.split("-").reverse().join("-"), data.sex === "P" ? "perempuan" : "laki-laki"];
          if (data.district) parts.push("Kec. " + data.district);
          if (data.regency) parts.push(data.regency);
          if (data.province) parts.push(data.province);
          facts.textContent = "Menurut NIK: " + parts.join(", ") + ". Periksa dan ubah bila perlu.";
        })
        .catch(function () { /* the server fills and checks on save */ });
    }
    nik.addEventListener("input", check);
    nik.addEventListener("change", check);
    check();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
