//! The panel in the real WebKit webview, driven over WebDriver: [`Panel`], the set-up and
//! tear-down every panel test shares, and [`WebDriver`], the client it is read and clicked
//! through.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use ccpulse_tests::{Desktop, Panel};
//!
//! let desktop = Desktop::new()?;
//! // ... plant what the panel is to show, in the desktop's home ...
//! let panel = Panel::open(desktop, "http://127.0.0.1:9", &[]).await?;
//! panel.wait_for_advice(&["offline"]).await?;
//! panel.close("panel-offline.png").await?;
//! # Ok(()) }
//! ```

use std::ops::Deref;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use base64::Engine;
use serde_json::{json, Value};

use crate::wait::poll_until_async;
use crate::{Desktop, ProcessGuard};

/// How long a panel test waits for anything: WebKit in software on a loaded machine is slow.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// `ccpulse-tray --open-panel`, launched by WebKitWebDriver on a [`Desktop`], with a WebDriver
/// session on its webview. It reads like the session ([`WebDriver`]'s methods); the desktop is
/// [`Panel::desktop`].
///
/// Dropped, it ends the driver and the panel (their process group), then the desktop; a test
/// that gets to its end calls [`Panel::close`] instead, which keeps a screenshot first.
pub struct Panel {
    // Dropped in this order: the session's client, the driver (and the panel it launched),
    // then the desktop they ran on.
    wd: WebDriver,
    _driver: ProcessGuard,
    desktop: Desktop,
}

impl Panel {
    /// Opens the panel on `desktop` under WebKitWebDriver: its status page at `status_url`, its
    /// state dir the desktop's ([`crate::Ccpulse::on`] writes there), `TZ=UTC`, the usage
    /// endpoint at a dead port, and then `env` (which may name another usage endpoint, or add
    /// a variable such as an API key).
    pub async fn open(desktop: Desktop, status_url: &str, env: &[(&str, &str)]) -> Result<Panel> {
        let http = reqwest::Client::builder().timeout(TIMEOUT).build()?;
        let mut attempts = 0;
        // The port is free when picked, but another test may take it before the driver binds
        // it: then this driver exits, and an answer on that port is not from ours.
        let (driver, base) = loop {
            attempts += 1;
            let port = free_port()?;
            let mut cmd = desktop.command("WebKitWebDriver");
            cmd.arg(format!("--port={port}"))
                .env("TAURI_WEBVIEW_AUTOMATION", "true")
                .env("CCPULSE_API_URL", "http://127.0.0.1:9")
                .env("CCPULSE_STATE_DIR", desktop.state_home().join("ccpulse"))
                .env("TZ", "UTC")
                .env("CCPULSE_STATUS_URL", status_url)
                .envs(env.iter().copied());
            let mut driver = desktop.spawn("WebKitWebDriver", cmd)?;
            let base = format!("http://127.0.0.1:{port}");
            let status = format!("{base}/status");
            // Up when it answers; or gone, when another process had the port.
            let up = poll_until_async(
                &format!("WebKitWebDriver to answer on {base}"),
                TIMEOUT,
                || {
                    let running = driver.is_running();
                    let answer = http.get(&status).send();
                    async move {
                        if !running {
                            return Ok(Some(false));
                        }
                        answer.await?;
                        Ok(Some(true))
                    }
                },
            )
            .await?;
            if up {
                break (driver, base);
            }
            ensure!(
                attempts < 3,
                "WebKitWebDriver keeps exiting: {}",
                driver.log_excerpt()
            );
        };
        let caps = json!({"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {
            "binary": crate::tray_bin(), "args": ["--open-panel"]}}}});
        let reply: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await?
            .json()
            .await?;
        let session = reply["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("no session: {reply}"))?
            .to_string();
        Ok(Panel {
            wd: WebDriver {
                http,
                base,
                session,
            },
            _driver: driver,
            desktop,
        })
    }

    /// The desktop the panel runs on.
    pub fn desktop(&self) -> &Desktop {
        &self.desktop
    }

    /// The end of a panel test: the page as it looks now is kept in `tests/artifacts/<name>`,
    /// then the WebDriver session is closed (and the panel with it), the driver and the
    /// desktop ended.
    pub async fn close(self, screenshot: &str) -> Result<()> {
        self.wd.screenshot(screenshot).await?;
        // The driver is ended on drop anyway: a session that does not close cleanly is no
        // failure of the panel.
        let _ = self.wd.call(reqwest::Method::DELETE, "", None).await;
        Ok(())
    }
}

impl Deref for Panel {
    type Target = WebDriver;

    fn deref(&self) -> &WebDriver {
        &self.wd
    }
}

/// A WebDriver session (W3C protocol) on the panel's webview.
pub struct WebDriver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl WebDriver {
    /// `method` on `<session>/<path>` with `body`: the reply's `value`, or its error.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, &url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let reply: Value = req.send().await?.json().await?;
        if let Some(err) = reply["value"].get("error") {
            anyhow::bail!("{url}: {err}: {}", reply["value"]["message"]);
        }
        Ok(reply["value"].clone())
    }

    /// What `js` (a function body) returns, run in the page.
    pub async fn script(&self, js: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// What `js` (a function body) hands to its callback, the last of its `arguments`: for
    /// what the page itself waits for and times, without polling it from here.
    pub async fn script_async(&self, js: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// The text of the element with `data-testid=<testid>`; empty if there is none.
    pub async fn text(&self, testid: &str) -> Result<String> {
        let v = self
            .script(&format!(
                "const e = document.querySelector('[data-testid=\"{testid}\"]'); return e ? e.textContent : null;"
            ))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Waits until [`WebDriver::text`] of `testid` contains `want`, and returns it.
    pub async fn wait_for_text(&self, testid: &str, want: &str) -> Result<String> {
        poll_until_async(
            &format!("[data-testid={testid}] to contain {want:?}"),
            TIMEOUT,
            || async {
                let text = self.text(testid).await?;
                ensure!(text.contains(want), "it reads {text:?}");
                Ok(Some(text))
            },
        )
        .await
    }

    /// The WebDriver id of the first element matching `css`.
    pub async fn element(&self, css: &str) -> Result<String> {
        let el = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        el.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(String::from)
            .context("element id")
    }

    /// Clicks the first element matching `css`. The page redraws when a new state arrives: an
    /// element found just before that is stale, and is looked for again.
    pub async fn click(&self, css: &str) -> Result<()> {
        poll_until_async(&format!("a click on {css}"), TIMEOUT, || async {
            let id = self.element(css).await?;
            let clicked = self
                .call(
                    reqwest::Method::POST,
                    &format!("/element/{id}/click"),
                    Some(json!({})),
                )
                .await;
            match clicked {
                Err(e) if e.to_string().contains("stale element reference") => Err(e),
                // Done, or failed for good.
                done => Ok(Some(done)),
            }
        })
        .await??;
        Ok(())
    }

    /// Types `text` into the element, key by key, as a user would.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.element(css).await?;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await?;
        Ok(())
    }

    /// Replaces the text of the input matching `css` with `text`, key by key as a user would:
    /// End, a Backspace per character there, then `text` (end it with `"\u{E007}"` for Enter).
    /// Unlike WebDriver's clear, nothing is committed in between (no `change` on an empty field).
    pub async fn replace_text(&self, css: &str, text: &str) -> Result<()> {
        let css_js = serde_json::to_string(css)?;
        let len = self
            .script(&format!(
                "return document.querySelector({css_js}).value.length"
            ))
            .await?
            .as_u64()
            .context("the input's length")?;
        let keys = format!("\u{E010}{}{text}", "\u{E003}".repeat(len as usize));
        self.type_into(css, &keys).await
    }

    /// A JSON value computed by `js` (a function body), once it is not null.
    pub async fn wait_for(&self, what: &str, js: &str) -> Result<Value> {
        poll_until_async(what, TIMEOUT, || async {
            let v = self.script(js).await?;
            Ok((!v.is_null()).then_some(v))
        })
        .await
    }

    /// The advice cards shown: `[id, knowledge base entry, title]`.
    pub async fn advice(&self) -> Result<Vec<(String, String, String)>> {
        let v = self
            .script(
                "return [...document.querySelectorAll('[data-testid=advice]')].map(a => [a.dataset.adviceId, \
                 a.dataset.entry, a.querySelector('[data-testid=advice-title]').textContent])",
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Waits until the advice cards have exactly these ids, in this order.
    pub async fn wait_for_advice(&self, want: &[&str]) -> Result<Vec<(String, String, String)>> {
        poll_until_async(&format!("the advice {want:?}"), TIMEOUT, || async {
            let got = self.advice().await?;
            let ids = got.iter().map(|a| a.0.as_str());
            ensure!(ids.eq(want.iter().copied()), "the advice is {got:?}");
            Ok(Some(got))
        })
        .await
    }

    /// The page as it looks now, kept in `tests/artifacts/<name>`.
    pub async fn screenshot(&self, name: &str) -> Result<()> {
        let shot = self.call(reqwest::Method::GET, "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().context("screenshot")?)?;
        ensure!(&png[1..4] == b"PNG", "not a PNG");
        std::fs::write(crate::paths::artifacts_dir().join(name), &png)?;
        Ok(())
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
