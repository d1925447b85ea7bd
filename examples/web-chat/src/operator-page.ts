/**
 * The operator's pages rendered on the server: the sign-in form and the shell the console
 * (`src/console/`) mounts in, behind the operator sign-in (`operator-auth.ts`). Every
 * user-supplied string is escaped.
 */
import type { Policy } from '@parley/protocol'

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * The operator console's page: the top bar (policy, sign-out) rendered here, the console itself
 * (`src/console/`, React) mounted from `/operator/console.js`, which only a signed-in operator
 * can load.
 */
export function renderOperatorPage(policy: Policy): string {
  return `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley operator console</title>
<link rel="stylesheet" href="/app.css">
<link rel="stylesheet" href="/operator/console.css">
</head><body class="operator">
<header class="topbar"><span class="brand">Parley</span><span class="topbar-title">Operator console</span>
<span class="policy-chip" data-testid="operator-policy">policy: ${escapeHtml(policy)}</span><a class="link" href="/">Open chat →</a>
<form method="post" action="/operator/logout"><button class="button small" data-testid="operator-logout" type="submit">Sign out</button></form></header>
<main class="operator-main">
<p class="muted intro">Every report carries the last messages the reporter saw, each with its franking opening. The server checks each
message against the commitment it bound when it relayed it — the same check in every mode, so content reported from an
end-to-end encrypted conversation is proven genuine without the server ever having read it.</p>
<div id="console"><p class="muted">Loading the console…</p></div>
</main>
<script type="module" src="/operator/console.js"></script>
</body></html>`
}

/** The operator's sign-in form (`error` when the last attempt failed). */
export function renderLoginPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley operator · sign in</title>
<link rel="stylesheet" href="/app.css">
</head><body class="operator">
<main class="signin"><div class="card signin-card">
<div class="brand big">Parley</div>
<p class="muted">Operator sign-in. The token is printed when the server starts (or set with PARLEY_OPERATOR_TOKEN).</p>
<form method="post" action="/operator/login">
<label class="field"><span>Operator token</span><input data-testid="operator-token" name="token" type="password" autocomplete="current-password" autofocus></label>
<button class="button primary wide" data-testid="operator-login" type="submit">Sign in</button>
</form>
${error ? `<p class="error-text" data-testid="operator-login-error">${escapeHtml(error)}</p>` : ''}
</div></main>
</body></html>`
}
