//! The usage engine's index: a refresh reads only what was appended and gives what a full read
//! of the same files gives; anything it cannot follow (truncation, rewrite, rotation, deletion, a
//! damaged index) makes it read everything again instead of trusting the index.

use std::io::Write;
use std::path::{Path as FsPath, PathBuf};

use ccpulse_core::usage::{daily, sessions, Path, Range};
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::usage_log::index::{Engine, Refreshed};
use ccpulse_sources::usage_log::paths::{transcripts, Found, Transcript};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-code")
}

/// A config root holding copies of every real transcript, in two projects.
fn history() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (i, dir) in std::fs::read_dir(fixtures()).unwrap().flatten().enumerate() {
        for found in transcripts(&[dir.path()]) {
            let Found::File(t) = found else { panic!() };
            let project = root.path().join(format!("projects/-p{}", i % 2));
            std::fs::create_dir_all(&project).unwrap();
            let name = format!("{i}-{}", t.path.file_name().unwrap().to_string_lossy());
            std::fs::copy(&t.path, project.join(name)).unwrap();
        }
    }
    root
}

fn found(root: &FsPath) -> Vec<Transcript> {
    transcripts(&[root.to_path_buf()])
        .into_iter()
        .map(|f| match f {
            Found::File(t) => t,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Usage lines of the real transcripts, each made a new response (`tag` in its ids).
fn new_lines(tag: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for found in transcripts(&[fixtures().join("i-apikey")]) {
        let Found::File(t) = found else { panic!() };
        for line in std::fs::read_to_string(&t.path).unwrap().lines() {
            if line.contains("\"usage\":{") && !line.contains("\"speed\":null") {
                let line = line
                    .replace("\"id\":\"msg_", &format!("\"id\":\"msg_{tag}"))
                    .replace(
                        "\"requestId\":\"req_",
                        &format!("\"requestId\":\"req_{tag}"),
                    );
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
        }
    }
    assert!(!out.is_empty());
    out
}

/// What the reports make of an engine's entries: the daily and session reports as JSON, and the
/// kept entries in order (their order decides the order of sums and of models listed).
fn reports(e: &Engine) -> serde_json::Value {
    let entries = e.entries();
    let files = e.sessions();
    let kept: Vec<_> = entries
        .iter()
        .map(|x| {
            let f = &files[x.file as usize];
            (
                x.at,
                &f.project_path,
                &f.session_id,
                x.total_tokens(),
                x.model.map(|m| e.models().name(m)),
            )
        })
        .collect();
    let out = serde_json::json!({
        "kept": kept,
        "daily": daily(entries.iter(), e.models(), chrono_tz::UTC, Range::default()),
        "sessions": sessions(entries.iter(), e.models(), &e.sessions(), chrono_tz::UTC, Range::default()),
    });
    assert_eq!(entries.error(), None);
    out
}

/// A fresh engine's view of the same files: what the incremental one must equal.
fn full(root: &FsPath, path: Path) -> serde_json::Value {
    let mut e = Engine::new(path);
    e.refresh(&found(root), &mut |_| {});
    reports(&e)
}

fn append(file: &FsPath, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(bytes).unwrap();
}

fn append_or_create(file: &FsPath, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn a_transcript(root: &FsPath) -> PathBuf {
    found(root).into_iter().max_by_key(|t| t.len).unwrap().path
}

#[test]
fn appended_lines_and_new_files_are_read_alone_and_match_a_full_read() {
    for path in [Path::Daily, Path::Entries] {
        let root = history();
        let state = tempfile::tempdir().unwrap();
        let dir = StateDir::at(state.path());
        let (mut e, why) = Engine::load(&dir, path);
        assert_eq!(why.as_deref(), Some("no index yet"));
        let r = e.refresh(&found(root.path()), &mut |_| {});
        assert!(matches!(r.how, Refreshed::Built(_)), "{r:?}");
        assert_eq!(r.note, None, "written to the state dir");

        // Nothing changed: nothing read, same answer from the written index.
        let (mut e, why) = Engine::load(&dir, path);
        assert_eq!(why, None);
        let r = e.refresh(&found(root.path()), &mut |_| {});
        assert_eq!((r.how, r.read_bytes), (Refreshed::Unchanged, 0));
        assert_eq!(reports(&e), full(root.path(), path));

        // Lines appended to one file, and a new file: only those bytes are read.
        let lines = new_lines("a1");
        append(&a_transcript(root.path()), &lines);
        let copies = new_lines("a1"); // the same responses again: deduplicated
        let new_file = root.path().join("projects/-p0/new-session.jsonl");
        std::fs::write(&new_file, [new_lines("b2"), copies].concat()).unwrap();
        let new_len = std::fs::metadata(&new_file).unwrap().len();
        let r = e.refresh(&found(root.path()), &mut |_| {});
        assert_eq!(r.how, Refreshed::Updated);
        assert_eq!(r.read_bytes, lines.len() as u64 + new_len);
        let want = full(root.path(), path);
        assert_eq!(reports(&e), want);
        assert_ne!(
            want,
            reports(&Engine::new(path)),
            "the reports are not empty"
        );

        // And the update was written.
        let (mut e, _) = Engine::load(&dir, path);
        let r = e.refresh(&found(root.path()), &mut |_| {});
        assert_eq!(r.how, Refreshed::Unchanged);
        assert_eq!(reports(&e), want);
    }
}

#[test]
fn a_partial_last_line_counts_but_is_not_consumed_until_its_newline() {
    let root = history();
    let file = a_transcript(root.path());
    let mut e = Engine::new(Path::Daily);
    e.refresh(&found(root.path()), &mut |_| {});
    let before = reports(&e);

    let line = new_lines("p1");
    let first = &line[..line.iter().position(|b| *b == b'\n').unwrap()];
    // Half a line: a usage line that cannot be read yet, counted as skipped.
    append(&file, &first[..first.len() / 2]);
    e.refresh(&found(root.path()), &mut |_| {});
    assert_eq!(reports(&e), before);
    assert_eq!(e.totals().2, 1, "the half line is a skipped usage line");
    // The rest of it, still without a newline: a whole entry, counted as a full read counts it.
    append(&file, &first[first.len() / 2..]);
    e.refresh(&found(root.path()), &mut |_| {});
    assert_eq!(e.totals().2, 0);
    let with_line = reports(&e);
    assert_ne!(with_line, before);
    assert_eq!(with_line, full(root.path(), Path::Daily));
    // Its newline and more lines: the same line, read once.
    append(&file, b"\n");
    append(&file, &new_lines("p2"));
    let r = e.refresh(&found(root.path()), &mut |_| {});
    assert_eq!(r.how, Refreshed::Updated);
    assert_eq!(reports(&e), full(root.path(), Path::Daily));
}

#[test]
fn truncation_rewrite_rotation_and_deletion_rebuild() {
    type Change = fn(&FsPath);
    let cases: [(&str, Change); 4] = [
        ("truncated", |f| {
            let len = std::fs::metadata(f).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(f)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }),
        ("rewritten", |f| {
            // Same file, same size, other content before the end: then more lines.
            let mut bytes = std::fs::read(f).unwrap();
            let at = bytes.len() - 10;
            bytes[at] = b' ';
            std::fs::write(f, &bytes).unwrap();
            append(f, &new_lines("r1"));
        }),
        ("replaced", |f| {
            let bytes = std::fs::read(f).unwrap();
            std::fs::rename(f, f.with_extension("jsonl.1")).unwrap();
            std::fs::write(f, [bytes, new_lines("r2")].concat()).unwrap();
        }),
        ("deleted", |f| std::fs::remove_file(f).unwrap()),
    ];
    for (word, change) in cases {
        let root = history();
        let mut e = Engine::new(Path::Entries);
        e.refresh(&found(root.path()), &mut |_| {});
        change(&a_transcript(root.path()));
        let r = e.refresh(&found(root.path()), &mut |_| {});
        match &r.how {
            Refreshed::Built(why) => assert!(why.ends_with(word), "{word}: {why}"),
            other => panic!("{word}: {other:?}"),
        }
        assert_eq!(reports(&e), full(root.path(), Path::Entries), "{word}");
    }
}

#[test]
fn a_damaged_or_foreign_index_is_rebuilt_not_trusted() {
    let root = history();
    let state = tempfile::tempdir().unwrap();
    let dir = StateDir::at(state.path());
    let (mut e, _) = Engine::load(&dir, Path::Daily);
    e.refresh(&found(root.path()), &mut |_| {});
    let want = full(root.path(), Path::Daily);
    let main = state.path().join("usage-index-daily.bin");
    let keys = state.path().join("usage-index-daily.keys");
    let good = (std::fs::read(&main).unwrap(), std::fs::read(&keys).unwrap());

    type Damage = fn(&mut Vec<u8>, &mut Vec<u8>);
    let cases: [(&str, Damage); 6] = [
        ("damaged (checksum)", |m, _| {
            let at = m.len() - 3;
            m[at] ^= 1;
        }),
        ("unreadable (too short)", |m, _| m.truncate(12)),
        ("of another version", |m, _| m[8] = 99),
        ("not an index file", |m, _| m[0] = b'X'),
        // The keys of another save: found when appended lines need them.
        ("another generation", |_, k| k[13] ^= 1),
        // Every bucket state damaged (past the 21-byte header): found when read.
        ("keys were damaged (checksum)", |_, k| {
            for i in (21..k.len()).step_by(7) {
                k[i] ^= 1;
            }
        }),
    ];
    for (word, damage) in cases {
        let (mut m, mut k) = good.clone();
        damage(&mut m, &mut k);
        std::fs::write(&main, &m).unwrap();
        std::fs::write(&keys, &k).unwrap();
        let (mut e, why) = Engine::load(&dir, Path::Daily);
        if word.contains("keys") || word == "another generation" {
            assert_eq!(why, None);
            // A new file, last in path order, with copies of responses the index holds: their
            // buckets' states must be read.
            let last = root.path().join("projects/-p9/last.jsonl");
            std::fs::create_dir_all(last.parent().unwrap()).unwrap();
            append_or_create(&last, &new_lines(""));
            let r = e.refresh(&found(root.path()), &mut |_| {});
            match &r.how {
                Refreshed::Built(why) => assert!(why.contains(word), "{why}"),
                other => panic!("{other:?}"),
            }
            assert_eq!(reports(&e), full(root.path(), Path::Daily));
            continue;
        }
        assert!(
            why.as_deref().unwrap_or("").contains(word),
            "{word}: {why:?}"
        );
        let r = e.refresh(&found(root.path()), &mut |_| {});
        assert!(matches!(r.how, Refreshed::Built(_)));
        assert_eq!(reports(&e), want, "{word}");
    }
}

/// A transcript truncated and rewritten again and again while refreshes read it: no panic, and
/// once it settles, the same answer as a full read.
#[test]
fn a_file_rewritten_while_it_is_read() {
    let root = history();
    let file = a_transcript(root.path());
    let content = std::fs::read(&file).unwrap();
    let mut e = Engine::new(Path::Daily);
    e.refresh(&found(root.path()), &mut |_| {});
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut f = std::fs::File::create(&file).unwrap();
                let cut = (i * 7919) % content.len();
                f.write_all(&content[..cut]).unwrap();
                f.write_all(&content[cut..]).unwrap();
                i += 1;
            }
        });
        for _ in 0..200 {
            e.refresh(&found(root.path()), &mut |_| {});
            reports(&e);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    std::fs::write(&file, &content).unwrap();
    e.refresh(&found(root.path()), &mut |_| {});
    assert_eq!(reports(&e), full(root.path(), Path::Daily));
}

/// An update appends the states of the buckets it changed to the keys file (nothing else is
/// written again there) until replaced states outgrow the current ones: then the file is
/// compacted. Bytes past what the main file vouches for (a write that did not finish) are
/// ignored. Each load gives what a full read gives.
#[test]
fn updates_append_bucket_states_and_a_torn_tail_is_ignored() {
    let root = history();
    let state = tempfile::tempdir().unwrap();
    let dir = StateDir::at(state.path());
    let keys = state.path().join("usage-index-entries.keys");
    let (mut e, _) = Engine::load(&dir, Path::Entries);
    e.refresh(&found(root.path()), &mut |_| {});
    let mut before = std::fs::read(&keys).unwrap();
    let file = a_transcript(root.path());
    let (mut appended, mut compacted) = (0, 0);
    for i in 0..400 {
        let (mut e, why) = Engine::load(&dir, Path::Entries);
        assert_eq!(why, None);
        // New responses, then copies of them (deduplicated: the buckets are written again,
        // the kept state does not grow).
        append(&file, &new_lines(&format!("j{}", i.min(1))));
        let r = e.refresh(&found(root.path()), &mut |_| {});
        assert_eq!((r.how, r.note), (Refreshed::Updated, None), "round {i}");
        let now = std::fs::read(&keys).unwrap();
        if now.len() > before.len() && now[..before.len()] == before[..] {
            appended += 1;
        } else {
            compacted += 1;
            assert_eq!(reports(&e), full(root.path(), Path::Entries), "round {i}");
        }
        before = now;
        // What a write that did not finish leaves behind, past what the main file vouches for.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&keys)
            .unwrap();
        f.write_all(b"torn record").unwrap();
        if appended >= 3 && compacted >= 2 {
            break;
        }
    }
    assert!(appended >= 3, "appended: {appended}");
    assert!(
        compacted >= 2,
        "the keys file was never compacted ({appended} appended, {} bytes)",
        before.len()
    );
    let (mut e, _) = Engine::load(&dir, Path::Entries);
    assert_eq!(
        e.refresh(&found(root.path()), &mut |_| {}).how,
        Refreshed::Unchanged
    );
    assert_eq!(reports(&e), full(root.path(), Path::Entries));
}

/// A first read says how far it has come (the CLI's progress bar and the tray's "Reading
/// transcripts: x of y files"), ending at every file and byte.
#[test]
fn a_first_read_reports_its_progress() {
    let root = history();
    let files = found(root.path());
    let total: u64 = files.iter().map(|t| t.len).sum();
    let mut seen = Vec::new();
    let mut e = Engine::new(Path::Daily);
    e.refresh(&files, &mut |p| seen.push(p));
    let last = seen.last().expect("progress was reported");
    assert_eq!(
        (last.files_done, last.files_total),
        (files.len(), files.len())
    );
    assert_eq!((last.bytes_done, last.bytes_total), (total, total));
    assert!(seen.windows(2).all(|w| w[0].files_done < w[1].files_done));
}
