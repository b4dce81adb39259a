//! The cycle check on small crates written to a temporary directory.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::model::CrateModel;

/// A crate in a fresh temporary directory, removed on drop.
struct TempCrate {
    dir: PathBuf,
}

impl TempCrate {
    /// `files`: (path under `src/`, contents); `src/lib.rs` is the root.
    fn new(files: &[(&str, &str)]) -> TempCrate {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xtask-cycles-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        for (path, text) in files {
            let file = dir.join("src").join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, text).unwrap();
        }
        TempCrate { dir }
    }

    fn model(&self) -> CrateModel {
        CrateModel::load("demo", &self.dir.join("src/lib.rs")).unwrap()
    }

    /// Each cycle as its report line.
    fn cycles(&self) -> Vec<String> {
        let model = self.model();
        model
            .cycles()
            .iter()
            .map(|c| model.describe_cycle(c))
            .collect()
    }
}

impl Drop for TempCrate {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A case: its name, the files of a crate (path under `src/`, contents), and the report lines
/// of the cycles expected in it.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

/// The cases: files of a crate, and the report lines of the cycles expected in it.
#[test]
fn cycles_are_found_and_named() {
    let cases: &[Case] = &[
        (
            "two-module cycle",
            &[
                ("lib.rs", "pub mod a;\npub mod b;\n"),
                ("a.rs", "use crate::b::B;\npub struct A;\n"),
                ("b.rs", "//! b\n\nuse crate::a::A;\npub struct B;\n"),
            ],
            &["demo: a -> b -> a (a.rs:1 use crate::b::B; b.rs:3 use crate::a::A)"],
        ),
        (
            "three-module cycle",
            &[
                ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
                ("a.rs", "use crate::b::B;\n"),
                ("b.rs", "use crate::c::C;\n"),
                ("c.rs", "use crate::a::A;\n"),
            ],
            &["demo: a -> b -> c -> a (a.rs:1 use crate::b::B; b.rs:1 use crate::c::C; c.rs:1 use crate::a::A)"],
        ),
        (
            "a child using its parent's items is no cycle",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "mod p;\npub struct Thing;\nfn f() { p::g(); self::p::g(); }\n"),
                ("a/p.rs", "use super::Thing;\nuse crate::a::Thing as T;\nfn g() -> super::Thing { crate::b::h() }\n"),
                ("b.rs", "pub fn h() {}\n"),
            ],
            &[],
        ),
        (
            "cfg(test) modules and items are ignored",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "use crate::b::B;\n"),
                (
                    "b.rs",
                    "pub struct B;\n#[cfg(test)]\nmod tests {\n    use crate::a::A;\n    fn f() { crate::a::f() }\n}\n\
                     #[cfg(test)]\nuse crate::a::X;\n#[cfg(test)]\n#[allow(unused)]\nfn g() { crate::a::g(); }\n\
                     #[cfg(test)]\nmod more;\n",
                ),
                ("b/more.rs", "use crate::a::A;\n"),
            ],
            &[],
        ),
        (
            "a cfg that does not need test still counts",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "use crate::b::B;\n"),
                ("b.rs", "#[cfg(any(test, unix))]\nuse crate::a::A;\n#[cfg(all(test, unix))]\nuse crate::a::X;\n"),
            ],
            &["demo: a -> b -> a (a.rs:1 use crate::b::B; b.rs:2 use crate::a::A)"],
        ),
        (
            "grouped imports are seen",
            &[
                ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
                ("a.rs", "use crate::{\n    c::C,\n    b::{self, B},\n};\n"),
                ("b.rs", "use crate::{a, c};\n"),
                ("c.rs", ""),
            ],
            &["demo: a -> b -> a (a.rs:3 use crate::b [+1 more]; b.rs:1 use crate::a)"],
        ),
        (
            "inline paths are seen",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "pub fn f() {\n    crate::b::g();\n}\n"),
                ("b.rs", "pub fn g() -> u8 {\n    crate::a::f();\n    crate::a::f(); 1\n}\n"),
            ],
            &["demo: a -> b -> a (a.rs:2 crate::b::g; b.rs:2 crate::a::f [+1 more])"],
        ),
        (
            "a cycle among siblings in a folder is reported under their parent",
            &[
                ("lib.rs", "pub mod outer;\npub mod other;\n"),
                ("outer/mod.rs", "pub mod p;\npub mod q;\n"),
                ("outer/p.rs", "use super::q::Q;\nuse crate::other::O;\n"),
                ("outer/q.rs", "use crate::outer::p::P;\n"),
                ("other.rs", "pub struct O;\n"),
            ],
            &["demo, in outer: p -> q -> p (outer/p.rs:1 use super::q::Q; outer/q.rs:1 use crate::outer::p::P)"],
        ),
        (
            "deep uses count between the top-level ancestors",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "mod deep;\n"),
                ("a/deep.rs", "use crate::b::inner::X;\n"),
                ("b.rs", "pub mod inner { pub fn f() { super::super::a::g() } }\n"),
            ],
            &["demo: a -> b -> a (a/deep.rs:1 use crate::b::inner::X; b.rs:1 super::super::a::g)"],
        ),
        (
            "comments, strings and macro paths are not uses",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "use crate::b::B;\n"),
                (
                    "b.rs",
                    "// use crate::a::A;\n/* crate::a::f() /* nested */ crate::a::g() */\n\
                     /// [`crate::a::A`]\nconst S: &str = \"crate::a::A\";\nconst R: &str = r#\"crate::a::\"A\"#;\n\
                     const C: char = '\"'; fn f<'a>(x: &'a str) -> &'a str { x }\n\
                     macro_rules! m { () => { $crate::a::f() } }\npub(in crate::b) struct B;\n",
                ),
            ],
            &[],
        ),
        (
            "a name the parent re-exports from a sibling is followed",
            &[
                ("lib.rs", "mod a;\nmod b;\npub use b::Thing;\n"),
                ("a.rs", "use crate::Thing;\npub struct A;\n"),
                ("b.rs", "use crate::a::A;\npub struct Thing;\n"),
            ],
            &["demo: a -> b -> a (a.rs:1 use crate::Thing; b.rs:1 use crate::a::A)"],
        ),
        (
            "super in an inline module is its file's module",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "mod inner {\n    use super::super::b::B;\n    use super::A;\n}\npub struct A;\n"),
                ("b.rs", "fn f() { let _ = crate::a::A; }\n"),
            ],
            &["demo: a -> b -> a (a.rs:2 use super::super::b::B; b.rs:1 crate::a::A)"],
        ),
    ];
    for (name, files, expected) in cases {
        let found = TempCrate::new(files).cycles();
        assert_eq!(&found, expected, "case: {name}");
    }
}

#[test]
fn every_cycle_of_a_group_is_listed() {
    let krate = TempCrate::new(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a.rs", "use crate::b::B;\nuse crate::c::C;\n"),
        ("b.rs", "use crate::a::A;\n"),
        ("c.rs", "use crate::a::A;\n"),
    ]);
    let model = krate.model();
    let cycles = model.cycles();
    let report = model.describe(&cycles);
    assert_eq!(
        report,
        "  3 modules depend on each other: a, b, c\n    \
         demo: a -> b -> a (a.rs:1 use crate::b::B; b.rs:1 use crate::a::A)\n    \
         demo: a -> c -> a (a.rs:2 use crate::c::C; c.rs:1 use crate::a::A)\n"
    );
}

#[test]
fn modules_come_from_files_and_inline_blocks() {
    let krate = TempCrate::new(&[
        ("lib.rs", "pub mod flat;\nmod nested;\nmod missing;\n"),
        ("flat.rs", "pub mod child;\nmod block { mod deeper; }\n"),
        ("flat/child.rs", ""),
        ("flat/block/deeper.rs", ""),
        ("nested/mod.rs", "mod leaf;\n"),
        ("nested/leaf.rs", ""),
    ]);
    let model = krate.model();
    let modules: Vec<String> = model.modules.keys().map(|p| p.join("::")).collect();
    assert_eq!(
        modules,
        [
            "",
            "flat",
            "flat::block",
            "flat::block::deeper",
            "flat::child",
            "nested",
            "nested::leaf"
        ]
    );
    assert_eq!(model.warnings.len(), 1, "{:?}", model.warnings);
    assert!(model.warnings[0].contains("`mod missing;` has no file"));
}

#[test]
fn crate_roots_are_libs_and_bins_named_after_their_package() {
    let metadata = serde_json::json!({ "packages": [
        { "name": "one", "targets": [
            { "name": "one", "kind": ["bin"], "src_path": "/w/one/src/main.rs" },
            { "name": "it", "kind": ["test"], "src_path": "/w/one/tests/it.rs" },
        ] },
        { "name": "two", "targets": [
            { "name": "two", "kind": ["lib"], "src_path": "/w/two/src/lib.rs" },
            { "name": "tool", "kind": ["bin"], "src_path": "/w/two/src/bin/tool/main.rs" },
            { "name": "build-script-build", "kind": ["custom-build"], "src_path": "/w/two/build.rs" },
        ] },
    ] });
    let roots: Vec<(String, PathBuf)> = super::crate_roots(&metadata)
        .unwrap()
        .into_iter()
        .map(|root| (root.label, root.file))
        .collect();
    assert_eq!(
        roots,
        [
            ("one".to_string(), PathBuf::from("/w/one/src/main.rs")),
            ("two".to_string(), PathBuf::from("/w/two/src/lib.rs")),
            (
                "two (bin tool)".to_string(),
                PathBuf::from("/w/two/src/bin/tool/main.rs")
            ),
        ]
    );
}
