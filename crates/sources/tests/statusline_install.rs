//! `statusline install` and `uninstall` on real settings files: a file keeps its UTF-8 BOM, its
//! CRLF line ends, its indent and its other settings in their order, and `uninstall` puts it
//! back byte for byte.

use std::path::{Path, PathBuf};

use ccpulse_core::view::setup::StatusLineFact;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline_install::{install_to, state, uninstall};

/// Claude Code's settings as a Windows editor saves them: BOM, CRLF, other keys, no final line
/// end after the closing brace's CRLF is there.
const WINDOWS: &str = "\u{feff}{\r\n  \"model\": \"opus\",\r\n  \"permissions\": {\r\n    \
                       \"allow\": [\r\n      \"Bash(ls:*)\"\r\n    ]\r\n  },\r\n  \
                       \"env\": {\r\n    \"ZED\": \"1\",\r\n    \"ALPHA\": \"2\"\r\n  }\r\n}\r\n";

struct Place {
    _tmp: tempfile::TempDir,
    settings: PathBuf,
    dir: StateDir,
    exe: PathBuf,
}

fn place(settings: Option<&str>) -> Place {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("claude").join("settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if let Some(text) = settings {
        std::fs::write(&path, text).unwrap();
    }
    Place {
        dir: StateDir::at(tmp.path().join("state")),
        exe: tmp.path().join("bin").join("ccpulse"),
        settings: path,
        _tmp: tmp,
    }
}

fn read(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap()).unwrap()
}

/// Every `\n` of `text` comes after a `\r`.
fn crlf_only(text: &str) -> bool {
    text.match_indices('\n')
        .all(|(i, _)| i > 0 && text.as_bytes()[i - 1] == b'\r')
}

#[test]
fn a_crlf_file_with_a_bom_round_trips_byte_for_byte() {
    let p = place(Some(WINDOWS));
    install_to(&p.settings, &p.exe, false, &p.dir).unwrap();
    let installed = read(&p.settings);
    assert!(installed.starts_with('\u{feff}'), "the BOM is kept");
    assert!(crlf_only(&installed), "CRLF only: {installed:?}");
    assert!(installed.ends_with("}\r\n"));
    // The other settings, in their order, then ours.
    let keys: Vec<usize> = [
        "\"model\"",
        "\"permissions\"",
        "\"env\"",
        "\"ZED\"",
        "\"ALPHA\"",
        "\"statusLine\"",
    ]
    .iter()
    .map(|k| {
        installed
            .find(k)
            .unwrap_or_else(|| panic!("{k} in {installed}"))
    })
    .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{installed}");
    // The untouched part is the same bytes as before.
    let head = WINDOWS.trim_end_matches("\r\n}\r\n");
    assert!(installed.starts_with(head), "{installed:?}");
    assert!(matches!(
        state(&p.settings, &p.dir),
        StatusLineFact::Ours {
            by_ccpulse: true,
            ..
        }
    ));

    uninstall(&p.dir).unwrap();
    assert_eq!(read(&p.settings), WINDOWS);
}

#[test]
fn a_file_changed_after_install_keeps_its_layout_on_uninstall() {
    let p = place(Some(WINDOWS));
    install_to(&p.settings, &p.exe, false, &p.dir).unwrap();
    // Claude Code (or the user) changes another setting, keeping the layout.
    let changed = read(&p.settings).replace("\"opus\"", "\"sonnet\"");
    std::fs::write(&p.settings, &changed).unwrap();
    uninstall(&p.dir).unwrap();
    assert_eq!(read(&p.settings), WINDOWS.replace("\"opus\"", "\"sonnet\""));
}

#[test]
fn chaining_keeps_the_bom_and_crlf_and_puts_the_old_line_back() {
    let before = "\u{feff}{\r\n\t\"statusLine\": {\r\n\t\t\"type\": \"command\",\r\n\t\t\
                  \"command\": \"bash ~/line.sh\"\r\n\t}\r\n}";
    let p = place(Some(before));
    install_to(&p.settings, &p.exe, true, &p.dir).unwrap();
    let installed = read(&p.settings);
    assert!(
        installed.starts_with("\u{feff}{\r\n\t\"statusLine\""),
        "{installed:?}"
    );
    assert!(
        crlf_only(&installed) && installed.ends_with('}'),
        "{installed:?}"
    );
    assert!(
        installed.contains("--chain 'bash ~/line.sh'"),
        "{installed}"
    );
    uninstall(&p.dir).unwrap();
    assert_eq!(read(&p.settings), before);
}

#[test]
fn an_lf_file_stays_lf_and_a_new_file_is_written_as_claude_code_does() {
    let lf = "{\n  \"model\": \"opus\"\n}\n";
    let p = place(Some(lf));
    install_to(&p.settings, &p.exe, false, &p.dir).unwrap();
    let installed = read(&p.settings);
    assert!(!installed.contains('\r') && !installed.starts_with('\u{feff}'));
    uninstall(&p.dir).unwrap();
    assert_eq!(read(&p.settings), lf);

    let p = place(None);
    install_to(&p.settings, &p.exe, false, &p.dir).unwrap();
    let new = read(&p.settings);
    assert!(
        new.starts_with("{\n  \"statusLine\": {\n    \"type\": \"command\""),
        "{new:?}"
    );
    assert!(new.ends_with("}\n") && !new.contains('\r'), "{new:?}");
    uninstall(&p.dir).unwrap();
    assert!(
        !p.settings.exists(),
        "uninstall removes the file install made"
    );
}
