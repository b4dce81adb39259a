//! `ccpulse config path | get | set` on a real file: a bad value is refused at its key with the
//! reason and the file stays byte for byte; a good one lands with the file's comments kept.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use ccpulse_tests::Ccpulse;

#[test]
fn config_set_refuses_a_bad_value_and_keeps_the_file_when_it_writes() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("config.toml");
    let original = "# my settings\n[notifications]\n# warn me early\nlimit_thresholds = [80, 95] # two steps\n";
    std::fs::write(&path, original).unwrap();
    let run = |args: &[&str]| {
        Ccpulse::in_home(home.path())
            .config_file(&path)
            .arg("config")
            .args(args)
            .output()
    };

    let out = run(&["path"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.to_str().unwrap()
    );

    let out = run(&["set", "notifications.limit_thresholds", "[150]"]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("notifications.limit_thresholds: 150 is out of range"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original,
        "unchanged"
    );

    let out = run(&["set", "notifications.limit_thresholds", "[70]"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original.replace("[80, 95]", "[70]"),
        "only the value changed"
    );
    let out = run(&["get", "notifications.limit_thresholds"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[70]\n");
    let out = run(&["get", "status.poll_secs"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn config_unset_removes_the_key_and_the_default_applies() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("config.toml");
    let original = "# mine\n[display]\nclock = \"12h\" # like at home\n[status]\npoll_secs = 120\n";
    std::fs::write(&path, original).unwrap();
    let run = |args: &[&str]| {
        Ccpulse::in_home(home.path())
            .config_file(&path)
            .arg("config")
            .args(args)
            .output()
    };
    let out = run(&["unset", "display.clock"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# mine\n[display]\n[status]\npoll_secs = 120\n"
    );
    assert_eq!(run(&["get", "display.clock"]).status.code(), Some(1));
    let out = run(&["set", "display.clock", "13h"]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("display.clock: \"13h\" is not a clock"),
        "{said}"
    );
}
