//! Transcripts on the wire: WebVTT (the W3C format the store keeps) and SRT (accepted when bundling,
//! converted). API boundary: untrusted text becomes `courtdeck_core::transcript::Transcript` here and
//! nowhere else; every refusal names its line.
//!
//! What is accepted of WebVTT: the `WEBVTT` signature, a header, `NOTE`, `STYLE` and `REGION` blocks
//! (skipped: the kiosk draws captions its own way), cues with an optional identifier, timings with
//! settings (ignored), and cue text with WebVTT's own markup only: `<b> <i> <u> <c.class> <v Speaker>
//! <lang xx> <ruby> <rt>`, inner timestamps and the character references `&amp; &lt; &gt; &nbsp;
//! &lrm; &rlm;` and numeric ones. The first `<v>` of a cue is its speaker; the rest of the markup is
//! dropped (captions and the surface show plain text). Anything else (`<script>`, `<font>`, an
//! unclosed `<`) is refused. A cue whose text is empty once its markup is gone shows nothing and is
//! skipped.

use std::fmt;
use std::time::Duration;

use courtdeck_core::transcript::{Cue, MAX_TRANSCRIPT_BYTES, Transcript};

/// Why a transcript was refused: the line (from 1; 0 for the file as a whole) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TranscriptError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.reason)
        } else {
            write!(f, "line {}: {}", self.line, self.reason)
        }
    }
}

fn refuse(line: usize, reason: impl Into<String>) -> TranscriptError {
    TranscriptError {
        line,
        reason: reason.into(),
    }
}

/// The file's lines (any line ending), numbered from 1, after a size check and without a BOM.
fn lines_of(text: &str) -> Result<Vec<(usize, &str)>, TranscriptError> {
    if text.len() as u64 > MAX_TRANSCRIPT_BYTES {
        return Err(refuse(
            0,
            format!(
                "the transcript is {} bytes; the most accepted is {MAX_TRANSCRIPT_BYTES}",
                text.len()
            ),
        ));
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut out = Vec::new();
    let mut rest = text;
    let mut n = 1;
    while !rest.is_empty() {
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        out.push((n, &rest[..end]));
        rest = &rest[end..];
        rest = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\r'))
            .or_else(|| rest.strip_prefix('\n'))
            .unwrap_or(rest);
        n += 1;
    }
    Ok(out)
}

/// Blocks of consecutive non-blank lines.
fn blocks<'a>(lines: &[(usize, &'a str)]) -> Vec<Vec<(usize, &'a str)>> {
    let mut out = Vec::new();
    let mut block = Vec::new();
    for &(n, l) in lines {
        if l.trim().is_empty() {
            if !block.is_empty() {
                out.push(std::mem::take(&mut block));
            }
        } else {
            block.push((n, l));
        }
    }
    if !block.is_empty() {
        out.push(block);
    }
    out
}

/// Parses a WebVTT transcript; with `within`, every cue must lie inside a recording that long
/// (`Transcript::check_within`).
pub fn parse(text: &str, within: Option<Duration>) -> Result<Transcript, TranscriptError> {
    let lines = lines_of(text)?;
    let first = lines.first().map(|l| l.1).unwrap_or("");
    let signed = first == "WEBVTT" || first.starts_with("WEBVTT ") || first.starts_with("WEBVTT\t");
    if !signed {
        return Err(refuse(
            1,
            "a WebVTT transcript starts with the line WEBVTT (an SRT file must be named .srt)",
        ));
    }
    let mut cues = Cues::default();
    // The first block is the signature and its header.
    for block in blocks(&lines).into_iter().skip(1) {
        let head = block[0].1;
        if is_block(head, "NOTE") || is_block(head, "STYLE") || is_block(head, "REGION") {
            continue;
        }
        let (timing_at, rest) = if head.contains("-->") {
            (0, &block[1..])
        } else if block.len() > 1 && block[1].1.contains("-->") {
            (1, &block[2..])
        } else {
            return Err(refuse(
                block[0].0,
                format!(
                    "expected a cue's timing, like 00:01.000 --> 00:04.000, not {:?}",
                    clip(head)
                ),
            ));
        };
        let (line, timing) = block[timing_at];
        let (start, end) = timings(timing, '.').map_err(|r| refuse(line, r))?;
        let mut speaker = None;
        let mut text = String::new();
        for (i, &(n, l)) in rest.iter().enumerate() {
            if l.contains("-->") {
                return Err(refuse(
                    n,
                    "cue text may not contain \"-->\" (is a blank line missing before this cue?)",
                ));
            }
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&cue_text(l, &mut speaker).map_err(|r| refuse(n, r))?);
        }
        cues.add(line, start, end, speaker, &text)?;
    }
    cues.finish(within)
}

/// Parses an SRT (SubRip) transcript: numbered blocks of `00:00:01,000 --> 00:00:04,000` and text,
/// whose only markup is `<b> <i> <u>` and `<font …>` (dropped), and ASS tags like `{\an8}`
/// (dropped). Other `<` and `&` are the words themselves.
pub fn parse_srt(text: &str, within: Option<Duration>) -> Result<Transcript, TranscriptError> {
    let lines = lines_of(text)?;
    let mut cues = Cues::default();
    for block in blocks(&lines) {
        let (timing_at, rest) = if block[0].1.contains("-->") {
            (0, &block[1..])
        } else if block.len() > 1
            && block[0].1.trim().chars().all(|c| c.is_ascii_digit())
            && block[1].1.contains("-->")
        {
            (1, &block[2..])
        } else {
            return Err(refuse(
                block[0].0,
                format!(
                    "expected an SRT cue (a number, then a timing like 00:00:01,000 --> 00:00:04,000), not {:?}",
                    clip(block[0].1)
                ),
            ));
        };
        let (line, timing) = block[timing_at];
        let (start, end) = timings(timing, ',').map_err(|r| refuse(line, r))?;
        let text = rest
            .iter()
            .map(|&(_, l)| srt_text(l))
            .collect::<Vec<_>>()
            .join("\n");
        cues.add(line, start, end, None, &text)?;
    }
    cues.finish(within)
}

/// Cues as they are read, each with the line of its timing, for the checks on the whole.
#[derive(Default)]
struct Cues {
    cues: Vec<Cue>,
    at_line: Vec<usize>,
}

impl Cues {
    /// Adds a cue (one with no words once its markup is gone shows nothing and is skipped).
    fn add(
        &mut self,
        line: usize,
        start: Duration,
        end: Duration,
        speaker: Option<String>,
        text: &str,
    ) -> Result<(), TranscriptError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        self.cues.push(
            Cue::new(start, end, speaker, text)
                .map_err(|e| refuse(line, format!("this cue: {}", e.reason)))?,
        );
        self.at_line.push(line);
        Ok(())
    }

    /// The transcript: in order, and inside a recording `within` long when that is known.
    fn finish(self, within: Option<Duration>) -> Result<Transcript, TranscriptError> {
        let at_line = self.at_line;
        let line_of = |i: usize| at_line.get(i.wrapping_sub(1)).copied().unwrap_or(0);
        let transcript = Transcript::new(self.cues).map_err(|(i, e)| match i {
            0 => refuse(0, "the transcript has no cues with text"),
            i => refuse(line_of(i), format!("this cue: {}", e.reason)),
        })?;
        if let Some(duration) = within {
            transcript
                .check_within(duration)
                .map_err(|(i, e)| refuse(line_of(i), format!("this cue: {}", e.reason)))?;
        }
        Ok(transcript)
    }
}

/// Writes `t` as WebVTT (what `bundle` publishes for an SRT): one cue per block, the speaker as
/// `<v>`, the text escaped. `parse` reads it back to the same transcript.
pub fn to_vtt(t: &Transcript) -> String {
    let mut out = String::from("WEBVTT\n");
    for (i, c) in t.cues().iter().enumerate() {
        out.push_str(&format!(
            "\n{}\n{} --> {}\n",
            i + 1,
            stamp(c.start()),
            stamp(c.end())
        ));
        if let Some(s) = c.speaker() {
            out.push_str(&format!("<v {}>", escape(s)));
        }
        out.push_str(&escape(c.text()));
        out.push('\n');
    }
    out
}

fn stamp(d: Duration) -> String {
    let ms = d.as_millis();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn is_block(line: &str, word: &str) -> bool {
    line == word
        || line
            .strip_prefix(word)
            .is_some_and(|r| r.starts_with([' ', '\t']))
}

/// The first 40 characters of a line, for a message.
fn clip(line: &str) -> String {
    line.chars().take(40).collect()
}

/// `start --> end [settings]`; `frac` is the separator before the milliseconds (`.` in WebVTT, `,`
/// in SRT, which also takes `.`).
fn timings(line: &str, frac: char) -> Result<(Duration, Duration), String> {
    let (a, b) = line.split_once("-->").expect("a timing line has -->");
    let end = b.split_whitespace().next().unwrap_or("");
    let start = timestamp(a.trim(), frac)?;
    let end = timestamp(end, frac)?;
    if end <= start {
        return Err(format!(
            "the cue ends ({}) at or before its start ({}): the end must be after the start",
            end_trim(b),
            a.trim()
        ));
    }
    Ok((start, end))
}

fn end_trim(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

/// `[hh:]mm:ss.ttt` (WebVTT: hours optional and at least two digits; minutes and seconds two digits
/// below 60; three digits of milliseconds). SRT's `hh:mm:ss,ttt` with `frac == ','`.
fn timestamp(s: &str, frac: char) -> Result<Duration, String> {
    let bad = || {
        if frac == ',' {
            format!("{s:?} is not a time like 00:01:02,500")
        } else {
            format!("{s:?} is not a time like 01:02.500 or 00:01:02.500")
        }
    };
    let (clock, ms) = s
        .split_once(frac)
        .or_else(|| (frac == ',').then(|| s.split_once('.')).flatten())
        .ok_or_else(bad)?;
    let digits = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    if ms.len() != 3 || !digits(ms) {
        return Err(bad());
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [m, s] if frac == '.' => ("0", *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(bad()),
    };
    let hours_ok = digits(h) && h.len() <= 6 && (frac == ',' || parts.len() == 2 || h.len() >= 2);
    if !hours_ok || m.len() != 2 || sec.len() != 2 || !digits(m) || !digits(sec) {
        return Err(bad());
    }
    let (h, m, sec, ms): (u64, u64, u64, u64) = (
        h.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        sec.parse().map_err(|_| bad())?,
        ms.parse().map_err(|_| bad())?,
    );
    if m >= 60 || sec >= 60 {
        return Err(bad());
    }
    Ok(Duration::from_millis(((h * 60 + m) * 60 + sec) * 1000 + ms))
}

const TAGS: [&str; 8] = ["b", "i", "u", "c", "v", "lang", "ruby", "rt"];

/// One line of WebVTT cue text as plain text; the first `<v Speaker>` seen is put in `speaker`.
fn cue_text(line: &str, speaker: &mut Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            let end = rest
                .find('>')
                .ok_or_else(|| "a '<' with no '>': write &lt; for a less-than sign".to_owned())?;
            tag(&rest[1..end], speaker)?;
            rest = &rest[end + 1..];
        } else {
            let (text, used) = reference(rest)?;
            out.push_str(text.as_deref().unwrap_or(""));
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn tag(inner: &str, speaker: &mut Option<String>) -> Result<(), String> {
    if inner.starts_with(|c: char| c.is_ascii_digit()) {
        return timestamp(inner, '.')
            .map(|_| ())
            .map_err(|_| format!("<{inner}> is not a timestamp tag like <00:01.500>"));
    }
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    let name_end = inner.find(['.', ' ', '\t']).unwrap_or(inner.len());
    let name = &inner[..name_end];
    if !TAGS.contains(&name) {
        return Err(format!(
            "<{}> is not WebVTT markup (only b, i, u, c, v, lang, ruby, rt)",
            clip(inner)
        ));
    }
    if name == "v" && speaker.is_none() {
        let annotation = inner[name_end..]
            .trim_start_matches(|c: char| c == '.' || c.is_ascii_alphanumeric() || c == '-')
            .trim();
        if !annotation.is_empty() {
            *speaker = Some(unescape_plain(annotation));
        }
    }
    Ok(())
}

/// A character reference at the start of `s`: what it stands for (`None`: nothing, `&lrm;`) and how
/// many bytes it used. A `&` that starts no reference is itself.
fn reference(s: &str) -> Result<(Option<String>, usize), String> {
    let Some(semi) = s[1..].find(';').map(|i| i + 1).filter(|&i| i <= 12) else {
        return Ok((Some("&".into()), 1));
    };
    let name = &s[1..semi];
    let text = match name {
        "amp" => Some("&".to_owned()),
        "lt" => Some("<".to_owned()),
        "gt" => Some(">".to_owned()),
        "nbsp" => Some(" ".to_owned()),
        "lrm" | "rlm" => None,
        n if n.starts_with('#') => {
            let code = match n[1..].strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => n[1..].parse().ok(),
            };
            Some(
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("&{n}; is not a character"))?
                    .to_string(),
            )
        }
        n if n.chars().all(|c| c.is_ascii_alphanumeric()) => {
            return Err(format!(
                "&{n}; is not a character reference WebVTT knows (&amp; &lt; &gt; &nbsp;)"
            ));
        }
        _ => return Ok((Some("&".into()), 1)),
    };
    Ok((text, semi + 1))
}

/// A `<v>` annotation's references, decoded (it cannot hold tags).
fn unescape_plain(s: &str) -> String {
    let mut speaker = None;
    cue_text(s, &mut speaker).unwrap_or_else(|_| s.to_owned())
}

/// One line of SRT text as plain text.
fn srt_text(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        let next = rest.find(['<', '{']);
        let Some(i) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let close = if rest.starts_with('<') { '>' } else { '}' };
        let is_markup = rest.find(close).is_some_and(|end| {
            let inner = rest[1..end].trim_start_matches('/').to_ascii_lowercase();
            if close == '}' {
                inner.starts_with('\\')
            } else {
                matches!(inner.as_str(), "b" | "i" | "u") || inner.starts_with("font")
            }
        });
        if is_markup {
            rest = &rest[rest.find(close).expect("found above") + 1..];
        } else {
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    const GOOD: &str = "\u{FEFF}WEBVTT - ABE interview of W1\r\nKind: captions\r\n\r\nNOTE made by the OIC\r\nsecond line\r\n\r\nSTYLE\r\n::cue { color: yellow }\r\n\r\n1\r\n00:01.000 --> 00:04.000 line:90% align:center\r\n<v DC Shaw>Tell me what <b>happened</b> &amp; when.\r\n\r\nq2\r\n00:00:04.500 --> 00:00:09.250\r\n<v.loud Witness 1>I was at <i>home</i>.<00:06.000> All &lt;night&gt;.&lrm;\r\nSecond line\r\n\r\n00:10.000 --> 00:11.000\r\n<c.x></c>\r\n\r\n01:00:00.000 --> 01:00:01.000\r\nLate &#x41;&#66; &c\r\n";

    #[test]
    fn reads_webvtt_with_its_own_markup_and_keeps_the_words() {
        let t = parse(GOOD, None).unwrap();
        let c = t.cues();
        assert_eq!(c.len(), 3, "the empty cue is skipped: {c:?}");
        assert_eq!((c[0].start(), c[0].end()), (ms(1000), ms(4000)));
        assert_eq!(c[0].speaker(), Some("DC Shaw"));
        assert_eq!(c[0].text(), "Tell me what happened & when.");
        assert_eq!(c[1].speaker(), Some("Witness 1"));
        assert_eq!(c[1].text(), "I was at home. All <night>.\nSecond line");
        assert_eq!(c[2].start(), ms(3_600_000));
        assert_eq!(c[2].text(), "Late AB &c");
    }

    #[test]
    fn what_it_writes_it_reads_back() {
        let t = parse(GOOD, None).unwrap();
        let again = parse(&to_vtt(&t), None).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn every_refusal_names_its_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("WEBVTTX\n", 1, "starts with the line WEBVTT"),
            ("1\n00:00:01,000 --> 00:00:02,000\nsrt\n", 1, "WEBVTT"),
            (
                "WEBVTT\n\n00:01.000 -> 00:02.000\nx\n",
                3,
                "expected a cue's timing",
            ),
            ("WEBVTT\n\n00:01.000 --> 00:61.000\nx\n", 3, "not a time"),
            ("WEBVTT\n\n00:01.000 --> 1:02.000\nx\n", 3, "not a time"),
            ("WEBVTT\n\n0:00:01.000 --> 00:02.000\nx\n", 3, "not a time"),
            (
                "WEBVTT\n\n00:02.000 --> 00:01.000\nx\n",
                3,
                "after the start",
            ),
            (
                "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n<script>alert(1)</script>\n",
                5,
                "<script> is not WebVTT markup",
            ),
            (
                "WEBVTT\n\n00:01.000 --> 00:02.000\n<font color=red>x</font>\n",
                4,
                "not WebVTT markup",
            ),
            (
                "WEBVTT\n\n00:01.000 --> 00:02.000\na < b\n",
                4,
                "'<' with no '>'",
            ),
            ("WEBVTT\n\n00:01.000 --> 00:02.000\n&copy; x\n", 4, "&copy;"),
            (
                "WEBVTT\n\n00:01.000 --> 00:02.000\nsafe\u{202E}gpj.exe\n",
                3,
                "invisible character U+202E",
            ),
            (
                "WEBVTT\n\n00:01.000 --> 00:02.000\n&#x202E;x\n",
                3,
                "U+202E",
            ),
            (
                "WEBVTT\n\n00:05.000 --> 00:06.000\nb\n\n00:01.000 --> 00:02.000\na\n",
                6,
                "in order",
            ),
            (
                "WEBVTT\n\n00:01.000 --> 00:02.000\na\n00:03.000 --> 00:04.000\nb\n",
                5,
                "-->",
            ),
            ("WEBVTT\n\nNOTE nothing else\n", 0, "no cues"),
        ];
        for (text, line, words) in cases {
            let e = parse(text, None).unwrap_err();
            assert_eq!(e.line, *line, "{text:?}: {e}");
            assert!(e.to_string().contains(words), "{text:?}: {e}");
        }
        let long = "WEBVTT\n\n00:01.000 --> 00:02.000\na\n\n00:09.000 --> 00:12.500\nlate\n";
        let e = parse(long, Some(ms(10_000))).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.reason.contains("past the end of the recording"), "{e}");
        assert!(parse(long, Some(ms(11_600))).is_ok());
        let huge = format!("WEBVTT\n\n{}", "x".repeat(MAX_TRANSCRIPT_BYTES as usize));
        assert_eq!(parse(&huge, None).unwrap_err().line, 0);
    }

    #[test]
    fn srt_is_read_with_its_markup_dropped_and_written_as_webvtt() {
        let srt = "1\r\n00:00:01,000 --> 00:00:04,000\r\n<i>Where were you?</i>\r\n\r\n2\r\n00:00:04,500 --> 00:00:09,250 X1:10 X2:20\r\n{\\an8}<font color=\"#ff0\">At home</font> & 3 < 4\r\n\r\n";
        let t = parse_srt(srt, Some(ms(10_000))).unwrap();
        assert_eq!(t.cues()[0].text(), "Where were you?");
        assert_eq!(t.cues()[1].text(), "At home & 3 < 4");
        assert_eq!(t.cues()[1].end(), ms(9250));
        let vtt = to_vtt(&t);
        assert!(vtt.contains("00:00:04.500 --> 00:00:09.250"), "{vtt}");
        assert!(vtt.contains("At home &amp; 3 &lt; 4"), "{vtt}");
        assert_eq!(parse(&vtt, None).unwrap(), t);
        let e = parse_srt("1\n00:00:01,000 --> 00:00:02,000\na\n\nx\n", None).unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        let e = parse_srt("1\n00:00:01 --> 00:00:02,000\na\n", None).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }
}
