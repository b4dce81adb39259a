use chrono::Duration;

use super::*;
use ccpulse_core::limits::{Observed, Reading};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000 + secs, 0).unwrap()
}

fn reading(source: Source, t: DateTime<Utc>, session: f64, weekly: f64) -> Observed {
    let five = Duration::hours(5).num_seconds();
    let week = Duration::days(7).num_seconds();
    let secs = t.timestamp();
    let next = |len: i64| DateTime::from_timestamp((secs.div_euclid(len) + 1) * len, 0);
    let mut o = Observed::empty(source, t);
    o.session = Some(Reading {
        used_percent: session,
        resets_at: next(five),
    });
    o.weekly = Some(Reading {
        used_percent: weekly,
        resets_at: next(week),
    });
    o.set_named(
        "seven_day_opus",
        Reading {
            used_percent: weekly / 2.0,
            resets_at: next(week),
        },
    );
    o
}

#[test]
fn lines_round_trip_and_odd_ones_do_not_read() {
    let mut h = History::default();
    let mut o = reading(Source::Statusline, at(0), 42.5, 17.0);
    o.set_named(
        "seven_day_oauth_apps",
        Reading {
            used_percent: 3.333,
            resets_at: None,
        },
    );
    h.record(&o);
    let text = encode_all(&h);
    assert!(text.starts_with("ccpulse limit history 1\n"), "{text}");
    assert!(text.contains(" s 42.5 "), "{text}");
    assert!(text.contains(" s 3.33 - model:Oauth Apps\n"), "{text}");
    let (back, torn) = parse(&text).unwrap();
    assert!(!torn);
    assert_eq!(back.samples().len(), 4);
    assert_eq!(
        back.samples()[3].window,
        WindowId::Model("Oauth Apps".into())
    );
    for bad in [
        "",
        "1 s 2 - ",
        "x s 2 - session",
        "1 q 2 - session",
        "1 s NaN - session",
    ] {
        assert!(decode(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn a_year_once_a_minute_stays_under_a_mebibyte() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path());
    let (mut recorder, mut history) = Recorder::open(state.clone(), at(0));
    let minutes = 365 * 24 * 60;
    let mut largest = 0u64;
    for m in 0..minutes {
        let t = at(m * 60);
        // The session climbs through each 5-hour window; the week through each week.
        let session = (m % 300) as f64 / 3.0;
        let weekly = (m % 10_080) as f64 / 100.8;
        let mut new = history.record(&reading(Source::Statusline, t, session, weekly));
        if m % 5 == 0 {
            new.extend(history.record(&reading(Source::Oauth, t, session.floor(), weekly.floor())));
        }
        recorder.append(&mut history, &new, t);
        if m % 1440 == 0 {
            largest = largest.max(std::fs::metadata(state.path(HISTORY_FILE)).unwrap().len());
        }
    }
    let end = at(minutes * 60);
    let size = std::fs::metadata(state.path(HISTORY_FILE)).unwrap().len();
    largest = largest.max(size);
    println!(
        "a year: {} readings kept, {size} bytes now, {largest} bytes at most",
        history.samples().len()
    );
    assert!(largest < 1024 * 1024, "{largest}");
    // What was appended reads back as what is in memory.
    let loaded = load(&state).unwrap();
    assert_eq!(loaded.samples().len(), history.samples().len());
    let same = loaded
        .samples()
        .iter()
        .zip(history.samples())
        .all(|(a, b)| {
            (a.at, a.source, &a.window, a.resets_at) == (b.at, b.source, &b.window, b.resets_at)
                && (a.used_percent - b.used_percent).abs() <= 0.005 + 1e-9
        });
    assert!(
        same,
        "the file holds what is in memory (percents to 2 decimals)"
    );
    // A restart compacts what it loads: under the bound, with the recent readings all there.
    let (_, reopened) = Recorder::open(state.clone(), end);
    let recent = reopened
        .since(&WindowId::Session, end - Duration::hours(5))
        .filter(|s| s.source == Source::Statusline)
        .count();
    assert_eq!(recent, 300);
    let windows = reopened.session_windows();
    assert!(windows.len() > 1700, "{}", windows.len());
    let whole = &windows[1..windows.len() - 1];
    assert!(
        whole.iter().all(|w| w.used_percent > 99.0),
        "every window's peak kept"
    );
    let days = reopened.daily_peaks(&WindowId::Weekly, chrono_tz::UTC);
    assert!(days.len() >= 365, "{}", days.len());
}

#[test]
fn a_torn_tail_is_left_out_and_a_foreign_file_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path());
    let (mut recorder, mut history) = Recorder::open(state.clone(), at(0));
    let new = history.record(&reading(Source::Statusline, at(0), 10.0, 5.0));
    recorder.append(&mut history, &new, at(0));
    // A write cut short.
    let path = state.path(HISTORY_FILE);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"1795000060 s 12").unwrap();
    assert_eq!(load(&state).unwrap(), history);
    let (mut recorder, mut reopened) = Recorder::open(state.clone(), at(60));
    assert_eq!(reopened, history);
    let new = reopened.record(&reading(Source::Statusline, at(120), 14.0, 5.0));
    recorder.append(&mut reopened, &new, at(120));
    assert_eq!(
        load(&state).unwrap().samples().len(),
        6,
        "the next append reads"
    );

    // A file of something else: set aside, and the history starts again.
    std::fs::write(&path, "{\"version\": 3}\n").unwrap();
    let e = load(&state).unwrap_err();
    assert!(e.to_string().contains("moved aside"), "{e}");
    assert!(state.path("limit-history.corrupt").exists());
    std::fs::write(&path, "ccpulse limit history 1\nnonsense\n").unwrap();
    assert!(read(&state).is_err());
    assert!(path.exists(), "reading only leaves it in place");
    let (_, h) = Recorder::open(state.clone(), at(0));
    assert!(h.samples().is_empty());
}

#[test]
fn a_state_dir_that_cannot_be_written_keeps_the_history_in_memory() {
    // A state dir under a plain file: nothing can be created there, for root too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let state = StateDir::at(file.join("state"));
    let (mut recorder, mut history) = Recorder::open(state.clone(), at(0));
    let new = history.record(&reading(Source::Statusline, at(0), 10.0, 5.0));
    recorder.append(&mut history, &new, at(0));
    assert_eq!(history.samples().len(), 3);
    assert!(recorder.failing);
    let more = history.record(&reading(Source::Statusline, at(60), 11.0, 5.0));
    recorder.append(&mut history, &more, at(60));
    assert_eq!(history.samples().len(), 6, "the tray goes on in memory");
}

#[test]
fn the_history_reloaded_gives_the_same_pace() {
    use ccpulse_core::forecast::readings_pace;
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path());
    let (mut recorder, mut history) = Recorder::open(state.clone(), at(0));
    let resets = at(5 * 3600);
    // 30% an hour from the window's start, a reading every 3 minutes, in hundredths.
    for m in (3..=90).step_by(3) {
        let mut o = Observed::empty(Source::Statusline, at(m * 60));
        o.session = Some(Reading {
            used_percent: f64::from(m as i32) / 2.0,
            resets_at: Some(resets),
        });
        let new = history.record(&o);
        recorder.append(&mut history, &new, at(m * 60));
    }
    let now = at(90 * 60);
    let before = readings_pace(&history, &WindowId::Session, resets, now).unwrap();
    let (_, reloaded) = Recorder::open(state, now);
    let after = readings_pace(&reloaded, &WindowId::Session, resets, now).unwrap();
    assert_eq!(before, after);
    assert!((before.0 - 30.0).abs() < 1e-9, "{before:?}");
}
