//! Transcripts of recordings (an ABE interview's, a police interview's ROTI, a 999 call's): cues of
//! text at times of the recording, and the rules for showing them.
//!
//! A transcript travels as its own verified blob (WebVTT) with its own restriction: under
//! R v Popescu a bench gets an ABE transcript only for good reason, so who may read it along is
//! decided apart from who may see the recording. Captions on a screen need both: the screen shows
//! the recording, and the transcript's restriction allows the screen (`Presentation::set_captions`).
//!
//! The text format is parsed at the edge (`courtdeck-store::webvtt`); this module holds the checked
//! result.

use std::time::Duration;

use crate::exhibit::{Clip, InvalidValue, Restriction, Sha256Digest};

/// The most cues a transcript may have (a day-long interview at one cue every two seconds).
pub const MAX_CUES: usize = 50_000;

/// The most characters one cue's text may have: a caption is read at a glance.
pub const MAX_CUE_CHARS: usize = 1_000;

/// One cue: a stretch of the recording and what is said in it, by whom if the transcript says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    start: Duration,
    end: Duration,
    speaker: Option<String>,
    text: String,
}

impl Cue {
    /// A cue from `start` to `end` (exclusive); `text` is plain text, lines separated by `\n`.
    pub fn new(
        start: Duration,
        end: Duration,
        speaker: Option<String>,
        text: &str,
    ) -> Result<Cue, InvalidValue> {
        if start >= end {
            return Err(InvalidValue::new(
                "cue",
                format!(
                    "it starts at {} and ends at {}: the end must be after the start",
                    clock(start),
                    clock(end)
                ),
            ));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(InvalidValue::new("cue", "it has no text"));
        }
        if text.chars().count() > MAX_CUE_CHARS {
            return Err(InvalidValue::new(
                "cue",
                format!("its text is longer than {MAX_CUE_CHARS} characters"),
            ));
        }
        if let Some(c) = text
            .chars()
            .chain(speaker.iter().flat_map(|s| s.chars()))
            .find(|c| (c.is_control() && *c != '\n') || is_format_char(*c))
        {
            return Err(InvalidValue::new(
                "cue",
                format!(
                    "its text holds the invisible character U+{:04X}, which could hide or reorder what is shown",
                    c as u32
                ),
            ));
        }
        let speaker = speaker
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if speaker.as_ref().is_some_and(|s| s.chars().count() > 80) {
            return Err(InvalidValue::new(
                "cue",
                "its speaker's name is longer than 80 characters",
            ));
        }
        Ok(Cue {
            start,
            end,
            speaker,
            text: text.to_owned(),
        })
    }

    pub fn start(&self) -> Duration {
        self.start
    }

    pub fn end(&self) -> Duration {
        self.end
    }

    pub fn speaker(&self) -> Option<&str> {
        self.speaker.as_deref()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// What a screen shows: the speaker's name, a colon, then the words.
    pub fn caption(&self) -> String {
        match &self.speaker {
            Some(s) => format!("{s}: {}", self.text),
            None => self.text.clone(),
        }
    }
}

/// Unicode's format characters (category Cf) that can hide or reorder text: bidi controls,
/// zero-width characters, the BOM. The store refuses them in every displayed string for the same
/// reason.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `h:mm:ss.mmm`, as the surface and messages say a time.
pub fn clock(d: Duration) -> String {
    let ms = d.as_millis();
    format!(
        "{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// A recording's transcript: cues in order of their start (they may overlap, as two speakers do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    cues: Vec<Cue>,
}

impl Transcript {
    /// Refused when empty, too long, or out of order (WebVTT's own rule: each cue starts at or after
    /// the one before). The error names the cue, counted from 1.
    pub fn new(cues: Vec<Cue>) -> Result<Transcript, (usize, InvalidValue)> {
        if cues.is_empty() {
            return Err((0, InvalidValue::new("transcript", "it has no cues")));
        }
        if cues.len() > MAX_CUES {
            return Err((
                MAX_CUES + 1,
                InvalidValue::new("transcript", format!("it has more than {MAX_CUES} cues")),
            ));
        }
        for (i, pair) in cues.windows(2).enumerate() {
            if pair[1].start < pair[0].start {
                return Err((
                    i + 2,
                    InvalidValue::new(
                        "cue",
                        format!(
                            "it starts at {}, before the cue above it ({}): cues must be in order",
                            clock(pair[1].start),
                            clock(pair[0].start)
                        ),
                    ),
                ));
            }
        }
        Ok(Transcript { cues })
    }

    pub fn cues(&self) -> &[Cue] {
        &self.cues
    }

    /// The cue on screen at `at`: of the cues that span it, the one that started last (the newest
    /// words). `None` between cues.
    pub fn cue_at(&self, at: Duration) -> Option<usize> {
        // Cues are ordered by start: the candidates are those starting at or before `at`.
        let started = self.cues.partition_point(|c| c.start <= at);
        (0..started).rev().find(|&i| self.cues[i].end > at)
    }

    /// Every cue must lie within a recording `duration` long. A cue may end up to a second after it:
    /// the recording's length is measured by a demuxer and a transcript's times by a person.
    pub fn check_within(&self, duration: Duration) -> Result<(), (usize, InvalidValue)> {
        let slack = Duration::from_secs(1);
        for (i, c) in self.cues.iter().enumerate() {
            if c.start >= duration || c.end > duration + slack {
                return Err((
                    i + 1,
                    InvalidValue::new(
                        "cue",
                        format!(
                            "it runs from {} to {}, past the end of the recording ({})",
                            clock(c.start),
                            clock(c.end),
                            clock(duration)
                        ),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A designation: cues `first` to `last` (indexes, inclusive) played as a clip, from the first's
    /// start to the latest end among them.
    pub fn designation(&self, first: usize, last: usize) -> Result<Clip, InvalidValue> {
        if first > last || last >= self.cues.len() {
            return Err(InvalidValue::new(
                "designation",
                format!(
                    "lines {} to {} are not lines of this transcript (1 to {})",
                    first + 1,
                    last + 1,
                    self.cues.len()
                ),
            ));
        }
        let start = self.cues[first].start;
        let end = self.cues[first..=last]
            .iter()
            .map(|c| c.end)
            .max()
            .expect("at least one cue");
        let label = if first == last {
            format!("Line {}", first + 1)
        } else {
            format!("Lines {}-{}", first + 1, last + 1)
        };
        Clip::new(&label, start, end)
    }

    /// The cues whose text or speaker contains `query`, ignoring case.
    pub fn search(&self, query: &str) -> Vec<usize> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return Vec::new();
        }
        self.cues
            .iter()
            .enumerate()
            .filter(|(_, c)| c.caption().to_lowercase().contains(&query))
            .map(|(i, _)| i)
            .collect()
    }
}

/// An exhibit's transcript as its manifest names it: a second blob, verified like the recording,
/// with its own restriction (`bench_only` unless the producer says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscriptRef {
    pub sha256: Sha256Digest,
    pub size: u64,
    pub restriction: Restriction,
}

/// The largest transcript blob accepted (a day-long interview is well under a megabyte).
pub const MAX_TRANSCRIPT_BYTES: u64 = 8 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn cue(a: u64, b: u64, text: &str) -> Cue {
        Cue::new(ms(a), ms(b), None, text).unwrap()
    }

    #[test]
    fn the_cue_at_a_time_is_the_newest_that_spans_it() {
        let t = Transcript::new(vec![
            cue(0, 1000, "one"),
            cue(1000, 3000, "two"),
            cue(2000, 2500, "overlap"),
            cue(4000, 5000, "four"),
        ])
        .unwrap();
        assert_eq!(t.cue_at(ms(0)), Some(0));
        assert_eq!(t.cue_at(ms(999)), Some(0));
        assert_eq!(t.cue_at(ms(1000)), Some(1), "the end is exclusive");
        assert_eq!(t.cue_at(ms(2200)), Some(2));
        assert_eq!(t.cue_at(ms(2600)), Some(1), "back to the longer cue");
        assert_eq!(t.cue_at(ms(3500)), None, "between cues");
        assert_eq!(t.cue_at(ms(4999)), Some(3));
        assert_eq!(t.cue_at(ms(5000)), None);
    }

    #[test]
    fn cues_must_be_in_order_and_inside_the_recording() {
        let (n, e) = Transcript::new(vec![cue(2000, 3000, "b"), cue(1000, 1500, "a")]).unwrap_err();
        assert_eq!(n, 2);
        assert!(e.reason.contains("in order"), "{e}");
        let t = Transcript::new(vec![cue(0, 1000, "a"), cue(9000, 10_900, "b")]).unwrap();
        assert!(
            t.check_within(ms(10_000)).is_ok(),
            "within the second's slack"
        );
        let (n, e) = t.check_within(ms(9_000)).unwrap_err();
        assert_eq!(n, 2);
        assert!(e.reason.contains("past the end"), "{e}");
        assert!(Transcript::new(Vec::new()).is_err());
    }

    #[test]
    fn a_cue_needs_text_and_a_positive_length_and_no_hidden_characters() {
        assert!(Cue::new(ms(5), ms(5), None, "x").is_err());
        assert!(Cue::new(ms(0), ms(5), None, "  ").is_err());
        assert!(Cue::new(ms(0), ms(5), None, &"x".repeat(MAX_CUE_CHARS + 1)).is_err());
        assert!(Cue::new(ms(0), ms(5), None, "safe\u{202E}txt").is_err());
        assert!(Cue::new(ms(0), ms(5), Some("A\u{200B}".into()), "x").is_err());
        assert!(Cue::new(ms(0), ms(5), None, "bell\u{7}").is_err());
        let c = Cue::new(ms(0), ms(5), Some(" DC Shaw ".into()), "Two\nlines").unwrap();
        assert_eq!(c.caption(), "DC Shaw: Two\nlines");
    }

    #[test]
    fn a_designation_is_a_clip_over_its_cues() {
        let t = Transcript::new(vec![
            cue(1000, 2000, "a"),
            cue(1500, 4000, "b"),
            cue(3000, 3500, "c"),
        ])
        .unwrap();
        let clip = t.designation(0, 2).unwrap();
        assert_eq!((clip.start(), clip.end()), (ms(1000), ms(4000)));
        assert_eq!(clip.label(), "Lines 1-3");
        assert_eq!(t.designation(1, 1).unwrap().label(), "Line 2");
        assert!(t.designation(2, 1).is_err());
        assert!(t.designation(0, 3).is_err());
    }

    #[test]
    fn search_ignores_case_and_reads_the_speaker() {
        let t = Transcript::new(vec![
            Cue::new(ms(0), ms(1), Some("Officer".into()), "Where were you?").unwrap(),
            cue(1, 2, "At HOME all night"),
        ])
        .unwrap();
        assert_eq!(t.search("home"), vec![1]);
        assert_eq!(t.search("officer"), vec![0]);
        assert!(t.search("  ").is_empty());
        assert_eq!(clock(ms(3_723_004)), "1:02:03.004");
    }
}
