/* Progressive enhancement of the two forms: without this file they post form-encoded and the
   server answers with a redirect. With it: JSON, errors shown beside each field, no reload. */
(function () {
  "use strict";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The JSON body: interests as a list, consent as a boolean, quantity as an integer.
  function payload(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "interests") (data.interests = data.interests || []).push(value);
      else if (name === "consent") data.consent = value === "true";
      else if (name === "quantity" && /^[0-9]+$/.test(value)) data.quantity = parseInt(value, 10);
      else if (value !== "" || name === "website") data[name] = value;
    });
    return data;
  }

  function labelOf(form, control) {
    var label = control && form.querySelector(control.tagName === "FIELDSET" ? "#" + control.id + " legend" : "label[for='" + control.id + "']");
    return label ? label.textContent.replace(" (obligatoire)", "").trim() : "";
  }

  function clear(form) {
    form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
  }

  function summarise(form, title, items) {
    var box = form.querySelector(".form-errors");
    box.textContent = "";
    var h = document.createElement("p");
    h.className = "form-errors-title";
    h.textContent = title;
    box.appendChild(h);
    if (items.length) {
      var ul = document.createElement("ul");
      items.forEach(function (item) {
        var li = document.createElement("li");
        if (!item.id) { li.textContent = item.text; ul.appendChild(li); return; }
        var a = document.createElement("a");
        a.href = "#" + item.id;
        a.textContent = item.text;
        a.addEventListener("click", function (e) {
          var target = document.getElementById(item.id);
          if (target.tagName === "FIELDSET") target = target.querySelector("input");
          e.preventDefault();
          target.focus();
        });
        li.appendChild(a);
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = false;
    box.focus();
  }

  function showErrors(form, errors) {
    var prefix = form.getAttribute("data-form");
    var items = [];
    Object.keys(errors).forEach(function (name) {
      var id = prefix + "-" + name;
      var control = document.getElementById(id);
      var slot = document.getElementById(id + "-error");
      if (slot) slot.textContent = errors[name];
      if (control) {
        control.setAttribute("aria-invalid", "true");
        items.push({ id: id, text: labelOf(form, control) + " : " + errors[name] });
      } else {
        items.push({ id: null, text: errors[name] });
      }
    });
    var n = items.length;
    summarise(form, n > 1 ? n + " informations sont à corriger :" : "Une information est à corriger :", items);
  }

  function enhance(form) {
    var key = null;
    var started = form.querySelector("[name=started_at]");
    var button = form.querySelector("[type=submit]");
    if (started) started.value = String(Date.now());
    // A changed form is a new submission; an unchanged retry keeps its key (no duplicate).
    form.addEventListener("input", function () { key = null; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) return;
      key = key || uuid();
      clear(form);
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": key },
        body: JSON.stringify(payload(form))
      }).then(function (response) {
        if (response.status === 202 || response.ok) { window.location.assign(form.getAttribute("data-thanks")); return; }
        return response.json().catch(function () { return {}; }).then(function (body) {
          button.disabled = false;
          if (body && body.errors) showErrors(form, body.errors);
          else summarise(form, "L'envoi n'a pas abouti (erreur " + response.status + "). Vos informations sont conservées : réessayez dans un instant.", []);
        });
      }).catch(function () {
        button.disabled = false;
        summarise(form, "La connexion a échoué. Vos informations sont conservées : vérifiez votre connexion et réessayez.", []);
      });
    });
  }

  document.querySelectorAll("form[data-form]").forEach(enhance);
})();
