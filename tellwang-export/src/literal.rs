//! Tenant text as Terraform string literals.
//!
//! Every string that comes from a spec goes through [`quoted`]. hcl-rs is not
//! trusted with tenant text: its writer copies template and heredoc bodies
//! verbatim, and its marker escaping pairs characters up, so that the text
//! `$${` is written unchanged and read back by Terraform as `${`. Here the
//! escaping is done once, to Terraform's grammar, and the result is handed to
//! hcl-rs as a quoted template that it writes as it is. (Text that needs no
//! escape at all is handed over as a plain string, which hcl-rs writes
//! unchanged.)
//!
//! The output uses only the escapes Terraform accepts — `\n`, `\r`, `\t`,
//! `\"`, `\\`, `\uNNNN` and `\UNNNNNNNN` — plus `$${` and `%%{` for a literal
//! `${` and `%{` (or `$\u007B` and `%\u007B` when no `}` follows in the
//! string, see [`escape`]), and it never spans a line.

use hcl::Identifier;
use hcl::expr::{Expression, ObjectKey, TemplateExpr};

/// The string `text` as a quoted Terraform string that evaluates to exactly
/// `text`.
pub(crate) fn quoted(text: &str) -> Expression {
    if is_plain(text) {
        return Expression::String(text.to_owned());
    }
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(escape(text))))
}

/// [`quoted`] for text the caller has just built, reusing its buffer.
pub(crate) fn quoted_owned(text: String) -> Expression {
    if is_plain(&text) {
        return Expression::String(text);
    }
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(escape(&text))))
}

/// Whether `text` needs no escape at all: printable ASCII without `"`,
/// `\\`, `${` or `%{`. Such text is the same escaped or not, so it is handed
/// to hcl-rs as a plain string (hcl-rs's escaper leaves it unchanged) —
/// which saves the quoted template's allocation for most strings.
fn is_plain(text: &str) -> bool {
    // One pass: a `{` right after `$` or `%` is a marker.
    let mut after_marker = false;
    for &b in text.as_bytes() {
        if !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\' || (b == b'{' && after_marker) {
            return false;
        }
        after_marker = b == b'$' || b == b'%';
    }
    true
}

/// `"<name>=${var.<variable>}"`: a `KEY=VALUE` environment entry whose value
/// is a variable's, as the docker provider takes them. `name` is escaped like
/// any other literal; `variable` comes from [`crate::ident`] and is an
/// identifier, so it cannot leave the interpolation. The `=` between them
/// keeps a `$` at the end of `name` from turning `${` into `$${`.
pub(crate) fn entry_from_variable(name: &str, variable: &str) -> Expression {
    let mut template = String::with_capacity(name.len() + variable.len() + 8);
    escape_into(&mut template, name);
    template.push_str("=${var.");
    template.push_str(variable);
    template.push('}');
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(template)))
}

/// `"<name>=<value>"`: a `KEY=VALUE` environment entry, escaped as one
/// string, built without an intermediate copy when it needs no escape.
pub(crate) fn entry(name: &str, value: &str) -> Expression {
    let mut text = String::with_capacity(name.len() + 1 + value.len());
    text.push_str(name);
    text.push('=');
    text.push_str(value);
    quoted_owned(text)
}

/// The string `text` as a quoted object key.
pub(crate) fn key(text: &str) -> ObjectKey {
    ObjectKey::Expression(quoted(text))
}

/// One of the exporter's own map keys, such as `source`, written bare.
/// Never for tenant text.
pub(crate) fn word_key(word: &'static str) -> ObjectKey {
    ObjectKey::Identifier(Identifier::unchecked(word))
}

/// `text` escaped for the inside of a Terraform quoted string.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    escape_into(&mut out, text);
    out
}

/// [`escape`], appending to `out`.
fn escape_into(out: &mut String, text: &str) {
    if is_plain(text) {
        out.push_str(text);
        return;
    }
    // Where the last `}` is: a marker before it is written `$${` / `%%{`.
    let last_close = text.rfind('}');
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // A literal `${` or `%{` would open an interpolation or a
            // directive. Terraform's escape is `$${` / `%%{`. Some readers
            // (python-hcl2) only take that escape when a `}` closes it later
            // in the string; where none does, the brace is written `\u007B`,
            // which Terraform reads as the same text.
            '$' | '%' if chars.peek().is_some_and(|(_, next)| *next == '{') => {
                out.push(c);
                if last_close.is_some_and(|close| close > at) {
                    out.push(c);
                } else {
                    out.push_str("\\u007B");
                    chars.next();
                }
            }
            c if needs_code(c) => {
                push_code(out, u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Writes `\\uNNNN`, or `\\UNNNNNNNN` above the Basic Multilingual Plane.
fn push_code(out: &mut String, code: u32) {
    let (marker, digits) = if code <= 0xFFFF { ('u', 4) } else { ('U', 8) };
    out.push('\\');
    out.push(marker);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((code >> (shift * 4)) & 0xF) as usize]));
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Characters written as a numeric escape: controls, which Terraform would
/// read but a reader would not see, and invisible characters that change how
/// the surrounding text displays (bidirectional overrides, zero-width
/// characters, line and paragraph separators, tags).
fn needs_code(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_a_plain_string_and_other_text_a_quoted_template() {
        assert_eq!(quoted("postgres:16"), Expression::String("postgres:16".into()));
        assert_eq!(quoted_owned("a b".into()), Expression::String("a b".into()));
        for text in ["a\"b", "${x}", "%{", "é", "\u{7f}", "a\\b"] {
            assert!(matches!(quoted(text), Expression::TemplateExpr(_)), "{text:?}");
        }
        // `$` and `%` alone are plain.
        assert_eq!(quoted("50% $5"), Expression::String("50% $5".into()));
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(escape("postgres:16"), "postgres:16");
        assert_eq!(escape("日本語 é"), "日本語 é");
    }

    #[test]
    fn only_terraform_escapes_are_written() {
        assert_eq!(escape("a\"b\\c\nd\re\tf"), "a\\\"b\\\\c\\nd\\re\\tf");
        assert_eq!(escape("\u{0}\u{1b}\u{7f}\u{85}"), "\\u0000\\u001B\\u007F\\u0085");
        assert_eq!(escape("\u{202E}x\u{E0041}"), "\\u202Ex\\U000E0041");
    }

    #[test]
    fn template_markers_are_doubled() {
        assert_eq!(escape("${x}"), "$${x}");
        assert_eq!(escape("%{if}"), "%%{if}");
        // Each `${` of the input is escaped, however many `$` precede it.
        assert_eq!(escape("$${}"), "$$${}");
        assert_eq!(escape("a${b}c${d}"), "a$${b}c$${d}");
        // Without a `}` after it, the brace itself is escaped.
        assert_eq!(escape("${"), "$\\u007B");
        assert_eq!(escape("$${"), "$$\\u007B");
        assert_eq!(escape("%{ x } %{"), "%%{ x } %\\u007B");
        assert_eq!(escape("$$"), "$$");
        assert_eq!(escape("%$"), "%$");
        assert_eq!(escape("{$}"), "{$}");
    }
}
