//! What is on the courtroom's screens: the pure state machine behind the control surface.
//!
//! Per exhibit (and per live source, `Shown`): `idle -> prerolled (cued: paused on its first frame, not visible) -> presented (on air:
//! visible on chosen screens, playing or paused) -> withdrawn (its screens back to black)`. One exhibit
//! is on air at a time and another may be cued behind it, so that Present switches within a frame.
//!
//! Blanking is per screen and orthogonal: a blanked screen stays black until it is unblanked, even when a
//! new exhibit is presented. A playout crash resets to idle (screens on the standby slate, blanked ones
//! black), and nothing comes back by itself.
//!
//! A live source (`Shown::Live`) is shown under the same rules, narrowed to the roles the court gave
//! it (`plan_live_route`). It has no timeline (no pause, seek, speed, pages, captions or side by
//! side); instead it can be **held**: frozen on a frame, which zoom and strokes then work on.

use std::collections::BTreeSet;
use std::fmt;

use crate::annotation::{Stroke, check_strokes};
use crate::exhibit::{Exhibit, ExhibitRef, InvalidValue, Restriction};
use crate::live::{LiveSource, SourceId, plan_live_route};
use crate::routing::{RouteRefused, Screen, ScreenId, plan_route};

/// What is cued or on air: an exhibit of the hearing, or a live source the court configured. Its
/// text form (`JS/3`, `live:defence-laptop`) is what the surface, the CLI and playout call it; the
/// two can never be confused (an exhibit reference has a slash, a source id never does).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shown {
    Exhibit(ExhibitRef),
    Live(SourceId),
}

impl Shown {
    pub const LIVE_PREFIX: &'static str = "live:";

    /// `live:ID` is a live source; anything else must be an exhibit reference.
    pub fn parse(s: &str) -> Result<Shown, InvalidValue> {
        match s.strip_prefix(Self::LIVE_PREFIX) {
            Some(id) => SourceId::parse(id).map(Shown::Live),
            None => ExhibitRef::parse(s).map(Shown::Exhibit),
        }
    }

    pub fn exhibit(&self) -> Option<&ExhibitRef> {
        match self {
            Shown::Exhibit(r) => Some(r),
            Shown::Live(_) => None,
        }
    }

    pub fn live(&self) -> Option<&SourceId> {
        match self {
            Shown::Live(id) => Some(id),
            Shown::Exhibit(_) => None,
        }
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Exhibit(r) => r.fmt(f),
            Shown::Live(id) => write!(f, "{}{id}", Self::LIVE_PREFIX),
        }
    }
}

impl From<ExhibitRef> for Shown {
    fn from(r: ExhibitRef) -> Shown {
        Shown::Exhibit(r)
    }
}

impl PartialEq<ExhibitRef> for Shown {
    fn eq(&self, other: &ExhibitRef) -> bool {
        self.exhibit() == Some(other)
    }
}

/// What a Present or a mark acts on, as the hearing's manifest or the configuration describes it.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Exhibit(&'a Exhibit),
    Live(&'a LiveSource),
}

impl Item<'_> {
    pub fn shown(&self) -> Shown {
        match self {
            Item::Exhibit(e) => Shown::Exhibit(e.reference.clone()),
            Item::Live(s) => Shown::Live(s.id.clone()),
        }
    }

    pub fn restriction(&self) -> Restriction {
        match self {
            Item::Exhibit(e) => e.restriction,
            Item::Live(s) => s.restriction,
        }
    }

    fn plan_route(
        &self,
        requested: &BTreeSet<ScreenId>,
        screens: &[Screen],
    ) -> Result<BTreeSet<ScreenId>, RouteRefused> {
        match self {
            Item::Exhibit(e) => plan_route(e.restriction, requested, screens),
            Item::Live(s) => plan_live_route(s, requested, screens),
        }
    }
}

impl<'a> From<&'a Exhibit> for Item<'a> {
    fn from(e: &'a Exhibit) -> Item<'a> {
        Item::Exhibit(e)
    }
}

impl<'a> From<&'a LiveSource> for Item<'a> {
    fn from(s: &'a LiveSource) -> Item<'a> {
        Item::Live(s)
    }
}
use crate::zoom::{Zoom, ZoomStep};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Playing,
    Paused,
}

/// The speed the exhibit on air plays at, in hundredths of its recorded speed: 25 (a quarter) to 200
/// (twice), pitch kept. A new exhibit starts at 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Speed(u16);

impl Speed {
    pub const NORMAL: Speed = Speed(100);
    pub const SLOWEST: Speed = Speed(25);
    pub const FASTEST: Speed = Speed(200);

    /// The speed for a rate (1.0 = as recorded), or `None` outside a quarter to twice.
    pub fn from_rate(rate: f64) -> Option<Speed> {
        let hundredths = (rate * 100.0).round();
        (f64::from(Self::SLOWEST.0)..=f64::from(Self::FASTEST.0))
            .contains(&hundredths)
            .then_some(Speed(hundredths as u16))
    }

    pub fn rate(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl Default for Speed {
    fn default() -> Self {
        Speed::NORMAL
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnAir {
    pub shown: Shown,
    pub screens: BTreeSet<ScreenId>,
    pub transport: Transport,
    /// The part of the picture shown; kept while the same exhibit is re-routed.
    pub zoom: Zoom,
    /// Kept while the same exhibit is re-routed; a new exhibit starts at `Speed::NORMAL`.
    pub speed: Speed,
    /// The page shown, from 1 (a document; every other kind stays at 1). Kept while re-routed.
    pub page: u32,
    /// The telestrator's strokes on the picture (points of the picture). Anything that changes the
    /// frame on air (play, seek, step, a page turn) or takes it off a screen (blank) clears them.
    pub strokes: Vec<Stroke>,
    /// Screens showing the transcript's captions: always screens the exhibit is on that its
    /// transcript's restriction allows. Blank takes a screen's captions down; re-routing keeps those
    /// on screens still routed.
    pub captions: BTreeSet<ScreenId>,
    /// A second recording shown beside this one on the same screens, in step with it.
    pub beside: Option<Beside>,
    /// A live source frozen on a frame (`Presentation::hold`); always false for an exhibit.
    pub held: bool,
}

impl OnAir {
    /// The exhibit on air, or `None` for a live source.
    pub fn exhibit(&self) -> Option<&ExhibitRef> {
        self.shown.exhibit()
    }

    /// The restriction its screens must allow: the exhibit's own (`restriction`), or the stricter of
    /// it and the one beside it.
    pub fn restriction(&self, own: Restriction) -> Restriction {
        self.beside.as_ref().map_or(own, |b| b.restriction.max(own))
    }
}

/// The furthest apart two recordings' clocks may be set side by side: a day (a DVR left on the wrong
/// date is a matter for the evidence, not for lining up).
pub const MAX_BESIDE_OFFSET_MS: i64 = 24 * 60 * 60 * 1000;

/// Side by side: a second recording (another CCTV angle, body-worn video) shown beside the one on air,
/// composited on the same screens and played by the same transport. The one on air leads: its
/// position is the program's, its sound is the room's, its transcript is the captions'; the one beside
/// shows its own `position + offset_ms` (negative: it started later, and is black until it starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beside {
    pub exhibit: ExhibitRef,
    pub restriction: Restriction,
    pub offset_ms: i64,
}

/// A tap on a document's page controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageTurn {
    Next,
    Previous,
    /// Page N, counted from 1.
    To(u32),
}

impl PageTurn {
    /// `next`, `previous`, or a page number from 1.
    pub fn parse(s: &str) -> Result<PageTurn, crate::InvalidValue> {
        match s.trim() {
            "next" => Ok(PageTurn::Next),
            "previous" => Ok(PageTurn::Previous),
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .map(PageTurn::To)
                .ok_or_else(|| {
                    crate::InvalidValue::new(
                        "page",
                        format!("{n:?} is not next, previous or a page number from 1"),
                    )
                }),
        }
    }
}

/// The state of one exhibit, as the control surface shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresentationState {
    Idle,
    Prerolled,
    Presented(Transport),
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentationError {
    #[error("{0}")]
    Refused(#[from] RouteRefused),
    #[error("nothing is selected: choose an exhibit first")]
    NothingSelected,
    #[error("nothing is on the screens")]
    NothingPresented,
    #[error("choose at least one screen to present to")]
    NoScreens,
    #[error("the exhibit on the screens is not a document: it has no pages to turn")]
    NotADocument,
    #[error("there is no page {page}: the document has {pages} pages")]
    NoSuchPage { page: u32, pages: u32 },
    #[error("{0}")]
    Annotation(String),
    #[error("exhibit {0} has no transcript, so it has no captions")]
    NoTranscript(String),
    #[error("captions go only on screens showing the exhibit, and it is not on {}", .0.join(", "))]
    CaptionsOffScreen(Vec<String>),
    #[error("the transcript is {restriction} and its captions may not be shown on {}", screens.join(", "))]
    CaptionsRefused {
        restriction: &'static str,
        screens: Vec<String>,
    },
    #[error("{0}")]
    SideBySide(String),
    #[error(
        "a live picture has no timeline: it cannot be paused, sought or slowed (Hold freezes it)"
    )]
    LiveHasNoTimeline,
    #[error("only a live picture can be held: pause a recording instead")]
    NotLive,
    #[error("exhibit {exhibit} is {restriction} and may not be shown side by side on {}", screens.join(", "))]
    BesideRefused {
        exhibit: String,
        restriction: &'static str,
        screens: Vec<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presentation {
    cued: Option<Shown>,
    on_air: Option<OnAir>,
    withdrawn: Option<Shown>,
    blanked: BTreeSet<ScreenId>,
}

impl Presentation {
    pub fn cued(&self) -> Option<&Shown> {
        self.cued.as_ref()
    }

    pub fn on_air(&self) -> Option<&OnAir> {
        self.on_air.as_ref()
    }

    fn on_air_mut(&mut self) -> Result<&mut OnAir, PresentationError> {
        self.on_air
            .as_mut()
            .ok_or(PresentationError::NothingPresented)
    }

    pub fn blanked(&self) -> &BTreeSet<ScreenId> {
        &self.blanked
    }

    pub fn state_of(&self, exhibit: &Shown) -> PresentationState {
        match &self.on_air {
            Some(on) if &on.shown == exhibit => PresentationState::Presented(on.transport),
            _ if self.cued.as_ref() == Some(exhibit) => PresentationState::Prerolled,
            _ if self.withdrawn.as_ref() == Some(exhibit) => PresentationState::Withdrawn,
            _ => PresentationState::Idle,
        }
    }

    /// What `screen` shows right now: what is on air, unless the screen is blanked or not routed.
    pub fn showing(&self, screen: &ScreenId) -> Option<&Shown> {
        let on = self.on_air.as_ref()?;
        (on.screens.contains(screen) && !self.blanked.contains(screen)).then_some(&on.shown)
    }

    /// Selecting an exhibit or a live source cues it (prerolled, invisible). What is on air stays on
    /// air.
    pub fn select(&mut self, exhibit: impl Into<Shown>) {
        let exhibit = exhibit.into();
        if self.on_air.as_ref().is_some_and(|on| on.shown == exhibit) {
            self.cued = None;
        } else {
            self.cued = Some(exhibit);
        }
    }

    /// Forgets the cued exhibit (it failed to load, or the advocate changed their mind).
    pub fn uncue(&mut self) {
        self.cued = None;
    }

    /// Puts the cued exhibit (or, with nothing cued, the one on air) on `requested` screens, paused on
    /// its first frame; a live source plays. The route is checked against the restriction rule (for
    /// a live source, its roles too) first and refused whole.
    pub fn present<'a>(
        &mut self,
        item: impl Into<Item<'a>>,
        requested: &BTreeSet<ScreenId>,
        screens: &[Screen],
    ) -> Result<&OnAir, PresentationError> {
        let item = item.into();
        let target = match (&self.cued, &self.on_air) {
            (Some(cued), _) => cued.clone(),
            (None, Some(on)) => on.shown.clone(),
            (None, None) => return Err(PresentationError::NothingSelected),
        };
        assert_eq!(target, item.shown(), "present() was given the wrong item");
        if requested.is_empty() {
            return Err(PresentationError::NoScreens);
        }
        // Re-routing what is on air side by side: every screen must be allowed both.
        let beside = match &self.on_air {
            Some(on) if on.shown == target => on.beside.clone(),
            _ => None,
        };
        if let Some(b) = &beside {
            plan_route(b.restriction, requested, screens).map_err(|e| beside_refused(b, e))?;
        }
        let screens = item.plan_route(requested, screens)?;
        let (transport, zoom, speed, page, strokes, captions, held) = match &self.on_air {
            Some(on) if on.shown == target => (
                on.transport,
                on.zoom,
                on.speed,
                on.page,
                on.strokes.clone(),
                on.captions.intersection(&screens).cloned().collect(),
                on.held,
            ),
            _ => (
                // A live picture is live from the moment it is on air.
                match item {
                    Item::Exhibit(_) => Transport::Paused,
                    Item::Live(_) => Transport::Playing,
                },
                Zoom::default(),
                Speed::NORMAL,
                1,
                Vec::new(),
                BTreeSet::new(),
                false,
            ),
        };
        if let Some(previous) = self.on_air.take().filter(|on| on.shown != target) {
            self.withdrawn = Some(previous.shown);
        }
        self.cued = None;
        Ok(self.on_air.insert(OnAir {
            shown: target,
            screens,
            transport,
            zoom,
            speed,
            page,
            strokes,
            captions,
            beside,
            held,
        }))
    }

    /// Freezes the live picture on air on its current frame (`hold`), or lets it run live again.
    /// Releasing changes the frame, so the strokes go; holding twice changes nothing.
    pub fn hold(&mut self, hold: bool) -> Result<(), PresentationError> {
        let on = self.on_air_mut()?;
        if on.shown.live().is_none() {
            return Err(PresentationError::NotLive);
        }
        if on.held && !hold {
            on.strokes.clear();
        }
        on.held = hold;
        Ok(())
    }

    /// Shows `beside` (a second recording, with the offset of its clock) side by side with the
    /// recording on air, on the screens it is on; `None` shows the one on air alone again. Every one of
    /// those screens must be allowed the second exhibit too, or the request is refused whole. A new
    /// exhibit beside it changes the picture's shape, so the zoom goes back to the whole picture;
    /// any change (a new offset too) changes the frame, so the strokes go.
    pub fn set_beside(
        &mut self,
        exhibit: &Exhibit,
        beside: Option<(&Exhibit, i64)>,
        screens: &[Screen],
    ) -> Result<(), PresentationError> {
        let on = self.on_air_mut()?;
        assert_eq!(
            on.shown, exhibit.reference,
            "set_beside() was given the wrong exhibit"
        );
        let Some((other, offset_ms)) = beside else {
            if on.beside.take().is_some() {
                on.zoom = Zoom::default();
                on.strokes.clear();
            }
            return Ok(());
        };
        for e in [exhibit, other] {
            if !e.kind.capabilities().moving_picture {
                return Err(PresentationError::SideBySide(format!(
                    "side by side shows two recordings with pictures, and exhibit {} is {}",
                    e.reference,
                    e.kind.phrase()
                )));
            }
        }
        if other.reference == exhibit.reference {
            return Err(PresentationError::SideBySide(format!(
                "exhibit {} is already on the screens: choose another recording to show beside it",
                exhibit.reference
            )));
        }
        if offset_ms.unsigned_abs() > MAX_BESIDE_OFFSET_MS as u64 {
            return Err(PresentationError::SideBySide(
                "the two clocks may be set at most a day apart".into(),
            ));
        }
        let b = Beside {
            exhibit: other.reference.clone(),
            restriction: other.restriction,
            offset_ms,
        };
        plan_route(other.restriction, &on.screens, screens).map_err(|e| beside_refused(&b, e))?;
        if on
            .beside
            .as_ref()
            .is_none_or(|was| was.exhibit != b.exhibit)
        {
            on.zoom = Zoom::default();
        }
        on.strokes.clear();
        on.beside = Some(b);
        Ok(())
    }

    /// Shows the transcript's captions on `requested` screens and takes them off every other (none:
    /// captions off). Each screen must show the exhibit and be allowed by the *transcript's*
    /// restriction, which is its own (a `bench_only` ABE transcript of a `no_public` interview); the
    /// request is refused whole otherwise, like a route.
    pub fn set_captions(
        &mut self,
        exhibit: &Exhibit,
        requested: &BTreeSet<ScreenId>,
        screens: &[Screen],
    ) -> Result<(), PresentationError> {
        let on = self.on_air_mut()?;
        assert_eq!(
            on.shown, exhibit.reference,
            "set_captions() was given the wrong exhibit"
        );
        if requested.is_empty() {
            on.captions.clear();
            return Ok(());
        }
        let transcript = exhibit
            .transcript
            .ok_or_else(|| PresentationError::NoTranscript(exhibit.reference.to_string()))?;
        let off: Vec<String> = requested
            .difference(&on.screens)
            .map(|id| {
                screens
                    .iter()
                    .find(|s| &s.id == id)
                    .map_or_else(|| id.to_string(), |s| s.label.clone())
            })
            .collect();
        if !off.is_empty() {
            return Err(PresentationError::CaptionsOffScreen(off));
        }
        let allowed =
            plan_route(transcript.restriction, requested, screens).map_err(|e| match e {
                RouteRefused::Restricted {
                    restriction,
                    screens,
                } => PresentationError::CaptionsRefused {
                    restriction,
                    screens,
                },
                other => PresentationError::Refused(other),
            })?;
        on.captions = allowed;
        Ok(())
    }

    /// Puts `strokes` (points of the picture) on the picture on air in place of any before; none
    /// clears them. A recording must be paused, a live picture held: strokes mark a still frame.
    pub fn annotate<'a>(
        &mut self,
        item: impl Into<Item<'a>>,
        strokes: Vec<Stroke>,
    ) -> Result<(), PresentationError> {
        let item = item.into();
        let on = self.on_air_mut()?;
        assert_eq!(
            on.shown,
            item.shown(),
            "annotate() was given the wrong item"
        );
        match item {
            Item::Exhibit(exhibit) => {
                if !exhibit.kind.capabilities().picture {
                    return Err(PresentationError::Annotation(
                        "a sound recording has no picture to draw on".into(),
                    ));
                }
                if exhibit.kind.has_timeline()
                    && on.transport == Transport::Playing
                    && !strokes.is_empty()
                {
                    return Err(PresentationError::Annotation(
                        "pause the recording first: strokes mark a still frame".into(),
                    ));
                }
            }
            Item::Live(_) => {
                if !on.held && !strokes.is_empty() {
                    return Err(PresentationError::Annotation(
                        "hold the live picture first: strokes mark a still frame".into(),
                    ));
                }
            }
        }
        check_strokes(&strokes).map_err(|e| PresentationError::Annotation(e.to_string()))?;
        on.strokes = strokes;
        Ok(())
    }

    /// The frame on air changed (a seek, a step, a clip): its strokes no longer mark anything.
    pub fn frame_changed(&mut self) {
        if let Some(on) = self.on_air.as_mut() {
            on.strokes.clear();
        }
    }

    /// Turns the page of the document on air (`pages` long). The first and last pages do not wrap
    /// around: Next on the last page is refused, so a double tap cannot jump to page 1. Returns the
    /// new page and view; fit width stays fit width from the top of the page, any other zoom goes back
    /// to the whole page.
    pub fn turn_page(
        &mut self,
        turn: PageTurn,
        exhibit: &Exhibit,
    ) -> Result<(u32, Zoom), PresentationError> {
        let on = self.on_air_mut()?;
        assert_eq!(
            on.shown, exhibit.reference,
            "turn_page() was given the wrong exhibit"
        );
        if !exhibit.kind.capabilities().pages {
            return Err(PresentationError::NotADocument);
        }
        let pages = exhibit.pages.len() as u32;
        let page = match turn {
            PageTurn::Next => on.page + 1,
            PageTurn::Previous => on.page.saturating_sub(1),
            PageTurn::To(n) => n,
        };
        if page == 0 || page > pages {
            return Err(PresentationError::NoSuchPage { page, pages });
        }
        if page != on.page {
            on.zoom = on.zoom.for_new_page();
            on.strokes.clear();
        }
        on.page = page;
        Ok((page, on.zoom))
    }

    /// Zooms or pans the picture on air; returns the new view for the playout engine.
    pub fn zoom(&mut self, step: ZoomStep) -> Result<Zoom, PresentationError> {
        let on = self.on_air_mut()?;
        on.zoom = on.zoom.step(step);
        Ok(on.zoom)
    }

    pub fn set_transport(&mut self, transport: Transport) -> Result<(), PresentationError> {
        let on = self.on_air_mut()?;
        if on.shown.live().is_some() {
            return Err(PresentationError::LiveHasNoTimeline);
        }
        if transport == Transport::Playing {
            on.strokes.clear();
        }
        on.transport = transport;
        Ok(())
    }

    pub fn set_speed(&mut self, speed: Speed) -> Result<(), PresentationError> {
        let on = self.on_air_mut()?;
        if on.shown.live().is_some() {
            return Err(PresentationError::LiveHasNoTimeline);
        }
        on.speed = speed;
        Ok(())
    }

    /// Takes what is on air off every screen; they go black. A live source is ended.
    pub fn withdraw(&mut self) -> Result<Shown, PresentationError> {
        let on = self
            .on_air
            .take()
            .ok_or(PresentationError::NothingPresented)?;
        self.withdrawn = Some(on.shown.clone());
        Ok(on.shown)
    }

    pub fn set_blank(&mut self, screen: ScreenId, blank: bool) {
        if blank {
            self.frame_changed();
            if let Some(on) = self.on_air.as_mut() {
                on.captions.remove(&screen);
            }
            self.blanked.insert(screen);
        } else {
            self.blanked.remove(&screen);
        }
    }

    pub fn blank_all(&mut self, screens: &[Screen]) {
        self.frame_changed();
        if let Some(on) = self.on_air.as_mut() {
            on.captions.clear();
        }
        self.blanked.extend(screens.iter().map(|s| s.id.clone()));
    }

    /// The playout process died: nothing is cued or on air, so nothing comes back by itself; the
    /// screens show the standby slate until an advocate presents again. Blanked screens stay blanked
    /// (black): the court chose that, and a restart must not undo it.
    pub fn playout_lost(&mut self) {
        self.cued = None;
        self.on_air = None;
        self.withdrawn = None;
    }
}

fn beside_refused(b: &Beside, e: RouteRefused) -> PresentationError {
    match e {
        RouteRefused::Restricted {
            restriction,
            screens,
        } => PresentationError::BesideRefused {
            exhibit: b.exhibit.to_string(),
            restriction,
            screens,
        },
        other => PresentationError::Refused(other),
    }
}

#[cfg(test)]
mod tests;
