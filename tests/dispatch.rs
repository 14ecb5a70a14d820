//! Dispatch on argv[0]: each role through a symlink and through
//! `supervisor ROLE`, `--list`, `--install`, unknown roles.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{TempDir, bin, describe, output_bounded, text};

const ROLES: [&str; 4] = [
    "echo_supervisord_conf",
    "pidproxy",
    "supervisorctl",
    "supervisord",
];

/// What each role's `--help` starts with.
fn help_start(role: &str) -> &'static str {
    match role {
        "supervisord" => "supervisord -- run a set of applications as daemons.",
        "supervisorctl" => {
            "supervisorctl -- control applications run by supervisord from the cmd line."
        }
        "pidproxy" => "pidproxy -- run command and proxy signals to it via its pidfile.",
        "echo_supervisord_conf" => {
            "echo_supervisord_conf -- print a sample supervisord configuration file."
        }
        _ => unreachable!(),
    }
}

fn run(program: &Path, args: &[&str]) -> Output {
    output_bounded(
        Command::new(program)
            .args(args)
            .env_remove("SUPERVISOR_SERVER_URL"),
    )
}

#[test]
fn each_role_answers_through_a_symlink() {
    let dir = TempDir::new("dispatch");
    for role in ROLES {
        let link = dir.path().join(role);
        std::os::unix::fs::symlink(bin(), &link).unwrap();
        let o = run(&link, &["--help"]);
        assert_eq!(o.status.code(), Some(0), "{}", describe(role, &o));
        assert!(
            text(&o.stdout).starts_with(help_start(role)),
            "{}",
            describe(role, &o)
        );
        let v = run(&link, &["--version"]);
        assert_eq!(
            (v.status.code(), text(&v.stdout)),
            (Some(0), "4.3.0\n".to_string()),
            "{}",
            describe(role, &v)
        );
    }
}

#[test]
fn each_role_answers_as_supervisor_role() {
    for role in ROLES {
        let o = run(&bin(), &[role, "-h"]);
        assert_eq!(o.status.code(), Some(0), "{}", describe(role, &o));
        assert!(
            text(&o.stdout).starts_with(help_start(role)),
            "{}",
            describe(role, &o)
        );
    }
}

#[test]
fn supervisor_itself() {
    let o = run(&bin(), &["--list"]);
    assert_eq!(
        (o.status.code(), text(&o.stdout)),
        (Some(0), ROLES.map(|r| format!("{r}\n")).concat())
    );
    let o = run(&bin(), &["--help"]);
    assert_eq!(o.status.code(), Some(0));
    for role in ROLES {
        assert!(text(&o.stdout).contains(role));
    }
    let o = run(&bin(), &["--version"]);
    assert!(
        text(&o.stdout).starts_with("supervisor "),
        "{}",
        describe("--version", &o)
    );
    let o = run(&bin(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", describe("no args", &o));
    assert!(text(&o.stderr).contains("Usage: supervisor ROLE"));
}

#[test]
fn unknown_role_is_exit_2() {
    let o = run(&bin(), &["supervisorz", "status"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with("supervisor: unknown role 'supervisorz'"),
        "{}",
        describe("unknown", &o)
    );
    let o = run(&bin(), &["--list", "extra"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn install_creates_working_links_and_refuses_foreign_files() {
    let dir = TempDir::new("install");
    let d = dir.path().to_str().unwrap();
    let o = run(&bin(), &["--install", d]);
    assert_eq!(o.status.code(), Some(0), "{}", describe("install", &o));
    for role in ROLES {
        let link = dir.path().join(role);
        assert!(std::fs::read_link(&link).is_ok(), "{role} is not a symlink");
        let h = run(&link, &["-h"]);
        assert!(text(&h.stdout).starts_with(help_start(role)));
    }
    // Again: nothing to do, still fine.
    let o = run(&bin(), &["--install", d]);
    assert_eq!(o.status.code(), Some(0), "{}", describe("reinstall", &o));
    assert!(text(&o.stdout).contains("already there"));

    // A foreign file is refused, and nothing is changed.
    let foreign = dir.path().join("supervisorctl");
    std::fs::remove_file(&foreign).unwrap();
    std::fs::write(&foreign, "#!/bin/sh\necho mine\n").unwrap();
    std::fs::remove_file(dir.path().join("pidproxy")).unwrap();
    let o = run(&bin(), &["--install", d]);
    assert_eq!(o.status.code(), Some(1), "{}", describe("refuse", &o));
    assert!(
        text(&o.stderr).contains("supervisorctl exists and is not a link"),
        "{}",
        describe("refuse", &o)
    );
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    assert!(
        std::fs::symlink_metadata(dir.path().join("pidproxy")).is_err(),
        "refusal must change nothing"
    );

    let o = run(&bin(), &["--install", "--force", d]);
    assert_eq!(o.status.code(), Some(0), "{}", describe("force", &o));
    assert!(std::fs::read_link(&foreign).is_ok());
    assert!(std::fs::read_link(dir.path().join("pidproxy")).is_ok());

    let o = run(&bin(), &["--install"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&bin(), &["--install", "/no/such/dir"]);
    assert_eq!(o.status.code(), Some(1));
}
