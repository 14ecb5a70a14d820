//! The `supervisor` binary: dispatch on argv[0] and nothing else.

fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE by default; a write to a closed pipe then fails
    // with EPIPE, which every role treats as a quiet end.
    let code = supervisor::multicall::run();
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
