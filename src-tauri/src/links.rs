//! Opening links in the user's browser (the status page, an incident, a reference's source).

/// Open an http(s) link in the user's browser; anything else is refused.
pub fn open_in_browser(url: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("refusing to open {url:?}: not an http(s) link"));
    }
    open::that_detached(url).map_err(|e| format!("cannot open {url}: {e}"))
}
