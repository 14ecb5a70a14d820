//! The differential configuration test: every fixture, and a set of
//! command lines, through Supervisor 4.3's own loader
//! (`tests/interop/dump_config.py`) and through `supervisord --test-config
//! --json`; the resolved documents must be equal, and where 4.3 rejects a
//! configuration we must reject it with the same first line, except for the
//! deliberate differences listed in docs/compat.md (`KNOWN_DIFFERENCES`).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::util::{TempDir, describe, dump43, root, run_role, text};

/// Bad fixtures whose first error line we word differently on purpose
/// (docs/compat.md, "Error messages"): fixture -> our first line.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "fcgi-bad-socket-format.conf",
        "Error: Bad socket format 127.0.0.1:9000 in [fcgi-program:php] socket",
    ),
    (
        "fcgi-relative-unix-socket.conf",
        "Error: Unix socket path php.sock is not an absolute path in [fcgi-program:php] socket",
    ),
    (
        "group-unknown-program.conf",
        "Error: [group:web] names unknown program or fcgi-program missing",
    ),
];

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures").join(kind);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    v
}

struct Pair {
    ours: Output,
    theirs: Output,
}

fn both(args: &[&str], scratch: &Path, home: &Path) -> Pair {
    // Ours first: getopt stops at the first positional argument.
    let mut ours_args: Vec<&str> = vec!["--test-config", "--json"];
    ours_args.extend(args);
    Pair {
        ours: run_role("supervisord", &ours_args, scratch, home),
        theirs: dump43(args, scratch, home),
    }
}

fn json_of(o: &Output, what: &str) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e})\n{}", describe(what, o)))
}

/// Compares the two documents; returns our notices.
fn assert_same_config(name: &str, p: &Pair) -> Vec<Value> {
    assert_eq!(
        p.theirs.status.code(),
        Some(0),
        "{}",
        describe(&format!("4.3 on {name}"), &p.theirs)
    );
    assert_eq!(
        p.ours.status.code(),
        Some(0),
        "{}",
        describe(&format!("ours on {name}"), &p.ours)
    );
    let mut ours = json_of(&p.ours, name);
    let theirs = json_of(&p.theirs, name);
    let notices = ours
        .get("notices")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    ours["notices"] = Value::Array(vec![]);
    if ours != theirs {
        panic!(
            "{name}: resolved configurations differ\n--- 4.3 ---\n{}\n--- ours ---\n{}",
            serde_json::to_string_pretty(&theirs).unwrap(),
            serde_json::to_string_pretty(&ours).unwrap()
        );
    }
    notices
}

#[test]
fn every_good_fixture_resolves_exactly_as_in_4_3() {
    let mut good = fixtures("good");
    // The README's demo is held to the same standard.
    good.push(root().join("examples/demo.conf"));
    assert!(
        good.len() >= 15,
        "the corpus has {} good fixtures",
        good.len()
    );
    let home = TempDir::new("interop-home");
    let scratch = TempDir::new("interop-cwd");
    for f in &good {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let notices = assert_same_config(
            &name,
            &both(&["-c", f.to_str().unwrap()], scratch.path(), home.path()),
        );
        assert!(notices.is_empty(), "{name}: unexpected notices {notices:?}");
    }
}

#[test]
fn every_bad_fixture_is_rejected_with_4_3s_first_line() {
    let bad = fixtures("bad");
    assert!(bad.len() >= 25, "the corpus has {} bad fixtures", bad.len());
    let home = TempDir::new("interop-home");
    let scratch = TempDir::new("interop-cwd");
    let mut differences_seen = 0;
    for f in &bad {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let p = both(&["-c", f.to_str().unwrap()], scratch.path(), home.path());
        assert_eq!(
            p.theirs.status.code(),
            Some(2),
            "{}",
            describe(&format!("4.3 on {name}"), &p.theirs)
        );
        assert_eq!(
            p.ours.status.code(),
            Some(2),
            "{}",
            describe(&format!("ours on {name}"), &p.ours)
        );
        assert!(p.ours.stdout.is_empty(), "{}", describe(&name, &p.ours));
        let ours = text(&p.ours.stderr);
        let theirs = text(&p.theirs.stderr);
        let ours_first = ours.lines().next().unwrap_or_default();
        let theirs_first = theirs.lines().next().unwrap_or_default();
        match KNOWN_DIFFERENCES.iter().find(|(n, _)| *n == name) {
            Some((_, expected)) => {
                differences_seen += 1;
                let expected = expected.to_string();
                assert_eq!(ours_first, expected, "{name}");
                assert_ne!(
                    ours_first, theirs_first,
                    "{name} no longer differs: drop it from KNOWN_DIFFERENCES and docs/compat.md"
                );
            }
            None => assert_eq!(
                ours_first, theirs_first,
                "{name}\n--- 4.3 ---\n{theirs}\n--- ours ---\n{ours}"
            ),
        }
        assert_eq!(
            ours.lines().last(),
            Some("For help, use supervisord -h"),
            "{name}"
        );
        // Python's multi-line messages (parse errors) match line for line.
        if theirs_first.contains("parsing errors") || theirs_first.contains("no section headers") {
            let n = theirs.lines().count() - 1;
            assert_eq!(
                ours.lines().take(n).collect::<Vec<_>>(),
                theirs.lines().take(n).collect::<Vec<_>>(),
                "{name}"
            );
        }
    }
    assert_eq!(differences_seen, KNOWN_DIFFERENCES.len());
}

#[test]
fn command_line_overrides_resolve_as_in_4_3() {
    let home = TempDir::new("interop-home");
    let scratch = TempDir::new("interop-cwd");
    let minimal = root().join("tests/fixtures/good/minimal.conf");
    let conf = minimal.to_str().unwrap();
    let dir = scratch.path().to_str().unwrap().to_string();
    let pid = format!("{dir}/x.pid");
    let log = format!("{dir}/x.log");
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "-c", conf, "-n", "-e", "debug", "-m", "077", "-k", "-t", "-s",
        ],
        vec![
            "-c", conf, "-u", "nobody", "-y", "1MB", "-z", "3", "-j", &pid, "-l", &log, "-i",
            "myid",
        ],
        vec![
            "-c",
            conf,
            "-q",
            &dir,
            "-d",
            &dir,
            "-a",
            "2048",
            "--minprocs",
            "300",
            "-l",
            "syslog",
        ],
        vec![
            "--configuration",
            conf,
            "--nodae",
            "--logl=TRACE",
            "--umask",
            "0o2",
        ],
        vec!["-nc", conf, "-eblather"],
        // Empty -l/-j fall back to the file's values; any profile value goes.
        vec!["-c", conf, "-l", "", "-j", ""],
        vec!["-c", conf, "--profile_options=anything"],
    ];
    for args in cases {
        assert_same_config(
            &format!("{args:?}"),
            &both(&args, scratch.path(), home.path()),
        );
    }
}

#[test]
fn command_line_errors_match_4_3() {
    let home = TempDir::new("interop-home");
    let scratch = TempDir::new("interop-cwd");
    let minimal = root().join("tests/fixtures/good/minimal.conf");
    let conf = minimal.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["-c", conf, "-e", "warning"],
        vec!["-c", conf, "-x"],
        vec!["-c", conf, "--bogus"],
        vec!["-c", conf, "--n"],
        vec!["-c"],
        vec!["--configuration"],
        vec!["-c", conf, "extra", "args"],
        vec!["-c", conf, "-n", "-n"],
        vec!["-c", conf, "-u", "no-such-user-xyz"],
        vec!["-c", conf, "-a", "lots"],
        vec!["-c", conf, "-q", "/no/such/dir"],
        vec!["-c", conf, "-m", "9"],
        vec!["-c", "/no/such/file.conf"],
        vec!["-c", conf, "-y", "5x"],
    ];
    for args in cases {
        let p = both(&args, scratch.path(), home.path());
        let what = format!("{args:?}");
        assert_eq!(
            p.theirs.status.code(),
            Some(2),
            "{}",
            describe(&what, &p.theirs)
        );
        assert_eq!(
            p.ours.status.code(),
            Some(2),
            "{}",
            describe(&what, &p.ours)
        );
        assert_eq!(text(&p.ours.stderr), text(&p.theirs.stderr), "{what}");
    }
}
