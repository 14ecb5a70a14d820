//! The `--test-config --json` document (schema: docs/config-json.md).
//! Keys always appear, in a fixed order, so two documents diff cleanly.

use serde_json::{Map, Value, json};

use super::model::*;

fn env(e: &EnvList) -> Value {
    Value::Object(
        e.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn logfile(t: &LogTarget) -> Value {
    match t {
        LogTarget::None => Value::Null,
        LogTarget::Auto => json!("AUTO"),
        // Turned into None + syslog by the loader; kept for completeness.
        LogTarget::Syslog => json!("syslog"),
        LogTarget::File(p) => json!(p),
    }
}

fn process(p: &ProcessConfig) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(p.name));
    m.insert("command".into(), json!(p.command));
    m.insert(
        "argv".into(),
        super::shlex::split(&p.command).map_or(Value::Null, |a| json!(a)),
    );
    m.insert("directory".into(), json!(p.directory));
    m.insert("umask".into(), json!(p.umask));
    m.insert("priority".into(), json!(p.priority));
    m.insert("autostart".into(), json!(p.autostart));
    m.insert("autorestart".into(), json!(p.autorestart.as_str()));
    m.insert("startsecs".into(), json!(p.startsecs));
    m.insert("startretries".into(), json!(p.startretries));
    m.insert("uid".into(), json!(p.uid));
    for (name, ch) in [("stdout", &p.stdout), ("stderr", &p.stderr)] {
        m.insert(format!("{name}_logfile"), logfile(&ch.logfile));
        m.insert(
            format!("{name}_logfile_maxbytes"),
            json!(ch.logfile_maxbytes),
        );
        m.insert(format!("{name}_logfile_backups"), json!(ch.logfile_backups));
        m.insert(
            format!("{name}_capture_maxbytes"),
            json!(ch.capture_maxbytes),
        );
        m.insert(format!("{name}_events_enabled"), json!(ch.events_enabled));
        m.insert(format!("{name}_syslog"), json!(ch.syslog));
    }
    m.insert("stopsignal".into(), json!(p.stopsignal));
    m.insert("stopwaitsecs".into(), json!(p.stopwaitsecs));
    m.insert("stopasgroup".into(), json!(p.stopasgroup));
    m.insert("killasgroup".into(), json!(p.killasgroup));
    m.insert("exitcodes".into(), json!(p.exitcodes));
    m.insert("redirect_stderr".into(), json!(p.redirect_stderr));
    m.insert("environment".into(), env(&p.environment));
    m.insert("serverurl".into(), json!(p.serverurl));
    Value::Object(m)
}

fn group(g: &GroupConfig) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(g.name));
    m.insert("kind".into(), json!(g.kind.name()));
    m.insert("priority".into(), json!(g.priority));
    match &g.kind {
        GroupKind::Process => {}
        GroupKind::EventListener {
            buffer_size,
            events,
            result_handler,
        } => {
            m.insert("buffer_size".into(), json!(buffer_size));
            m.insert("events".into(), json!(events));
            m.insert("result_handler".into(), json!(result_handler));
        }
        GroupKind::Fcgi { socket } => {
            m.insert(
                "socket".into(),
                json!({
                    "url": socket.url,
                    "owner": socket.owner.map(|(u, g)| json!([u, g])),
                    "mode": socket.mode,
                    "backlog": socket.backlog,
                }),
            );
        }
    }
    m.insert(
        "processes".into(),
        Value::Array(g.processes.iter().map(process).collect()),
    );
    Value::Object(m)
}

fn server(s: &HttpServerConfig) -> Value {
    match &s.listen {
        Listen::Inet { host, port } => json!({
            "section": s.section, "family": "inet", "host": host, "port": port,
            "username": s.username, "password": s.password,
        }),
        Listen::Unix { file, chmod, chown } => json!({
            "section": s.section, "family": "unix", "file": file, "chmod": chmod,
            "chown": [chown.0, chown.1], "username": s.username, "password": s.password,
        }),
    }
}

/// The whole document.
pub fn to_json(c: &ServerConfig) -> Value {
    let d = &c.supervisord;
    json!({
        "supervisord": {
            "logfile": d.logfile,
            "logfile_maxbytes": d.logfile_maxbytes,
            "logfile_backups": d.logfile_backups,
            "loglevel": d.loglevel,
            "pidfile": d.pidfile,
            "umask": d.umask,
            "nodaemon": d.nodaemon,
            "silent": d.silent,
            "minfds": d.minfds,
            "minprocs": d.minprocs,
            "nocleanup": d.nocleanup,
            "childlogdir": d.childlogdir,
            "user": d.user,
            "directory": d.directory,
            "strip_ansi": d.strip_ansi,
            "environment": env(&d.environment),
            "identifier": d.identifier,
            "subreaper": d.subreaper,
        },
        "serverurl": c.serverurl(),
        "servers": c.servers.iter().map(server).collect::<Vec<_>>(),
        "rpcinterfaces": c.rpcinterfaces.iter().map(|r| json!({
            "name": r.name, "factory": r.factory, "extras": r.extras,
        })).collect::<Vec<_>>(),
        "groups": c.groups.iter().map(group).collect::<Vec<_>>(),
        "parse_warnings": c.parse_warnings,
        "parse_infos": c.parse_infos,
        "notices": c.notices,
    })
}
