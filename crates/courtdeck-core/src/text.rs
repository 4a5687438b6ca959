//! Text shown to the court: the one rule for a displayed string's characters.

/// Unicode's invisible format characters (general category Cf, Unicode 15.1): the bidirectional
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make a title read as
/// another one, zero-width spaces and joiners, the byte order mark, and the rest of the category. A
/// displayed string never needs one; rejecting them all is simpler to trust than allowing some.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// A string with its control and invisible format characters written out (`\u{202e}`), for messages
/// that quote what a hostile document said.
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || is_invisible_format(c) {
                format!("\\u{{{:04x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The most characters a name the court configures may have (a source's label).
pub const MAX_LABEL_CHARS: usize = 80;

/// A name shown to the court (`field` names it in the error): trimmed, 1 to `MAX_LABEL_CHARS`
/// characters, none of them a control or invisible format character.
pub fn displayable(field: &'static str, s: &str) -> Result<String, crate::InvalidValue> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_LABEL_CHARS {
        return Err(crate::InvalidValue::new(
            field,
            format!("must be 1-{MAX_LABEL_CHARS} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        return Err(crate::InvalidValue::new(
            field,
            format!(
                "{} holds a control or invisible character, which can make it read as something else",
                visible(t)
            ),
        ));
    }
    Ok(t.to_owned())
}
