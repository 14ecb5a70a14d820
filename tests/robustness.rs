//! The loader never panics: generated configurations mixing valid and
//! broken fragments, random bytes and deep nesting all end in `Ok` or a
//! `ConfigError`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use supervisor::config::{LoadContext, Overrides, load_server};

use crate::util::TempDir;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FRAGMENTS: &[&str] = &[
    "[supervisord]\n",
    "[program:a]\n",
    "[program:b c]\n",
    "[group:g]\nprograms=a,zz\n",
    "[eventlistener:e]\nevents=TICK_5\n",
    "[fcgi-program:f]\nsocket=tcp://h:1\n",
    "[include]\nfiles=*.none\n",
    "[unix_http_server]\nfile=%(here)s/s.sock\n",
    "[inet_http_server]\nport=:x\n",
    "command=/bin/cat %(program_name)s\n",
    "command=%(nope)s\n",
    "command=%\n",
    "command=%s %d %(\n",
    "numprocs=3\n",
    "numprocs=-1\n",
    "numprocs=99999999999999999999\n",
    "process_name=%(process_num)s\n",
    "priority=%(process_num)d\n",
    "environment=A=\"1\",B='2',C=\n",
    "environment=\"unclosed\n",
    "stdout_logfile=%(here)s/%%%%(x)s\n",
    "stdout_logfile=/no/dir/x\n",
    "  continued line\n",
    "\n",
    "; comment\n",
    "garbage line\n",
    "[\n",
    "[]\n",
    "[DEFAULT]\nstartsecs=x\n",
    "umask=0o8\n",
    "stopsignal=SIG_DFL\n",
    "exitcodes=1,2,,\n",
    "user=nobody\n",
    "user=99999999\n",
    "logfile_maxbytes=9999999999999GB\n",
    "startsecs=1_0\n",
    "autorestart=maybe\n",
    "\u{feff}[x]\n",
    "key\u{0}=v\n",
    "é=ü\n",
    "socket=unix://rel\n",
];

fn load(dir: &TempDir, text: &[u8]) {
    let path = dir.write("fuzz.conf", text);
    let ctx = LoadContext::from_process();
    let r = catch_unwind(AssertUnwindSafe(|| {
        load_server(path.to_str().unwrap(), &Overrides::default(), &ctx)
    }));
    assert!(
        r.is_ok(),
        "the loader panicked on:\n{}",
        String::from_utf8_lossy(text)
    );
}

#[test]
fn generated_configs_never_panic() {
    let dir = TempDir::new("robust");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..600 {
        let n = 1 + rng.next() % 12;
        let text: String = (0..n).map(|_| rng.pick(FRAGMENTS)).collect();
        load(&dir, format!("[supervisord]\n{text}").as_bytes());
    }
}

#[test]
fn random_bytes_never_panic() {
    let dir = TempDir::new("robust");
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..200 {
        let len = (rng.next() % 400) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        load(&dir, &bytes);
    }
}

#[test]
fn deep_and_long_inputs_never_panic() {
    let dir = TempDir::new("robust");
    let deep = format!(
        "[supervisord]\n[program:a]\ncommand=%({}x{})s\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    load(&dir, deep.as_bytes());
    let many: String = (0..20_000)
        .map(|i| format!("[program:p{i}]\ncommand=/bin/true\n"))
        .collect();
    load(&dir, format!("[supervisord]\n{many}").as_bytes());
    let cont = format!(
        "[supervisord]\n[program:a]\ncommand=/bin/echo\n{}",
        "  x\n".repeat(100_000)
    );
    load(&dir, cont.as_bytes());
}
