//! Every status line input the real Claude Code 2.1.328 wrote in the fixtures is read: the
//! session fields always, the limits where Claude Code sent them.

use std::path::PathBuf;

use ccpulse_sources::statusline::Input;

#[test]
fn every_real_status_line_input_is_read() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-code");
    let mut with_limits = Vec::new();
    let mut lines = 0;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        let Ok(text) = std::fs::read_to_string(dir.path().join("statusline.jsonl")) else {
            continue;
        };
        for line in text.lines() {
            let input = Input::parse(line.as_bytes()).unwrap();
            lines += 1;
            assert!(input.session_id.is_some(), "{line}");
            assert_eq!(input.version.as_deref(), Some("2.1.328"));
            assert!(input.model.is_some());
            if line.contains("\"rate_limits\"") {
                with_limits.push(input);
            } else {
                assert_eq!((input.five_hour, input.seven_day), (None, None));
            }
        }
    }
    assert_eq!(lines, 10);
    let [input] = &with_limits[..] else {
        panic!("{with_limits:?}")
    };
    let (five, week) = (input.five_hour.unwrap(), input.seven_day.unwrap());
    assert_eq!((five.used_percent, week.used_percent), (42.0, 17.0));
    assert_eq!(five.resets_at.unwrap().timestamp(), 1_795_570_376);
    assert_eq!(week.resets_at.unwrap().timestamp(), 1_795_822_376);
}
