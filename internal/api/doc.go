// Package api is vigil's HTTP API: scoring, decisions and their explanations, labels, the
// review queue, rules, lists, models, API keys and erasure, plus health, readiness, metrics
// and the OpenAPI document (docs/API.md describes every endpoint).
//
// It owns the HTTP concerns and nothing else: authentication with API keys (package
// apikey), authorisation by the permission table apikey.Allowed, per-key rate limits, a
// global concurrency limit, body limits, the one error shape, security headers, request
// metrics and logs, and the audit entry of every privileged change. Scoring, labelling and
// the versions in force belong to score.Pipeline; storage to the fraud store interfaces.
//
// Every request goes through, in order: recover (a panic answers 500, never a stack) ->
// metrics and logging (by route pattern, never the path) -> concurrency limit -> API key ->
// per-key rate limit -> permission -> body limit -> handler. Errors are mapped to statuses
// in exactly one function (errorFor). No response and no log line holds a secret, a key,
// a raw identifier or a request body.
//
// # Audit
//
// A privileged change (keys, rules, lists, models, labels, cases, erasure) is made first,
// then recorded with audit.Log.Append, then answered. When the append fails after the
// change succeeded, the change stands and is answered as a success: undoing it is not always
// possible (an erasure, a revoked key) and answering an error would make the client retry a
// change that happened. The failure is logged at error level with the request id and the
// action (never the details) so that an operator can record it by hand; a failure to change
// anything is answered with its error and appends nothing.
package api
