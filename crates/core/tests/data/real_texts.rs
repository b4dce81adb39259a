// Real message texts, each with the knowledge base entry it must find. Shared by the core's
// test of `kb::find` and the `ccpulse fix` test in `tests/tests/cli.rs` (through `include!`).
/// Real message texts (from Claude Code, the API behind it, the official error page and users'
/// bug reports), with the noise around them that a paste brings along.
const REAL_TEXTS: &[(&str, &str)] = &[
    (
        "API Error: 500 Internal server error. This is a server-side issue, usually temporary \u{2014} try again in a moment. If it persists, check https://status.claude.com.",
        "server-error",
    ),
    (
        "  \u{23bf}  API Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"},\"request_id\":\"req_011CSHbK7TkvnXjDQq1mJ3Ev\"}",
        "server-error",
    ),
    (
        "\u{23bf}  API Error: Repeated 529 Overloaded errors. The API is at capacity \u{2014} this is usually temporary. Try again in a moment. If it persists, check https://status.claude.com.",
        "overloaded",
    ),
    (
        "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_0\"}",
        "overloaded",
    ),
    (
        "Opus is experiencing high load, please use /model to switch to Sonnet",
        "overloaded",
    ),
    ("\u{23bf}  API Error: Request timed out.", "timeout"),
    (
        "Claude Opus 4.7 is temporarily unavailable, so auto mode cannot determine the safety of Bash right now. Wait briefly and then try this action again.",
        "classifier-unavailable",
    ),
    (
        "\u{23bf}  You\u{2019}ve hit your session limit \u{b7} resets 3pm (America/Los_Angeles)",
        "session-limit",
    ),
    (
        "Claude usage limit reached. Your limit will reset at 1pm (Etc/GMT+5).",
        "session-limit",
    ),
    (
        "You\u{2019}ve hit your weekly limit \u{b7} resets Oct 9, 5pm (America/Los_Angeles)",
        "weekly-limit",
    ),
    (
        "\u{25cf} You've hit your Opus limit \u{b7} resets 8:10pm\n  Switch to another model to keep going",
        "model-limit",
    ),
    ("You've hit your Sonnet limit \u{b7} resets 3pm", "model-limit"),
    (
        "API Error: Request rejected (429) \u{b7} this may be a temporary capacity issue. If it persists, check https://status.claude.com.",
        "rate-limited",
    ),
    (
        "API Error: Server is temporarily limiting requests (not your usage limit) \u{b7} Rate limited",
        "rate-limited",
    ),
    (
        "Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account\u{2019}s rate limit. Please try again later.\"}}\n    at h6.generate (file:///usr/local/lib/node_modules/@anthropic-ai/claude-code/cli.js:1329:12782)\n    at Lw.makeStatusError (file:///usr/local/lib/node_modules/@anthropic-ai/claude-code/cli.js:1344:2082)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
        "rate-limited",
    ),
    (
        // The retry record's text, pasted from a page that curled the apostrophe: only the
        // pattern with the apostrophe finds it.
        "429 This request would exceed your account\u{2019}s rate limit. Please try again later.",
        "rate-limited",
    ),
    (
        "> /logout\n  \u{23bf}  Credit balance too low \u{b7} Add funds: https://platform.claude.com/settings/billing",
        "credit-balance",
    ),
    (
        "[{\"error\":\"Error: 400 {\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"invalid_request_error\\\",\\\"message\\\":\\\"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.\\\"}}\\n    at b3.generate (file:///Users/greg/.npm-global/lib/node_modules/@anthropic-ai/claude-code/cli.js:623:24425)\",\"timestamp\":\"2025-04-10T17:02:11.123Z\"}]",
        "credit-balance",
    ),
    ("Not logged in \u{b7} Please run /login", "not-logged-in"),
    ("Invalid API key \u{b7} Fix external API key", "invalid-api-key"),
    (
        "Please run /login \u{b7} API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"},\"request_id\":\"req_011CT2x7\"}",
        "invalid-api-key",
    ),
    (
        "Your ANTHROPIC_API_KEY belongs to a disabled organization \u{b7} Unset the environment variable to use your subscription instead",
        "org-disabled",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"This organization has been disabled.\"}}",
        "org-disabled",
    ),
    ("OAuth token revoked \u{b7} Please run /login", "oauth-expired"),
    (
        "Failed to authenticate. API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"OAuth token has expired. Please obtain a new token or refresh your existing token.\"},\"request_id\":\"req_011CYKkkE4RS8CoNvZ81SLFb\"}",
        "oauth-expired",
    ),
    (
        "OAuth token does not meet scope requirement: user:profile",
        "oauth-scope",
    ),
    (
        "\u{26a0} Auth conflict: Both a token (claude.ai) and an API key (ANTHROPIC_API_KEY) are set. This may lead to unexpected behavior.",
        "api-key-overrides-subscription",
    ),
    (
        "\u{2502} Detected a custom API key in your environment                                        \u{2502}\n\u{2502} ANTHROPIC_API_KEY: sk-ant-...hAyawVYvwk1Tjr084H9E \u{2502}\n\u{2502} Do you want to use this API key?",
        "api-key-overrides-subscription",
    ),
    ("Unable to connect to API (ECONNREFUSED)", "unable-to-connect"),
    ("API Error: Connection error.", "unable-to-connect"),
    (
        "Authentication error \u{b7} This may be a temporary network issue, please try again",
        "unable-to-connect",
    ),
    (
        "Request timed out. Check your internet connection and proxy settings",
        "unable-to-connect",
    ),
    (
        "Unable to connect to API: SSL certificate verification failed. Check your proxy or corporate SSL certificates",
        "ssl-certificate",
    ),
    (
        "Unable to connect to API: Self-signed certificate detected",
        "ssl-certificate",
    ),
    (
        "Unable to connect to API: self signed certificate in certificate chain",
        "ssl-certificate",
    ),
    ("\u{23bf}  Prompt is too long", "prompt-too-long"),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"input length and `max_tokens` exceed context limit: 188059 + 21333 > 200000, decrease input length or `max_tokens` and try again\"}}",
        "prompt-too-long",
    ),
    (
        "Error during compaction: Error: Conversation too long. Press esc twice to go up a few messages and try again.",
        "compaction-failed",
    ),
    (
        "Request too large (max 30 MB). Double press esc to go back and remove or shrink the attached content.",
        "request-too-large",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages.33.content.28.image.source.base64.data: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels\"}}",
        "image-too-large",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages.0.content.1.image.source.base64: image exceeds 5 MB maximum: 5607404 bytes > 5242880 bytes\"}}",
        "image-too-large",
    ),
    (
        "\u{23fa} PDF too large. Please double press esc to edit your message and try again.",
        "pdf-error",
    ),
    (
        "PDF is password protected. Please double press esc to edit your message and try again.",
        "pdf-error",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"context_management: Extra inputs are not permitted\"}}",
        "extra-inputs",
    ),
    (
        "There\u{2019}s an issue with the selected model (claude-sonnet-4-20250514). It may not exist or you may not have access to it. Run /model to pick a different model.",
        "model-not-found",
    ),
    (
        "Claude Opus is not available with the Claude Pro plan \u{b7} Select a different model in /model",
        "opus-not-on-pro",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"\\\"thinking.type.enabled\\\" is not supported for this model. Use \\\"thinking.type.adaptive\\\" and \\\"output_config.effort\\\" to control thinking behavior.\"}}",
        "thinking-not-supported",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation\"}}",
        "thinking-budget",
    ),
    (
        "API Error: 400 due to tool use concurrency issues. Run /rewind to recover the conversation.",
        "tool-use-mismatch",
    ),
    (
        "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages.5: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01Pq. Each `tool_use` block must have a corresponding `tool_result` block in the next message.\"}}",
        "tool-use-mismatch",
    ),
];
