//! `supervisorctl`'s front door against the real 4.3 `supervisorctl`: option
//! errors and configuration errors print the same text and exit 2. (Its
//! actions come with the control-plane work.)

use crate::util::{TempDir, ctl43, describe, run_role, text};

#[test]
fn option_and_config_errors_match_4_3() {
    let dir = TempDir::new("ctl");
    dir.write("noctl.conf", "[supervisord]\n");
    let cases: &[&[&str]] = &[
        &["-s", "foo"],
        &["--history-file", "x"],
        &["-x"],
        &["-u"],
        &["--serv"],
        &["-c", "/no/such.conf"],
        &["-c", "noctl.conf"],
    ];
    for args in cases {
        let what = format!("supervisorctl {args:?}");
        let theirs = ctl43(args, dir.path(), dir.path());
        let ours = run_role("supervisorctl", args, dir.path(), dir.path());
        assert_eq!(
            theirs.status.code(),
            Some(2),
            "{}",
            describe(&what, &theirs)
        );
        assert_eq!(ours.status.code(), Some(2), "{}", describe(&what, &ours));
        assert_eq!(text(&ours.stderr), text(&theirs.stderr), "{what}");
    }
}

/// docs/compat.md: a syntax error in supervisorctl's config is a normal
/// error (exit 2), where 4.3 dies with a traceback (exit 1).
#[test]
fn syntax_error_in_ctl_config_is_an_error_not_a_traceback() {
    let dir = TempDir::new("ctl");
    dir.write("broken.conf", "[supervisorctl]\nserverurl\n");
    let theirs = ctl43(&["-c", "broken.conf"], dir.path(), dir.path());
    assert_eq!(
        theirs.status.code(),
        Some(1),
        "{}",
        describe("4.3", &theirs)
    );
    assert!(text(&theirs.stderr).contains("Traceback"));
    let ours = run_role(
        "supervisorctl",
        &["-c", "broken.conf"],
        dir.path(),
        dir.path(),
    );
    assert_eq!(ours.status.code(), Some(2), "{}", describe("ours", &ours));
    assert_eq!(
        text(&ours.stderr),
        "Error: Source contains parsing errors: 'broken.conf'\n\t[line  2]: 'serverurl\\n'\nFor help, use supervisorctl -h\n"
    );
}
