//! [`Dedupe`], [`Models`] and entries as bytes, for the persistent usage index. Decoding checks
//! every index it reads, so a damaged buffer is refused rather than trusted. (Moved here from
//! the core, which holds no on-disk format: it exposes [`Dedupe::state`],
//! [`Dedupe::from_state`] and [`Models::names`] for this module.)

use ccpulse_core::pricing::Billable;
use ccpulse_core::usage::{Dedupe, DedupeState, Entry, IdHash, IdMap, Models, Path};
use chrono::{DateTime, Utc};

use super::codec::{Malformed, Reader, Writer};

const NO_MODEL: u16 = u16::MAX;
/// Fewest bytes an entry takes in each part.
const REPORT_MIN: usize = 9;
const KEYS_MIN: usize = 27;

/// The fields reports read, compactly (times as differences, numbers as varints). `prev`: the
/// previous entry's time in ms.
fn put_report(w: &mut Writer, e: &Entry, prev: &mut i64) {
    let at = e.at.timestamp_millis();
    w.iv(at.wrapping_sub(*prev));
    *prev = at;
    let flags = u8::from(e.fast) | u8::from(e.cost_usd.is_some()) << 1;
    w.u8(flags);
    w.uv(u64::from(e.model.unwrap_or(NO_MODEL)));
    w.uv(u64::from(e.file));
    let t = &e.tokens;
    for n in [
        t.input,
        t.output,
        t.cache_write_5m,
        t.cache_write_1h,
        t.cache_read,
    ] {
        w.uv(n);
    }
    if let Some(c) = e.cost_usd {
        w.f64(c);
    }
}

/// Limits an entry's references must respect.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub files: u32,
    pub models: usize,
}

impl Bounds {
    fn file(&self, f: u64) -> Result<u32, Malformed> {
        u32::try_from(f)
            .ok()
            .filter(|f| *f < self.files)
            .ok_or(Malformed("file out of range"))
    }
}

fn get_report(r: &mut Reader<'_>, b: Bounds, prev: &mut i64) -> Result<Entry, Malformed> {
    *prev = prev.wrapping_add(r.iv()?);
    let at = DateTime::<Utc>::from_timestamp_millis(*prev).ok_or(Malformed("time"))?;
    let flags = r.u8()?;
    let model = u16::try_from(r.uv()?).map_err(|_| Malformed("model"))?;
    if model != NO_MODEL && usize::from(model) >= b.models {
        return Err(Malformed("model out of range"));
    }
    let file = b.file(r.uv()?)?;
    let mut t = [0u64; 5];
    for n in &mut t {
        *n = r.uv()?;
    }
    let cost_usd = if flags & 2 != 0 { Some(r.f64()?) } else { None };
    Ok(Entry {
        at,
        message_id: None,
        request_id: None,
        session: 0,
        model: (model != NO_MODEL).then_some(model),
        file,
        seq: 0,
        tokens: Billable {
            input: t[0],
            output: t[1],
            cache_write_5m: t[2],
            cache_write_1h: t[3],
            cache_read: t[4],
        },
        sidechain: false,
        has_speed: false,
        fast: flags & 1 != 0,
        cost_usd,
    })
}

/// The fields only deduplication reads.
fn put_keys(w: &mut Writer, e: &Entry) {
    let flags = u8::from(e.message_id.is_some())
        | u8::from(e.request_id.is_some()) << 1
        | u8::from(e.sidechain) << 2
        | u8::from(e.has_speed) << 3;
    w.u8(flags);
    w.u64(e.message_id.unwrap_or(0));
    w.u64(e.request_id.unwrap_or(0));
    w.u64(e.session);
    w.uv(u64::from(e.seq));
}

fn get_keys(r: &mut Reader<'_>, e: &mut Entry) -> Result<(), Malformed> {
    let flags = r.u8()?;
    let bit = |n: u8| flags & (1 << n) != 0;
    let (msg, req, session) = (r.u64()?, r.u64()?, r.u64()?);
    e.message_id = bit(0).then_some(msg);
    e.request_id = bit(1).then_some(req);
    e.session = session;
    e.sidechain = bit(2);
    e.has_speed = bit(3);
    e.seq = u32::try_from(r.uv()?).map_err(|_| Malformed("seq"))?;
    Ok(())
}

/// The model table, names in id order.
pub fn encode_models(m: &Models, w: &mut Writer) {
    w.u64(m.len() as u64);
    for n in m.names() {
        w.bytes(n.as_bytes());
    }
}

pub fn decode_models(r: &mut Reader<'_>) -> Result<Models, Malformed> {
    let n = r.count(8)?;
    let mut m = Models::default();
    for _ in 0..n {
        let name = std::str::from_utf8(r.bytes()?).map_err(|_| Malformed("model name"))?;
        m.id(name);
    }
    if m.len() != n || n > usize::from(NO_MODEL) {
        return Err(Malformed("model table"));
    }
    Ok(m)
}

/// A whole entry (all fields). `prev`: the time of the entry before it, as for every stream of
/// entries here (start a stream at 0).
pub fn put_entry(w: &mut Writer, e: &Entry, prev: &mut i64) {
    put_report(w, e, prev);
    put_keys(w, e);
}

pub fn get_entry(r: &mut Reader<'_>, b: Bounds, prev: &mut i64) -> Result<Entry, Malformed> {
    let mut e = get_report(r, b, prev)?;
    get_keys(r, &mut e)?;
    Ok(e)
}

/// A kept entry as reports read it, and where it is placed among the others (the file and
/// `seq` of its first copy: see [`Dedupe::placed`]).
pub fn put_placed(w: &mut Writer, e: &Entry, at: (u32, u32), prev: &mut i64) {
    put_report(w, e, prev);
    w.uv(u64::from(at.0));
    w.uv(u64::from(at.1));
}

pub fn get_placed(
    r: &mut Reader<'_>,
    b: Bounds,
    prev: &mut i64,
) -> Result<(Entry, (u32, u32)), Malformed> {
    let e = get_report(r, b, prev)?;
    let file = b.file(r.uv()?)?;
    let seq = u32::try_from(r.uv()?).map_err(|_| Malformed("seq"))?;
    Ok((e, (file, seq)))
}

fn put_slot(w: &mut Writer, slot: usize) {
    w.uv(slot as u64);
}

/// The whole state, to go on pushing after [`decode_dedupe`]: every slot (all fields of
/// its entry, and where its first copy was read), then the key maps.
pub fn encode_dedupe(d: &Dedupe, w: &mut Writer) {
    let s = d.state();
    w.u8(s.path as u8);
    w.u64(s.kept.len() as u64);
    let mut prev = 0;
    for (e, &(file, seq)) in s.kept.iter().zip(&s.origin) {
        put_entry(w, e, &mut prev);
        w.uv(u64::from(file));
        w.uv(u64::from(seq));
    }
    w.u64(s.by_request.len() as u64);
    for (&(a, b), &slot) in &s.by_request {
        w.u64(a);
        w.u64(b);
        put_slot(w, slot);
    }
    w.u64(s.by_time.len() as u64);
    for (&(a, b, t), &slot) in &s.by_time {
        w.u64(a);
        w.u64(b);
        match t {
            Some(t) => {
                w.u8(1);
                w.i64(t.timestamp_millis());
            }
            None => w.u8(0),
        }
        put_slot(w, slot);
    }
    w.u64(s.last_file.len() as u64);
    for (&msg, &file) in &s.last_file {
        w.u64(msg);
        w.uv(u64::from(file));
    }
    w.u64(s.by_session.len() as u64);
    for (&(a, b), &slot) in &s.by_session {
        w.u64(a);
        w.u64(b);
        put_slot(w, slot);
    }
    w.u64(s.more_by_session.len() as u64);
    for (&(a, b), slots) in &s.more_by_session {
        w.u64(a);
        w.u64(b);
        w.u64(slots.len() as u64);
        for &s in slots {
            put_slot(w, s);
        }
    }
}

/// The state [`encode_dedupe`] wrote; every index is checked.
pub fn decode_dedupe(r: &mut Reader<'_>, b: Bounds) -> Result<Dedupe, Malformed> {
    let path = match r.u8()? {
        0 => Path::Daily,
        1 => Path::Entries,
        _ => return Err(Malformed("dedupe path")),
    };
    let slots = r.count(REPORT_MIN + KEYS_MIN)?;
    let mut kept = Vec::with_capacity(slots);
    let mut origin = Vec::with_capacity(slots);
    let mut prev = 0;
    for _ in 0..slots {
        kept.push(get_entry(r, b, &mut prev)?);
        let file = b.file(r.uv()?)?;
        let seq = u32::try_from(r.uv()?).map_err(|_| Malformed("seq"))?;
        origin.push((file, seq));
    }
    let slot = |r: &mut Reader<'_>| -> Result<usize, Malformed> {
        usize::try_from(r.uv()?)
            .ok()
            .filter(|v| *v < slots)
            .ok_or(Malformed("slot out of range"))
    };
    fn map<K: std::hash::Hash + Eq, V>(n: usize) -> IdMap<K, V> {
        IdMap::with_capacity_and_hasher(n, Default::default())
    }
    let n = r.count(17)?;
    let mut by_request = map(n);
    for _ in 0..n {
        by_request.insert((r.u64()?, r.u64()?), slot(r)?);
    }
    let n = r.count(18)?;
    let mut by_time = map(n);
    for _ in 0..n {
        let (m, s) = (r.u64()?, r.u64()?);
        let t = match r.u8()? {
            0 => None,
            1 => Some(DateTime::<Utc>::from_timestamp_millis(r.i64()?).ok_or(Malformed("time"))?),
            _ => return Err(Malformed("time flag")),
        };
        by_time.insert((m, s, t), slot(r)?);
    }
    let n = r.count(9)?;
    let mut last_file = map(n);
    for _ in 0..n {
        last_file.insert(r.u64()?, b.file(r.uv()?)?);
    }
    let n = r.count(17)?;
    let mut by_session = map(n);
    for _ in 0..n {
        by_session.insert((r.u64()?, r.u64()?), slot(r)?);
    }
    let n = r.count(24)?;
    let mut more_by_session: IdMap<(IdHash, IdHash), Vec<usize>> = map(n);
    for _ in 0..n {
        let key = (r.u64()?, r.u64()?);
        let k = r.count(1)?;
        let list = (0..k).map(|_| slot(r)).collect::<Result<_, _>>()?;
        more_by_session.insert(key, list);
    }
    Ok(Dedupe::from_state(DedupeState {
        path,
        kept,
        origin,
        last_file,
        by_request,
        by_time,
        by_session,
        more_by_session,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(msg: Option<u64>, req: Option<u64>, file: u32, seq: u32, out: u64) -> Entry {
        Entry {
            at: Utc.with_ymd_and_hms(2026, 9, 1, 10, 0, seq).unwrap(),
            message_id: msg,
            request_id: req,
            session: 9,
            model: Some(0),
            file,
            seq,
            tokens: Billable {
                input: 1,
                output: out,
                ..Billable::default()
            },
            sidechain: seq % 2 == 1,
            has_speed: true,
            fast: false,
            cost_usd: (seq == 2).then_some(0.5),
        }
    }

    fn models() -> Models {
        let mut m = Models::default();
        m.id("claude-sonnet-4-5");
        m
    }

    fn encoded(d: &Dedupe) -> Vec<u8> {
        let mut w = Writer::default();
        encode_dedupe(d, &mut w);
        w.buf
    }

    #[test]
    fn a_dedupe_round_trips_and_keeps_working() {
        let models = models();
        let mut d = Dedupe::new(Path::Entries);
        d.push(entry(Some(1), Some(10), 0, 0, 5), &models);
        d.push(entry(Some(1), Some(10), 0, 1, 7), &models);
        d.push(entry(Some(2), None, 0, 2, 3), &models);
        d.push(entry(None, None, 1, 0, 1), &models);
        let bytes = encoded(&d);
        let mut m = Writer::default();
        encode_models(&models, &mut m);
        assert_eq!(
            decode_models(&mut Reader::new(&m.buf)).unwrap().name(0),
            "claude-sonnet-4-5"
        );
        let b = Bounds {
            files: 2,
            models: 1,
        };
        let mut r = Reader::new(&bytes);
        let mut back = decode_dedupe(&mut r, b).unwrap();
        assert!(r.is_empty());
        assert!(back.kept().eq(d.kept()));
        assert_eq!(back.state().origin, d.state().origin);

        // The decoded keys still find copies.
        let rank = [0, 1];
        back.push_late(entry(Some(1), Some(10), 1, 1, 9), &models, &rank)
            .unwrap();
        d.push(entry(Some(1), Some(10), 1, 1, 9), &models);
        assert!(back.kept().eq(d.kept()));
        assert_eq!(back.kept().len(), 3);
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let models = models();
        let mut d = Dedupe::new(Path::Daily);
        d.push(entry(Some(1), Some(10), 0, 0, 5), &models);
        d.push(entry(Some(1), Some(11), 0, 1, 5), &models);
        let bytes = encoded(&d);
        let b = Bounds {
            files: 1,
            models: 1,
        };
        for cut in 0..bytes.len() {
            let r = decode_dedupe(&mut Reader::new(&bytes[..cut]), b);
            assert!(r.is_err(), "cut at {cut}");
        }
        let too_few_files = Bounds {
            files: 0,
            models: 1,
        };
        assert!(decode_dedupe(&mut Reader::new(&bytes), too_few_files).is_err());
    }

    /// A kept entry and its place come back from a stream record.
    #[test]
    fn placed_entries_round_trip() {
        let e = entry(Some(1), Some(10), 1, 3, 5);
        let mut w = Writer::default();
        let mut prev = 0;
        put_placed(&mut w, &e, (0, 7), &mut prev);
        let b = Bounds {
            files: 2,
            models: 1,
        };
        let (mut r, mut prev) = (Reader::new(&w.buf), 0);
        let (back, at) = get_placed(&mut r, b, &mut prev).unwrap();
        assert!(r.is_empty());
        assert_eq!(at, (0, 7));
        assert_eq!(
            (
                back.at,
                back.model,
                back.file,
                back.tokens,
                back.fast,
                back.cost_usd
            ),
            (e.at, e.model, e.file, e.tokens, e.fast, e.cost_usd)
        );
    }
}
