//! Supervisor's process names (`group:name`, `name`, `group:*`), as the
//! daemon resolves them and `supervisorctl` prints them.

/// `group:name`, or `name` when the two are the same (4.3's
/// `make_namespec`).
pub fn make(group: &str, name: &str) -> String {
    if group == name {
        name.to_string()
    } else {
        format!("{group}:{name}")
    }
}

/// 4.3's `split_namespec`: `g:*` and `g:` name a group (process None); a
/// bare name is the process of that name in the group of that name.
pub fn split(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((g, p)) if p.is_empty() || p == "*" => (g, None),
        Some((g, p)) => (g, Some(p)),
        None => (spec, Some(spec)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespecs_split_and_join_as_4_3s() {
        assert_eq!(split("g:*"), ("g", None));
        assert_eq!(split("g:"), ("g", None));
        assert_eq!(split("g:p"), ("g", Some("p")));
        assert_eq!(split("p"), ("p", Some("p")));
        assert_eq!(split("a:b:c"), ("a", Some("b:c")));
        assert_eq!(make("p", "p"), "p");
        assert_eq!(make("g", "p"), "g:p");
    }
}
