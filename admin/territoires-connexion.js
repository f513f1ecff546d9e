// The editor's sign-in pages (served by /api/editor/…/connexion): hand the session to Decap CMS.
// Copied to /admin/ by tools/decap_config.py. Decap opens the sign-in page in a window and
// waits for the window's messages (decap-cms-lib-auth): first "authorizing:github", then
// "authorization:github:success:{token, provider}", both from the site's own origin.
(function () {
  'use strict';
  var KEY = 'decap-cms-user'; // where Decap keeps its signed-in user
  var origin = window.location.origin;
  var editor = window.opener && window.opener !== window ? window.opener : null;

  function handOver(token) {
    if (!editor || !token) return;
    var data = JSON.stringify({ token: token, provider: 'github' });
    editor.postMessage('authorization:github:success:' + data, origin);
  }

  if (editor) editor.postMessage('authorizing:github', origin);

  // The link's page: keep the session where Decap looks for it, so that the editor opens
  // signed in, here or in the tab that asked for the link.
  var session = document.getElementById('editor-session');
  if (session) {
    var token = session.getAttribute('data-token');
    var email = session.getAttribute('data-email');
    window.localStorage.setItem(KEY, JSON.stringify({
      token: token, backendName: 'github', login: email, name: email, email: email
    }));
    handOver(token);
  }

  // The sign-in window, while the link is opened in another tab: that tab's session arrives
  // here as a storage event, and goes on to the editor that opened this window.
  if (editor && document.getElementById('editor-sign-in-pending')) {
    window.addEventListener('storage', function (event) {
      if (event.key !== KEY || !event.newValue) return;
      try { handOver(JSON.parse(event.newValue).token); } catch (e) { /* not ours */ }
    });
  }
})();
