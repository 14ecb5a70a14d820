//! Our `supervisorctl`'s additions to 4.3's, checked for what scripts and
//! people rely on:
//!
//! * `status --json` prints a JSON array of the daemon's process structs,
//!   `namespec` first, with `status`'s exit codes; unknown names go to
//!   stderr so stdout stays parseable.
//! * `avail --json` prints every configured process the same way.
//! * State names are coloured on a terminal, and not with `NO_COLOR` set.
//!   (Piped output is 4.3's bytes: the `ctl_interop` matrix compares it.)

use serde_json::Value as Json;

use crate::harness::ctl_daemon;
use crate::pty::Pty;
use crate::util::{describe, run_role, text};

fn json(out: &std::process::Output) -> Json {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", describe("status --json", out)))
}

fn names(list: &Json) -> Vec<&str> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|p| p["namespec"].as_str().expect("namespec"))
        .collect()
}

#[test]
fn status_json_is_the_process_structs_with_status_exit_codes() {
    let d = ctl_daemon("extras-json");
    let dir = d.dir.path();
    let conf = d.conf.to_string_lossy().into_owned();
    let ctl = |args: &[&str]| {
        let mut all = vec!["-c", conf.as_str()];
        all.extend_from_slice(args);
        run_role("supervisorctl", &all, dir, dir)
    };

    let all = ctl(&["status", "--json"]);
    assert_eq!(
        all.status.code(),
        Some(0),
        "{}",
        describe("status --json", &all)
    );
    let list = json(&all);
    assert_eq!(names(&list), ["cat", "echo"]);
    let echo = &list[1];
    assert_eq!(echo["statename"], "RUNNING");
    assert_eq!(echo["state"], 20);
    assert_eq!(echo["group"], "echo");
    assert!(echo["pid"].as_i64().is_some_and(|p| p > 0), "{echo}");
    let keys: Vec<&str> = echo
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[0], "namespec");
    for k in ["description", "spawnerr", "exitstatus", "stdout_logfile"] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }

    // Unknown names: reported on stderr, exit 4, stdout still JSON.
    let some = ctl(&["status", "--json", "echo", "nosuch"]);
    assert_eq!(some.status.code(), Some(4), "{}", describe("status", &some));
    assert_eq!(names(&json(&some)), ["echo"]);
    assert_eq!(text(&some.stderr), "nosuch: ERROR (no such process)\n");

    // A stopped process: exit 3, as plain `status`.
    let stop = ctl(&["stop", "cat"]);
    assert_eq!(text(&stop.stdout), "cat: stopped\n");
    let stopped = ctl(&["status", "cat", "--json"]);
    assert_eq!(stopped.status.code(), Some(3));
    assert_eq!(json(&stopped)[0]["statename"], "STOPPED");

    let avail = ctl(&["avail", "--json"]);
    assert_eq!(
        avail.status.code(),
        Some(0),
        "{}",
        describe("avail --json", &avail)
    );
    let configured = json(&avail);
    assert_eq!(names(&configured), ["cat", "echo"]);
    assert_eq!(configured[0]["inuse"], true);
    assert_eq!(configured[0]["autostart"], true);
    assert_eq!(configured[0]["process_prio"], 999);
}

#[test]
fn states_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let d = ctl_daemon("extras-colour");
    let dir = d.dir.path();
    let conf = d.conf.to_string_lossy().into_owned();
    let args = ["-c", conf.as_str(), "status", "echo"];

    let mut tty = Pty::spawn_env(dir, &args, &[]);
    assert_eq!(tty.wait_exit().code(), Some(0));
    let raw = String::from_utf8_lossy(&tty.raw).into_owned();
    assert!(
        raw.contains("\x1b[32mRUNNING\x1b[0m   pid "),
        "no green RUNNING in {raw:?}"
    );

    let mut plain = Pty::spawn_env(dir, &args, &[("NO_COLOR", "1")]);
    assert_eq!(plain.wait_exit().code(), Some(0));
    let raw = String::from_utf8_lossy(&plain.raw).into_owned();
    assert!(raw.contains("RUNNING   pid "), "{raw:?}");
    assert!(
        !raw.contains('\x1b'),
        "escape codes despite NO_COLOR: {raw:?}"
    );

    let piped = run_role("supervisorctl", &args, dir, dir);
    let out = text(&piped.stdout);
    assert!(
        out.starts_with("echo ") && out.contains("RUNNING   pid "),
        "{out:?}"
    );
    assert!(
        !out.contains('\x1b'),
        "escape codes in piped output: {out:?}"
    );
}
