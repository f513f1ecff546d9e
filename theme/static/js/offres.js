/* Instant filter of the list shown (the filter links work without it): hides the cards that
   do not match and, when the list has other pages, links to the full filtered list. */
(function () {
  "use strict";
  var form = document.getElementById("filtre");
  var list = document.getElementById("liste");
  if (!form || !list) return;
  var cards = [].slice.call(list.children);
  var count = document.getElementById("nombre");
  var more = document.getElementById("filtre-suite");
  var paged = document.querySelector(".pagination") !== null;
  var plain = function (text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  };
  var words = cards.map(function (card) { return plain(card.textContent + " " + card.dataset.words); });
  var initial = count.textContent;
  form.hidden = false;
  function apply() {
    var selects = [].slice.call(form.querySelectorAll("select")).filter(function (s) { return s.value; });
    var query = plain(form.elements.q.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (card, i) {
      var ok = selects.every(function (s) { return card.dataset[s.name] === s.value; }) &&
        query.every(function (w) { return words[i].indexOf(w) >= 0; });
      card.hidden = !ok;
      shown += ok;
    });
    var filtering = selects.length || query.length;
    count.textContent = filtering ? shown + " offre" + (shown > 1 ? "s" : "") + " sur cette page" : initial;
    more.hidden = true;
    if (paged && selects.length === 1) {
      var option = selects[0].selectedOptions[0];
      more.textContent = "";
      var link = more.appendChild(document.createElement("a"));
      link.href = option.dataset.url;
      link.textContent = "Voir les " + option.dataset.count + " offres « " + option.textContent + " » de toutes les pages";
      more.hidden = false;
    }
  }
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
})();
