// Our additions to the content editor (Decap CMS), copied to /admin/ by tools/decap_config.py
// and loaded after Decap's bundle: the preview pane shows the site's own styles.
(function () {
  'use strict';
  var CMS = window.CMS;
  var h = window.h;
  var script = document.currentScript;
  var styles = ((script && script.getAttribute('data-styles')) || '').split(' ').filter(Boolean);

  // The landing page's banner, drawn with the site's classes.
  function territoryPreview(props) {
    var data = props.entry.get('data');
    var code = data.get('code');
    var kind = data.get('kind') || '';
    return h('main', { id: 'contenu' },
      h('section', { className: 'hero' },
        h('div', { className: 'wrap' },
          h('p', { className: 'kicker' },
            kind.charAt(0).toUpperCase() + kind.slice(1) + (code ? ' (' + code + ')' : '')),
          h('h1', null, data.get('name')),
          h('p', { className: 'tagline' }, data.get('tagline')),
          h('div', { className: 'intro' }, props.widgetFor('intro')))));
  }

  // Staff sign in with their e-mail address, not a GitHub account: the button says so.
  var french = CMS.getLocale && CMS.getLocale('fr');
  if (french) {
    var ours = JSON.parse(JSON.stringify(french));
    ours.auth.loginWithGitHub = 'Se connecter avec son adresse e-mail';
    CMS.registerLocale('fr', ours);
  }

  styles.forEach(function (href) { CMS.registerPreviewStyle(href); });
  CMS.registerPreviewTemplate('territory', territoryPreview);
})();
