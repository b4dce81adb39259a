//! Rust source as tokens with line numbers: enough to find paths, blocks and attributes,
//! without comments, whitespace, lifetimes or the contents of literals.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier or keyword; `$crate` and other macro variables keep their `$`.
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A number, string, char or byte literal (contents dropped).
    Literal,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    /// 1-based line where the token starts.
    pub line: usize,
}

pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let newlines = |from: usize, to: usize| {
        let to = to.min(chars.len());
        chars[from.min(to)..to]
            .iter()
            .filter(|c| **c == '\n')
            .count()
    };
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let tok = if c.is_whitespace() {
            i += 1;
            None
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            None
        } else if c == '/' && at(i + 1) == '*' {
            i = block_comment_end(&chars, i);
            None
        } else if c == '"' {
            i = quoted_end(&chars, i + 1, '"');
            Some(Tok::Literal)
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                i = quoted_end(&chars, i + 1, '\'');
                Some(Tok::Literal)
            } else if at(i + 2) == '\'' && at(i + 1) != '\n' {
                i += 3;
                Some(Tok::Literal)
            } else {
                // A lifetime or a loop label.
                i += 1;
                while is_ident_char(at(i)) {
                    i += 1;
                }
                None
            }
        } else if c.is_ascii_digit() {
            while is_ident_char(at(i)) || (at(i) == '.' && at(i + 1).is_ascii_digit()) {
                i += 1;
            }
            Some(Tok::Literal)
        } else if is_ident_start(c) || (c == '$' && is_ident_start(at(i + 1))) {
            i += 1;
            while is_ident_char(at(i)) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            if raw && (at(i) == '"' || (at(i) == '#' && matches!(at(i + 1), '#' | '"'))) {
                i = raw_string_end(&chars, i);
                Some(Tok::Literal)
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = quoted_end(&chars, i + 1, '"');
                Some(Tok::Literal)
            } else if word == "b" && at(i) == '\'' {
                i = quoted_end(&chars, i + 1, '\'');
                Some(Tok::Literal)
            } else if word == "r" && at(i) == '#' && is_ident_start(at(i + 1)) {
                // A raw identifier, `r#type`.
                i += 1;
                let begin = i;
                while is_ident_char(at(i)) {
                    i += 1;
                }
                Some(Tok::Ident(chars[begin..i].iter().collect()))
            } else {
                Some(Tok::Ident(word))
            }
        } else if c == ':' && at(i + 1) == ':' {
            i += 2;
            Some(Tok::PathSep)
        } else {
            i += 1;
            Some(Tok::Punct(c))
        };
        if let Some(tok) = tok {
            tokens.push(Token { tok, line });
        }
        line += newlines(start, i);
    }
    tokens
}

/// Index just past the (nested) block comment opened at `open`.
fn block_comment_end(chars: &[char], open: usize) -> usize {
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut depth = 0;
    let mut j = open;
    while j < chars.len() {
        if chars[j] == '/' && at(j + 1) == '*' {
            depth += 1;
            j += 2;
        } else if chars[j] == '*' && at(j + 1) == '/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    chars.len()
}

/// Index just past the `quote` that closes a literal whose contents start at `from`.
fn quoted_end(chars: &[char], from: usize, quote: char) -> usize {
    let mut j = from;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    chars.len()
}

/// Index just past a raw string whose `#`s or opening quote are at `from`.
fn raw_string_end(chars: &[char], from: usize) -> usize {
    let hashes = chars[from..].iter().take_while(|c| **c == '#').count();
    let mut j = from + hashes + 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return j + 1 + hashes;
        }
        j += 1;
    }
    chars.len()
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .iter()
            .map(|t| match &t.tok {
                Tok::Ident(name) => name.clone(),
                Tok::PathSep => "::".into(),
                Tok::Punct(c) => c.to_string(),
                Tok::Literal => "L".into(),
            })
            .collect()
    }

    #[test]
    fn comments_and_literal_contents_are_dropped() {
        let cases: &[(&str, &[&str])] = &[
            ("a /* b /* c */ d */ e", &["a", "e"]),
            ("a // crate::b\nc", &["a", "c"]),
            (r#""e\"f" x"#, &["L", "x"]),
            (r#"'g' '\n' '{' b'h' x"#, &["L", "L", "L", "L", "x"]),
            (r###"br##"i"# "## r"\" x"###, &["L", "L", "x"]),
            (
                "fn f<'a>(x: &'a T) {}",
                &["fn", "f", "<", ">", "(", "x", ":", "&", "T", ")", "{", "}"],
            ),
            (
                "$crate::a r#type 1.5e3",
                &["$crate", "::", "a", "type", "L"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&words(text), expected, "{text}");
        }
    }

    #[test]
    fn lines_count_inside_comments_and_strings() {
        let tokens = tokenize("a\n/* x\n */ \"y\nz\" r#\"\n\"#\nb");
        let lines: Vec<usize> = tokens.iter().map(|t| t.line).collect();
        assert_eq!(lines, [1, 3, 4, 6]);
    }
}
