/* The search page over Pagefind's index (/pagefind/). Pagefind's own script and index load on
   the first search only; without JavaScript the page keeps its links to the filter pages. */
(function () {
  "use strict";
  var form = document.getElementById("recherche");
  var bundle = document.currentScript.dataset.bundle;
  var status = document.getElementById("recherche-statut");
  var list = document.getElementById("resultats");
  var engine = null;
  var shown = [];
  var PAGE = 10;

  function load() {
    engine = engine || import(bundle + "pagefind.js").then(function (pagefind) {
      return pagefind.options({ excerptLength: 24 }).then(function () {
        return pagefind.filters();
      }).then(function (filters) {
        fill("profession", filters.profession);
        fill("territoire", filters.territoire);
        return pagefind;
      });
    });
    return engine;
  }

  // Options from the index itself: every value a page carries, with its count.
  function fill(name, values) {
    var select = form.elements[name];
    var chosen = select.value || new URLSearchParams(location.search).get(name) || "";
    Object.keys(values || {}).sort(function (a, b) { return a.localeCompare(b, "fr"); })
      .forEach(function (value) {
        if ([].some.call(select.options, function (o) { return o.value === value; })) return;
        select.add(new Option(value.charAt(0).toUpperCase() + value.slice(1), value));
      });
    select.value = chosen;
  }

  function filters() {
    var chosen = {};
    ["profession", "territoire"].forEach(function (name) {
      if (form.elements[name].value) chosen[name] = form.elements[name].value;
    });
    return chosen;
  }

  function render(results, from) {
    results.slice(from, from + PAGE).forEach(function (result) {
      result.data().then(function (data) {
        var item = list.appendChild(document.createElement("li"));
        var link = item.appendChild(document.createElement("a"));
        link.href = data.url;
        link.textContent = data.meta.title;
        var excerpt = item.appendChild(document.createElement("p"));
        excerpt.innerHTML = data.excerpt; // Pagefind escapes the page text; it adds <mark> only
      });
    });
    var more = document.getElementById("recherche-plus");
    if (more) more.remove();
    if (results.length > from + PAGE) {
      more = form.parentNode.insertBefore(document.createElement("button"), list.nextSibling);
      more.id = "recherche-plus";
      more.type = "button";
      more.className = "button";
      more.textContent = "Plus de résultats";
      more.addEventListener("click", function () { render(results, from + PAGE); });
    }
  }

  function run() {
    var term = form.elements.q.value.trim();
    var chosen = filters();
    var params = new URLSearchParams(chosen);
    if (term) params.set("q", term);
    history.replaceState(null, "", params.toString() ? "?" + params : location.pathname);
    list.textContent = "";
    if (!term && !Object.keys(chosen).length) { status.textContent = ""; return; }
    status.textContent = "Recherche…";
    load().then(function (pagefind) {
      return pagefind.search(term || null, { filters: chosen });
    }).then(function (search) {
      shown = search.results;
      var n = shown.length;
      status.textContent = n ? n + " résultat" + (n > 1 ? "s" : "") : "Aucun résultat : essayez un autre mot, ou parcourez les offres ci-dessous.";
      render(shown, 0);
    }).catch(function () {
      engine = null; // a later search tries again
      status.textContent = "La recherche est indisponible pour le moment : parcourez les offres ci-dessous.";
    });
  }

  form.classList.remove("js-pending");
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  form.addEventListener("change", function (e) { if (e.target.tagName === "SELECT") run(); });
  form.addEventListener("focusin", load, { once: true });
  var query = new URLSearchParams(location.search);
  if (query.get("q") || query.get("profession") || query.get("territoire")) {
    form.elements.q.value = query.get("q") || "";
    load().then(run);
  }
})();
