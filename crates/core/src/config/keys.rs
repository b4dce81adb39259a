//! Every key of the config file with what leaving it out means (the settings page lists them).

use super::Config;
use crate::alert::Kind;
use crate::relevance::Relevance;

/// Every key the file can set, in the order the README lists them, with what leaving it out
/// means, written as TOML (`None`: nothing, as for quiet hours). The settings page lists these.
pub fn defaults() -> Vec<(&'static str, Option<String>)> {
    let d = Config::default();
    let p = &d.notifications;
    let text = |s: &str| serde_json::Value::from(s).to_string();
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let components = match &d.status.relevance {
        Relevance::All => list(vec![text("all")]),
        Relevance::Components(ids) => list(ids.iter().map(|c| text(c)).collect()),
    };
    let switch = |kind: Kind| Some((!p.muted.contains(&kind)).to_string());
    vec![
        ("status.url", Some(text(&d.status.base_url))),
        (
            "status.poll_secs",
            Some(d.status.policy.interval.as_secs().to_string()),
        ),
        ("status.components", Some(components)),
        ("notifications.enabled", Some(p.enabled.to_string())),
        (
            "notifications.limit_thresholds",
            Some(list(d.limit_thresholds.iter().map(u8::to_string).collect())),
        ),
        ("notifications.incidents", switch(Kind::Incident)),
        ("notifications.components", switch(Kind::Component)),
        ("notifications.maintenance", switch(Kind::Maintenance)),
        ("notifications.overload", switch(Kind::Overload)),
        ("notifications.limits", switch(Kind::Limit)),
        ("notifications.forecast", switch(Kind::Forecast)),
        (
            "notifications.forecast_margin_minutes",
            Some(d.forecast_margin.num_minutes().to_string()),
        ),
        ("notifications.quiet_hours", None),
        (
            "notifications.repeat_minutes",
            Some(p.repeat.num_minutes().to_string()),
        ),
        (
            "notifications.group_secs",
            Some(p.group.num_seconds().to_string()),
        ),
        (
            "overload.start_retries",
            Some(d.overload.start_retries.to_string()),
        ),
        (
            "overload.start_failures",
            Some(d.overload.start_failures.to_string()),
        ),
        (
            "overload.window_secs",
            Some(d.overload.window.num_seconds().to_string()),
        ),
        (
            "overload.quiet_secs",
            Some(d.overload.quiet.num_seconds().to_string()),
        ),
        ("display.clock", Some(text(d.clock.name()))),
        (
            "limits.claude_code",
            Some((!d.claude_usage.disabled).to_string()),
        ),
        ("limits.claude_path", None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_every_key_once_with_the_default_values() {
        let keys = defaults();
        let mut names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), keys.len(), "a key listed twice");
        let get = |key: &str| keys.iter().find(|(k, _)| *k == key).unwrap().1.clone();
        assert_eq!(
            get("notifications.limit_thresholds").as_deref(),
            Some("[80, 95]")
        );
        assert_eq!(
            get("status.components").as_deref(),
            Some(r#"["yyzkbfz2thpt", "k8w3r06qmzrp"]"#)
        );
        assert_eq!(get("notifications.quiet_hours"), None);
        assert_eq!(get("overload.quiet_secs").as_deref(), Some("900"));
        assert_eq!(get("display.clock").as_deref(), Some(r#""auto""#));
        assert_eq!(get("notifications.limits").as_deref(), Some("true"));
        assert_eq!(get("notifications.forecast").as_deref(), Some("true"));
        assert_eq!(
            get("notifications.forecast_margin_minutes").as_deref(),
            Some("15")
        );
    }
}
