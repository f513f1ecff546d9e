"""The online editor's API: sign-in by e-mail link, then Decap CMS's GitHub calls, filtered.

    signin   who may sign in (a territory's `editors:`), short-lived single-use links, sessions
    policy   which GitHub calls the editor may make, and which paths it may write
    proxy    the API itself: answers Decap's calls, forwards the allowed ones to GitHub
    github   GitHub's REST API with a GitHub App installation token (from Secrets Manager)
    media    uploads: size and type, read from the file's own bytes
    store    sign-in links and rate counters (SQLite locally; DynamoDB in forms.aws.editor_store)
    web      API Gateway events in, responses out (the editor's part of the HTTP layer)

None of them but `web` knows HTTP events; `github` makes outgoing HTTPS calls only.
"""
