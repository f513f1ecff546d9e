/* Enhances the two forms. Without this file they post form-encoded and the server redirects;
   with it: a JSON request, errors beside each field and in a summary, no page reload. */
(function () {
  "use strict";

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  // The JSON body: interests as a list, consent as a boolean, quantity as an integer.
  function payload(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "interests") (data.interests = data.interests || []).push(value);
      else if (name === "consent") data.consent = value === "true";
      else if (name === "quantity" && /^[0-9]+$/.test(value)) data.quantity = +value;
      else if (value !== "" || name === "website") data[name] = value;
    });
    return data;
  }

  // The server's proof-of-work challenge (ALTCHA, served by our own API after a few
  // submissions): find the number whose SHA-256 with the salt is the challenge, then send
  // the solution back with the form. About 50,000 hashes: a fraction of a second.
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function solve(challenge) {
    var encoder = new TextEncoder();
    function from(start) {
      var tries = [];
      for (var n = start; n < start + 500 && n <= challenge.maxnumber; n++) {
        tries.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      return Promise.all(tries).then(function (digests) {
        for (var i = 0; i < digests.length; i++) {
          if (hex(digests[i]) === challenge.challenge) {
            return btoa(JSON.stringify({
              algorithm: challenge.algorithm, challenge: challenge.challenge, number: start + i,
              salt: challenge.salt, signature: challenge.signature
            }));
          }
        }
        if (start + 500 > challenge.maxnumber) throw new Error("challenge not solved");
        return from(start + 500);
      });
    }
    return from(0);
  }

  function labelOf(control) {
    // A placement page names its placement in a paragraph, which has no label.
    var label = control.tagName === "FIELDSET" ? control.querySelector("legend") : (control.labels || [])[0];
    if (!label) return "";
    return (label.getAttribute("data-short") || label.textContent.replace(" (obligatoire)", "").trim()) + "\u00a0: ";
  }

  function summarise(form, title, items) {
    var box = form.querySelector(".form-errors");
    var list = document.createElement("ul");
    box.textContent = "";
    box.appendChild(document.createElement("p")).textContent = title;
    items.forEach(function (item) {
      var li = list.appendChild(document.createElement("li"));
      if (!item.control) { li.textContent = item.text; return; }
      var a = li.appendChild(document.createElement("a"));
      a.href = "#" + item.control.id;
      a.textContent = item.text;
      a.addEventListener("click", function (e) {
        e.preventDefault();
        (item.control.tagName === "FIELDSET" ? item.control.querySelector("input") : item.control).focus();
      });
    });
    if (items.length) box.appendChild(list);
    box.hidden = false;
    box.focus();
  }

  function showErrors(form, errors) {
    var prefix = form.getAttribute("data-form") + "-";
    var items = Object.keys(errors).map(function (name) {
      var control = document.getElementById(prefix + name);
      var slot = document.getElementById(prefix + name + "-error");
      if (slot) slot.textContent = errors[name];
      if (control) control.setAttribute("aria-invalid", "true");
      return { control: control, text: (control ? labelOf(control) : "") + errors[name] };
    });
    summarise(form, items.length > 1 ? items.length + " informations sont à corriger\u00a0:" : "Une information est à corriger\u00a0:", items);
  }

  function enhance(form) {
    var key = null;
    var button = form.querySelector("[type=submit]");
    form.querySelector("[name=started_at]").value = String(Date.now());
    // A changed form is a new submission; an unchanged retry keeps its key (no duplicate).
    form.addEventListener("input", function () { key = null; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) return;
      key = key || uuid();
      form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
      button.disabled = true;
      var data = payload(form);
      function send(solution) {
        if (solution) data.altcha = solution;
        return fetch(form.action, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": key },
          body: JSON.stringify(data)
        }).then(function (response) {
          if (response.ok) return window.location.assign(form.getAttribute("data-thanks"));
          return response.json().catch(function () { return {}; }).then(function (body) {
            // Asked once for a challenge: solve it and send again; asked again, say so.
            if (response.status === 429 && body.challenge && !solution) return solve(body.challenge).then(send);
            button.disabled = false;
            if (body && body.errors) showErrors(form, body.errors);
            else summarise(form, "L'envoi n'a pas abouti (erreur " + response.status + "). Vos informations sont conservées : réessayez dans un instant.", []);
          });
        });
      }
      send(null).catch(function () {
        button.disabled = false;
        summarise(form, "La connexion a échoué. Vos informations sont conservées : vérifiez votre connexion et réessayez.", []);
      });
    });
  }

  document.querySelectorAll("form[data-form]").forEach(enhance);
})();
