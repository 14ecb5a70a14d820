//! Shell-style word splitting, as Python's `shlex` in POSIX mode does it.
//!
//! Two users: `command=` is split like `shlex.split` (whitespace separates
//! words, quotes group, backslash escapes, `#` is an ordinary character), and
//! `environment=` is tokenised as Supervisor 4.4 does it (`shlex` in POSIX
//! mode with word characters, so `=` and `,` are tokens of their own and `#`
//! starts a comment).

/// Why a string could not be split (Python's words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShlexError {
    NoClosingQuotation,
    NoEscapedCharacter,
}

impl std::fmt::Display for ShlexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShlexError::NoClosingQuotation => "No closing quotation",
            ShlexError::NoEscapedCharacter => "No escaped character",
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Whitespace,
    Word,
    Quote(char),
    Escape(Escaped),
}

#[derive(Clone, Copy, PartialEq)]
enum Escaped {
    Word,
    DoubleQuote,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Python shlex's POSIX word characters, plus Supervisor's `/.+-():`.
fn is_env_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "_/.+-():".contains(c)
        || ('\u{c0}'..='\u{ff}').contains(&c) && c != '\u{d7}' && c != '\u{f7}'
}

/// The tokenizer, with the two modes the callers need.
fn tokens(s: &str, whitespace_split: bool) -> Result<Vec<String>, ShlexError> {
    let comments = !whitespace_split;
    let mut out = Vec::new();
    let mut token = String::new();
    let mut quoted = false;
    let mut state = State::Whitespace;
    let mut chars = s.chars().peekable();
    let emit = |out: &mut Vec<String>, token: &mut String, quoted: &mut bool| {
        if !token.is_empty() || *quoted {
            out.push(std::mem::take(token));
        }
        *quoted = false;
    };
    while let Some(c) = chars.next() {
        match state {
            State::Whitespace => {
                if is_space(c) {
                    continue;
                } else if comments && c == '#' {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            break;
                        }
                    }
                } else if c == '\\' {
                    state = State::Escape(Escaped::Word);
                } else if c == '\'' || c == '"' {
                    state = State::Quote(c);
                } else if whitespace_split || is_env_word_char(c) {
                    token.push(c);
                    state = State::Word;
                } else {
                    // A punctuation character is a token by itself.
                    token.push(c);
                    emit(&mut out, &mut token, &mut quoted);
                }
            }
            State::Word => {
                if is_space(c) {
                    emit(&mut out, &mut token, &mut quoted);
                    state = State::Whitespace;
                } else if comments && c == '#' {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            break;
                        }
                    }
                    emit(&mut out, &mut token, &mut quoted);
                    state = State::Whitespace;
                } else if c == '\'' || c == '"' {
                    state = State::Quote(c);
                } else if c == '\\' {
                    state = State::Escape(Escaped::Word);
                } else if whitespace_split || is_env_word_char(c) {
                    token.push(c);
                } else {
                    emit(&mut out, &mut token, &mut quoted);
                    token.push(c);
                    emit(&mut out, &mut token, &mut quoted);
                    state = State::Whitespace;
                }
            }
            State::Quote(q) => {
                quoted = true;
                if c == q {
                    state = State::Word;
                } else if q == '"' && c == '\\' {
                    state = State::Escape(Escaped::DoubleQuote);
                } else {
                    token.push(c);
                }
            }
            State::Escape(from) => {
                if from == Escaped::DoubleQuote && c != '"' && c != '\\' {
                    token.push('\\');
                }
                token.push(c);
                state = match from {
                    Escaped::Word => State::Word,
                    Escaped::DoubleQuote => State::Quote('"'),
                };
            }
        }
    }
    match state {
        State::Quote(_) => Err(ShlexError::NoClosingQuotation),
        State::Escape(_) => Err(ShlexError::NoEscapedCharacter),
        _ => {
            emit(&mut out, &mut token, &mut quoted);
            Ok(out)
        }
    }
}

/// `shlex.split(command)`: the argv a program is started with.
pub fn split(command: &str) -> Result<Vec<String>, ShlexError> {
    tokens(command, true)
}

/// Tokens of an `environment=` value.
pub fn env_tokens(value: &str) -> Result<Vec<String>, ShlexError> {
    tokens(value, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Vec<String> {
        split(s).unwrap()
    }

    #[test]
    fn command_splitting_matches_python_shlex_split() {
        assert_eq!(sp("/bin/prog a;b c"), ["/bin/prog", "a;b", "c"]);
        assert_eq!(sp("sh -c \"a;b\""), ["sh", "-c", "a;b"]);
        assert_eq!(
            sp("echo 'a b' \"c d\" e\\ f"),
            ["echo", "a b", "c d", "e f"]
        );
        assert_eq!(sp("echo \"a\\\"b\\n\" 'x\\y'"), ["echo", "a\"b\\n", "x\\y"]);
        assert_eq!(sp("echo '' x#y #z"), ["echo", "", "x#y", "#z"]);
        assert_eq!(sp("a\nb\tc"), ["a", "b", "c"]);
        assert_eq!(sp("pre\"mid dle\"post"), ["premid dlepost"]);
        assert_eq!(sp("   "), Vec::<String>::new());
        assert_eq!(split("echo 'open"), Err(ShlexError::NoClosingQuotation));
        assert_eq!(split("echo \\"), Err(ShlexError::NoEscapedCharacter));
    }

    #[test]
    fn environment_tokens() {
        let t = |s: &str| env_tokens(s).unwrap();
        assert_eq!(t("A=1,B=2"), ["A", "=", "1", ",", "B", "=", "2"]);
        assert_eq!(
            t("A=\"x, y\",B='z'"),
            ["A", "=", "x, y", ",", "B", "=", "z"]
        );
        assert_eq!(t("PATH=/usr/bin:/bin"), ["PATH", "=", "/usr/bin:/bin"]);
        assert_eq!(t("A=$HOME"), ["A", "=", "$", "HOME"]);
        assert_eq!(t("A=x#y,B=2\nC=3"), ["A", "=", "x", "C", "=", "3"]);
        assert_eq!(t("A=\"\""), ["A", "=", ""]);
    }
}
