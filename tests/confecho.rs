//! `echo_supervisord_conf`: the sample loads in our loader and in 4.3 to
//! the same configuration as 4.3's own sample, and documents every option.

use crate::util::{TempDir, describe, dump43, root, run_role, test_config_json, text};

fn sample() -> String {
    let home = TempDir::new("echo");
    let o = run_role(
        "echo_supervisord_conf",
        &["ignored", "args"],
        home.path(),
        home.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        describe("echo_supervisord_conf", &o)
    );
    text(&o.stdout)
}

#[test]
fn sample_resolves_like_4_3s_own_sample() {
    let dir = TempDir::new("echo-cmp");
    let ours = dir.write("ours.conf", sample());
    let theirs = root().join("tests/fixtures/good/echo-supervisord-conf-4.3.conf");
    let home = dir.path();
    let a = dump43(&["-c", ours.to_str().unwrap()], dir.path(), home);
    let b = dump43(&["-c", theirs.to_str().unwrap()], dir.path(), home);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        describe("4.3 loading our sample", &a)
    );
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&a.stdout).unwrap(),
        serde_json::from_slice(&b.stdout).unwrap(),
    );
    assert_eq!(
        a, b,
        "our sample's active settings differ from 4.3's sample"
    );
    let (_, mine) = test_config_json(&ours, dir.path(), home);
    assert_eq!(mine["groups"], a["groups"]);
    assert_eq!(mine["servers"], a["servers"]);
    assert_eq!(mine["notices"], serde_json::json!([]));
}

/// Uncomments every `;key=` and `;[section]` line.
fn uncomment(sample: &str) -> String {
    sample
        .lines()
        .map(|l| {
            let t = l.strip_prefix(';').unwrap_or(l);
            let key_line = !t.starts_with(' ')
                && t.split_once('=')
                    .is_some_and(|(k, _)| !k.trim().is_empty() && !k.trim().contains(' '));
            let opens = t.starts_with('[') || key_line;
            if l.starts_with(';') && opens {
                t.to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn sample_documents_every_option_and_all_of_it_loads() {
    let all = uncomment(&sample());
    let dir = TempDir::new("echo-all");
    // The sample's [include] names conf.d/*.conf next to the file.
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    let path = dir.write("all.conf", &all);
    let mut ini = supervisor::config::ini::Ini::new();
    ini.read_str(&all, "all.conf")
        .expect("uncommented sample parses");
    let kinds = [
        "unix_http_server",
        "inet_http_server",
        "supervisord",
        "supervisorctl",
        "include",
        "group:",
        "program:",
        "eventlistener:",
        "fcgi-program:",
    ];
    for kind in kinds {
        let sec = ini
            .sections()
            .find(|s| s.name.starts_with(kind))
            .unwrap_or_else(|| panic!("the sample has no [{kind}...] section"));
        let keys = supervisor::config::known_keys(&sec.name).expect("known section");
        let present: Vec<String> = ini.keys(&sec.name);
        // fcgi-program documents its own options and refers to [program:x] for the rest.
        let required: Vec<&str> = if kind == "fcgi-program:" {
            vec![
                "socket",
                "socket_backlog",
                "socket_owner",
                "socket_mode",
                "command",
            ]
        } else if kind == "eventlistener:" {
            keys.iter()
                .copied()
                .filter(|k| !k.starts_with("stdout_capture") && !k.starts_with("stdout_events"))
                .collect()
        } else {
            keys
        };
        for k in required {
            assert!(
                present.iter().any(|p| p == k),
                "[{}] in the sample does not document {k}",
                sec.name
            );
        }
    }
    let (_, j) = test_config_json(&path, dir.path(), dir.path());
    assert_eq!(
        j["notices"],
        serde_json::json!([]),
        "unknown keys in the sample"
    );
    let p = dump43(&["-c", path.to_str().unwrap()], dir.path(), dir.path());
    assert_eq!(
        p.status.code(),
        Some(0),
        "{}",
        describe("4.3 on the uncommented sample", &p)
    );
    let mut mine = j;
    mine["notices"] = serde_json::json!([]);
    // Our extension; 4.3 has no such option and its dump says null.
    assert_eq!(mine["supervisord"]["subreaper"], serde_json::json!(true));
    mine["supervisord"]["subreaper"] = serde_json::Value::Null;
    let theirs: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    assert_eq!(mine, theirs);
}
