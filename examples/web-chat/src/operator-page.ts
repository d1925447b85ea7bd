/**
 * `/operator`: what a trust-and-safety operator sees — each verified report with its
 * transcript status (verified, ordered, gaps, messages left out after the last entry) and each
 * entry's verification result, behind the operator sign-in (`operator-auth.ts`). Rendered on
 * the server as plain HTML; every user-supplied string is escaped.
 */
import type { Policy, VerifiedReport, VerifiedReportEntry } from '@parley/protocol'

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const FAILURE_TEXT: Record<NonNullable<VerifiedReportEntry['failure']>, string> = {
  bad_opening: 'content does not match what the sender committed to',
  bad_binding: 'not the message the server relayed (binding mismatch)',
  unknown_key: 'signed with an unknown server franking key',
  wrong_conversation: 'belongs to another conversation',
  not_delivered_to_reporter: 'the reporter never received this message',
  duplicate_entry: 'listed twice in the report',
  sender_not_member: 'the sender was not a member of the group at that point (by its signed roster)',
}

function time(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
}

function entryRow(e: VerifiedReportEntry): string {
  const status = e.verified
    ? '<span class="pill pill-ok">✓ verified</span>'
    : `<span class="pill pill-bad" title="${escapeHtml(e.failure ?? '')}">✗ ${escapeHtml(FAILURE_TEXT[e.failure!] ?? 'not verified')}</span>`
  return `<tr data-testid="report-entry" data-verified="${e.verified}">
    <td class="num">#${e.seq}</td>
    <td>${escapeHtml(e.sender.userId)}</td>
    <td class="msg">${escapeHtml(e.text)}${e.attachments.length ? ` <em>+${e.attachments.length} attachment(s)</em>` : ''}</td>
    <td>${status}</td>
  </tr>`
}

function reportCard(r: VerifiedReport): string {
  const t = r.transcript
  const verdict = t.verified
    ? '<span class="pill pill-ok" data-testid="report-status">✓ Transcript verified</span>'
    : '<span class="pill pill-bad" data-testid="report-status">✗ Transcript not verified</span>'
  const gaps = t.gaps.length ? `<p class="muted">Missing messages (not in the report): ${t.gaps.map((g) => `#${g}`).join(', ')}</p>` : ''
  const order = t.ordered ? '' : '<p class="muted">Entries are out of order.</p>'
  const later = t.complete ? '' : `<p class="muted" data-testid="report-incomplete">${t.laterDelivered} later message(s) the reporter received or sent are not in the report.</p>`
  return `<article class="card report" data-testid="report" data-report-id="${escapeHtml(r.reportId)}" data-verified="${t.verified}">
    <header class="report-head">
      <div>
        <strong>${escapeHtml(r.reporter.userId)}</strong> reported conversation <code>${escapeHtml(r.conversationId)}</code>
        <div class="muted">${time(r.receivedAt)} · reason: <span data-testid="report-reason">${escapeHtml(r.reason)}</span></div>
      </div>
      ${verdict}
    </header>
    ${gaps}${later}${order}
    <table class="entries">
      <thead><tr><th>seq</th><th>sender</th><th>message</th><th>franking check</th></tr></thead>
      <tbody>${r.entries.map(entryRow).join('')}</tbody>
    </table>
  </article>`
}

/** The whole operator page. */
export function renderOperatorPage(reports: readonly VerifiedReport[], policy: Policy): string {
  const body = reports.length
    ? reports.map(reportCard).join('\n')
    : '<p class="empty card" data-testid="no-reports">No reports yet. Use “Report” in a conversation to send one.</p>'
  return `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley operator · reports</title>
<link rel="stylesheet" href="/app.css">
</head><body class="operator">
<header class="topbar"><span class="brand">Parley</span><span class="topbar-title">Operator · verified reports</span>
<span class="policy-chip">policy: ${escapeHtml(policy)}</span><a class="link" href="/">Open chat →</a>
<form method="post" action="/operator/logout"><button class="button small" data-testid="operator-logout" type="submit">Sign out</button></form></header>
<main class="operator-main">
<p class="muted intro">Every report carries the last messages the reporter saw, each with its franking opening. The server checks each
message against the commitment it bound when it relayed it — the same check in every mode, so content reported from an
end-to-end encrypted conversation is proven genuine without the server ever having read it.</p>
${body}
</main>
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
