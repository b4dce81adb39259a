//! Helpers for the doctor modules' unit tests: an [`Input`] planted in a temp dir, writing a
//! file, and finding a check by its id.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;

use super::{Check, Input, WslFiles};

pub(super) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn input(dir: &Path, pairs: &[(&str, &str)]) -> Input {
    Input {
        env: env(pairs),
        cwd: Some(dir.join("project")),
        home: Some(dir.join("home")),
        state_dir: dir.join("state"),
        wsl: WslFiles {
            osrelease: dir.join("osrelease"),
            version: dir.join("version"),
            resolv_conf: dir.join("resolv.conf"),
        },
        system_proxy: super::SystemProxy::None,
        wsl_distros: Vec::new(),
        wsl_shares: vec![dir.join("wsl.localhost")],
        api: "127.0.0.1:9".into(),
        status: "127.0.0.1:9".into(),
        timeout: Duration::from_secs(2),
        now: Utc::now(),
    }
}

pub(super) fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub(super) fn find<'a>(checks: &'a [Check], id: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {checks:#?}"))
}
