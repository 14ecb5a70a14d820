//! Who supervisord and its children run as, and the resource limits
//! supervisord needs: 4.3's `drop_privileges`, `set_uid_or_exit` and
//! `set_rlimits_or_exit` (spec: states.md §4.4 and §8.1 steps 3–4).
//!
//! Switching users is split in two so that a forked child can do it:
//! [`plan_switch`] looks everything up (passwd, group list) and may
//! allocate; [`UserSwitch::apply`] then makes only the `setgroups`,
//! `setgid` and `setuid` system calls, which is all a child may do between
//! `fork` and `exec` in a threaded daemon. supervisord's own switch at
//! start-up uses the same two halves.

use crate::config::values;

/// 4.3's CRIT at start-up when root runs it without `user=`.
const RUNNING_AS_ROOT: &str = "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.";

/// The text logged at CRIT when supervisord starts as root with no `user=`.
pub fn running_as_root_warning() -> &'static str {
    RUNNING_AS_ROOT
}

/// The INFO line after supervisord switched to `user=` (4.3 prints the
/// numeric uid).
pub fn set_uid_message(uid: u32) -> String {
    format!("Set uid to user {uid} succeeded")
}

/// A `user=` value (name or number) to a uid, with 4.3's messages
/// (`Invalid user name foo`, `Invalid user id 99999`).
pub fn user_to_uid(user: &str) -> Result<u32, String> {
    values::name_to_uid(user).map_err(|e| e.message)
}

/// What becoming another user takes, looked up in advance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSwitch {
    pub uid: u32,
    /// The user's primary group.
    pub gid: u32,
    /// The primary group first, then every group that lists the user as a
    /// member (what `initgroups` would give).
    pub groups: Vec<libc::gid_t>,
}

/// Which of the three calls of a user switch failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchStep {
    Groups,
    Gid,
    Uid,
}

impl SwitchStep {
    /// 4.3's words for the first two. 4.3 does not catch a failing
    /// `setuid` at all (a traceback in supervisord, a bare "not spawned" in
    /// a child), so the third is ours, worded like the others.
    pub fn message(self) -> &'static str {
        match self {
            SwitchStep::Groups => "Could not set groups of effective user",
            SwitchStep::Gid => "Could not set group id of effective user",
            SwitchStep::Uid => "Could not set user id of effective user",
        }
    }
}

/// Decides what running as `uid` takes when the process runs as
/// `current_uid`: `Ok(None)` when nothing is to be done, the switch
/// otherwise, or 4.3's reason why it cannot be done. The checks run in
/// 4.3's order, so an unknown uid is an error even when it is the current
/// one.
pub fn plan_switch(uid: u32, current_uid: u32) -> Result<Option<UserSwitch>, String> {
    let Some(entry) = values::passwd_by_uid(uid) else {
        return Err(format!("Can't find uid {uid}"));
    };
    if uid == current_uid {
        return Ok(None);
    }
    if current_uid != 0 {
        return Err("Can't drop privilege as nonroot user".to_string());
    }
    Ok(Some(UserSwitch {
        uid,
        gid: entry.gid,
        groups: group_list(&entry.name, entry.gid),
    }))
}

/// `getgrouplist`: `gid` first, then the groups naming `user` as a member.
fn group_list(user: &str, gid: u32) -> Vec<libc::gid_t> {
    let Ok(name) = std::ffi::CString::new(user) else {
        return vec![gid];
    };
    let mut capacity: libc::c_int = 32;
    // A user in more groups than this cannot be set up by setgroups anyway.
    while capacity <= 1 << 16 {
        let mut groups = vec![0 as libc::gid_t; capacity as usize];
        let mut count = capacity;
        // SAFETY: `name` is a C string; `groups` holds `count` entries.
        let rc = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut count) };
        if rc >= 0 {
            groups.truncate(count.max(0) as usize);
            return groups;
        }
        // glibc reports the size it needs in `count`; others may not.
        capacity = if count > capacity {
            count
        } else {
            capacity * 2
        };
    }
    vec![gid]
}

impl UserSwitch {
    /// Makes the switch: supplementary groups, then the group, then the
    /// user (after `setuid` the others are no longer permitted). Makes
    /// system calls only, so a forked child may call it; on failure returns
    /// the step and `errno`.
    pub fn apply(&self) -> Result<(), (SwitchStep, i32)> {
        // SAFETY: plain system calls on memory we own; no allocation.
        unsafe {
            if libc::setgroups(self.groups.len(), self.groups.as_ptr()) != 0 {
                return Err((SwitchStep::Groups, errno()));
            }
            if libc::setgid(self.gid) != 0 {
                return Err((SwitchStep::Gid, errno()));
            }
            if libc::setuid(self.uid) != 0 {
                return Err((SwitchStep::Uid, errno()));
            }
        }
        Ok(())
    }
}

/// This thread's errno; async-signal-safe, so the forked child may call it.
pub(crate) fn errno() -> i32 {
    // SAFETY: reads this thread's errno.
    unsafe { *libc::__errno_location() }
}

/// supervisord's `user=`: becomes `uid`, or says why not in 4.3's words
/// (printed as `Error: <reason>`, exit 2).
pub fn drop_privileges(uid: u32) -> Result<(), String> {
    // SAFETY: getuid cannot fail.
    let current = unsafe { libc::getuid() };
    match plan_switch(uid, current)? {
        None => Ok(()),
        Some(switch) => switch
            .apply()
            .map_err(|(step, _)| step.message().to_string()),
    }
}

/// One limit supervisord makes sure of at start-up.
struct LimitSpec {
    resource: libc::__rlimit_resource_t,
    name: &'static str,
    failure: fn(min: u64, hard: &str) -> String,
}

fn nofile_failure(min: u64, hard: &str) -> String {
    format!(
        "The minimum number of file descriptors required to run this process is {min} as per the \"minfds\" command-line argument or config file setting. The current environment will only allow you to open {hard} file descriptors.  Either raise the number of usable file descriptors in your environment (see README.rst) or lower the minfds setting in the config file to allow the process to start."
    )
}

fn nproc_failure(min: u64, hard: &str) -> String {
    format!(
        "The minimum number of available processes required to run this program is {min} as per the \"minprocs\" command-line argument or config file setting. The current environment will only allow you to open {hard} processes.  Either raise the number of usable processes in your environment (see README.rst) or lower the minprocs setting in the config file to allow the program to start."
    )
}

/// The `(soft, hard)` to set so that at least `min` is available, or
/// `None` when the soft limit already suffices (or is unlimited). The hard
/// limit is raised too when it is below `min`; only root may do that.
fn raised_limit(min: u64, soft: u64, hard: u64) -> Option<(u64, u64)> {
    if soft == libc::RLIM_INFINITY || soft >= min {
        return None;
    }
    let hard = if hard != libc::RLIM_INFINITY && hard < min {
        min
    } else {
        hard
    };
    Some((min, hard))
}

/// A limit as Python's `resource` module shows it (unlimited is -1).
fn limit_text(value: u64) -> String {
    if value == libc::RLIM_INFINITY {
        "-1".to_string()
    } else {
        value.to_string()
    }
}

/// Start-up step 4: makes sure RLIMIT_NOFILE is at least `minfds` and
/// RLIMIT_NPROC at least `minprocs`. `Ok` holds the INFO lines to log
/// (`Increased RLIMIT_NOFILE limit to 4096`); `Err` the message supervisord
/// prints after `Error: ` before exiting 2. The `<hard>` in that message is
/// the hard limit supervisord asked for, as in 4.3, which is `min` itself
/// when the hard limit had to be raised.
pub fn raise_rlimits(minfds: u64, minprocs: u64) -> Result<Vec<String>, String> {
    let limits = [
        (
            minfds,
            LimitSpec {
                resource: libc::RLIMIT_NOFILE,
                name: "RLIMIT_NOFILE",
                failure: nofile_failure,
            },
        ),
        (
            minprocs,
            LimitSpec {
                resource: libc::RLIMIT_NPROC,
                name: "RLIMIT_NPROC",
                failure: nproc_failure,
            },
        ),
    ];
    let mut infos = Vec::new();
    for (min, spec) in limits {
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit fills in the struct we pass.
        if unsafe { libc::getrlimit(spec.resource, &mut current) } != 0 {
            continue;
        }
        let Some((soft, hard)) = raised_limit(min, current.rlim_cur, current.rlim_max) else {
            continue;
        };
        let wanted = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct we pass.
        if unsafe { libc::setrlimit(spec.resource, &wanted) } != 0 {
            return Err((spec.failure)(min, &limit_text(hard)));
        }
        infos.push(format!("Increased {} limit to {min}", spec.name));
    }
    Ok(infos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_root() -> bool {
        // SAFETY: getuid cannot fail.
        unsafe { libc::getuid() == 0 }
    }

    fn nobody() -> Option<values::PasswdEntry> {
        values::passwd_by_name("nobody")
    }

    #[test]
    fn switch_plan_follows_4_3s_checks_in_order() {
        let unknown = 4_000_000_000;
        assert!(values::passwd_by_uid(unknown).is_none());
        assert_eq!(
            plan_switch(unknown, unknown),
            Err("Can't find uid 4000000000".to_string())
        );
        // SAFETY: getuid cannot fail.
        let me = unsafe { libc::getuid() };
        assert_eq!(plan_switch(me, me), Ok(None));
        assert_eq!(
            plan_switch(0, 1000),
            Err("Can't drop privilege as nonroot user".to_string())
        );
        let Some(nobody) = nobody() else {
            println!("skipped the switch plan: no `nobody` user");
            return;
        };
        let plan = plan_switch(nobody.uid, 0).unwrap().unwrap();
        assert_eq!(plan.uid, nobody.uid);
        assert_eq!(plan.gid, nobody.gid);
        assert_eq!(plan.groups.first(), Some(&nobody.gid));
    }

    #[test]
    fn root_is_found_in_its_own_groups() {
        // root's primary group is 0 on every Linux; getgrouplist puts it first.
        let groups = group_list("root", 0);
        assert_eq!(groups.first(), Some(&0));
    }

    #[test]
    fn dropping_to_the_current_user_is_a_no_op() {
        // SAFETY: getuid cannot fail.
        let me = unsafe { libc::getuid() };
        assert_eq!(drop_privileges(me), Ok(()));
        assert_eq!(
            drop_privileges(4_000_000_000),
            Err("Can't find uid 4000000000".to_string())
        );
    }

    #[test]
    fn a_switch_changes_uid_gid_and_groups_in_a_forked_child() {
        if !is_root() {
            println!("skipped: switching users needs root");
            return;
        }
        let Some(nobody) = nobody() else {
            println!("skipped: no `nobody` user");
            return;
        };
        let plan = plan_switch(nobody.uid, 0).unwrap().unwrap();
        // SAFETY: the child makes system calls only, then _exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = match plan.apply() {
                Err(_) => 1,
                Ok(()) => {
                    let mut groups = [0 as libc::gid_t; 64];
                    // SAFETY: plain system calls into a stack buffer.
                    let n = unsafe { libc::getgroups(64, groups.as_mut_ptr()) };
                    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
                    let expected = plan.groups.len() as libc::c_int;
                    if uid != plan.uid || gid != plan.gid {
                        2
                    } else if n != expected || groups[0] != plan.gid {
                        3
                    } else {
                        0
                    }
                }
            };
            // SAFETY: leave the forked test process without unwinding.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: reaps the child we forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status));
        assert_eq!(libc::WEXITSTATUS(status), 0, "1 apply, 2 ids, 3 groups");
    }

    #[test]
    fn limits_are_raised_only_when_the_soft_limit_is_too_low() {
        let inf = libc::RLIM_INFINITY;
        assert_eq!(raised_limit(1024, 1024, 4096), None);
        assert_eq!(raised_limit(1024, inf, inf), None);
        assert_eq!(raised_limit(2048, 1024, 4096), Some((2048, 4096)));
        assert_eq!(raised_limit(8192, 1024, 4096), Some((8192, 8192)));
        assert_eq!(raised_limit(8192, 1024, inf), Some((8192, inf)));
        assert_eq!(limit_text(inf), "-1");
        assert_eq!(limit_text(7), "7");
    }

    #[test]
    fn limits_already_high_enough_change_nothing() {
        assert_eq!(raise_rlimits(1, 1), Ok(vec![]));
        assert_eq!(raise_rlimits(0, 0), Ok(vec![]));
    }

    #[test]
    fn a_low_soft_limit_is_raised_and_reported() {
        let mut before = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit fills in the struct we pass.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut before) },
            0
        );
        if before.rlim_cur < 512 || before.rlim_cur == libc::RLIM_INFINITY {
            println!("skipped: the fd limit is too low to lower safely");
            return;
        }
        let lowered = libc::rlimit {
            rlim_cur: before.rlim_cur - 1,
            rlim_max: before.rlim_max,
        };
        // SAFETY: lowering a soft limit is always permitted.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
        let result = raise_rlimits(before.rlim_cur, 0);
        let mut after = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above; restore whatever happened.
        unsafe {
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut after);
            libc::setrlimit(libc::RLIMIT_NOFILE, &before);
        }
        assert_eq!(
            result,
            Ok(vec![format!(
                "Increased RLIMIT_NOFILE limit to {}",
                before.rlim_cur
            )])
        );
        assert_eq!(after.rlim_cur, before.rlim_cur);
    }

    #[test]
    fn a_limit_beyond_what_the_kernel_allows_is_4_3s_error() {
        // No process, root included, may have more fds than nr_open.
        let Some(nr_open) = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        else {
            println!("skipped: /proc/sys/fs/nr_open is not readable");
            return;
        };
        let min = nr_open + 1;
        let expected = format!(
            "The minimum number of file descriptors required to run this process is {min} as per the \"minfds\" command-line argument or config file setting. The current environment will only allow you to open {min} file descriptors.  Either raise the number of usable file descriptors in your environment (see README.rst) or lower the minfds setting in the config file to allow the process to start."
        );
        assert_eq!(raise_rlimits(min, 0), Err(expected));
    }

    #[test]
    fn the_process_message_names_minprocs() {
        assert_eq!(
            nproc_failure(50, "-1"),
            "The minimum number of available processes required to run this program is 50 as per the \"minprocs\" command-line argument or config file setting. The current environment will only allow you to open -1 processes.  Either raise the number of usable processes in your environment (see README.rst) or lower the minprocs setting in the config file to allow the program to start."
        );
    }

    #[test]
    fn fixed_texts_match_4_3() {
        assert!(
            running_as_root_warning().starts_with("Supervisor is running as root.  Privileges")
        );
        assert!(running_as_root_warning().ends_with("to avoid this message."));
        assert_eq!(set_uid_message(65534), "Set uid to user 65534 succeeded");
        assert_eq!(
            user_to_uid("no-such-user-here"),
            Err("Invalid user name no-such-user-here".to_string())
        );
        assert_eq!(user_to_uid("root"), Ok(0));
        assert_eq!(user_to_uid("0"), Ok(0));
    }
}
