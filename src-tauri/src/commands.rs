//! Tauri commands: each is one line into the facade. The capability file grants exactly these.

use std::sync::Arc;

use courtdeck_api::json::{
    CheckReportDto, HearingDto, PagePosterDto, StageDto, StrokeDto, TodayDto, TranscriptDto,
    WeekAheadDto,
};
use courtdeck_api::{ApiResult, Courtdeck};
use tauri::State;

type Deck<'a> = State<'a, Arc<Courtdeck>>;

/// A zoom step's name (`ZoomStep` in the generated TypeScript; the facade parses it).
type ZoomStepName = String;

#[tauri::command]
pub async fn today(deck: Deck<'_>) -> ApiResult<TodayDto> {
    deck.today().await
}

/// The next `days` days' hearings and their evidence's readiness; with `prepare`, fetched first.
#[tauri::command]
pub async fn week_ahead(deck: Deck<'_>, days: u32, prepare: bool) -> ApiResult<WeekAheadDto> {
    deck.week_ahead(days, prepare).await
}

/// Every hearing's readiness report of the next `days` days, saved; their paths.
#[tauri::command]
pub async fn save_week_reports(deck: Deck<'_>, days: u32) -> ApiResult<Vec<String>> {
    deck.save_week_reports(days).await
}

/// The exhibit sound level, 0.0 to 1.5.
#[tauri::command]
pub async fn set_volume(deck: Deck<'_>, volume: f64) -> ApiResult<StageDto> {
    deck.set_volume(volume).await
}

/// Zooms or pans the picture on air: `in`, `out`, `left`, `right`, `up`, `down`, `whole`,
/// `fit_width` (a document page's full width).
#[tauri::command]
pub async fn zoom(deck: Deck<'_>, step: ZoomStepName) -> ApiResult<StageDto> {
    deck.zoom(&step).await
}

/// Zooms into the box drawn on the preview, corner `from` to corner `to` (ten-thousandths of it).
#[tauri::command]
pub async fn zoom_to_box(deck: Deck<'_>, from: [u16; 2], to: [u16; 2]) -> ApiResult<StageDto> {
    deck.zoom_to_box(from, to).await
}

/// The telestrator: strokes drawn on the preview (points in ten-thousandths of it) are added to
/// those on the picture on air.
#[tauri::command]
pub async fn annotate(deck: Deck<'_>, strokes: Vec<StrokeDto>) -> ApiResult<StageDto> {
    deck.annotate(strokes).await
}

/// Small pictures of pages of a document, for the page strip.
#[tauri::command]
pub async fn page_posters(
    deck: Deck<'_>,
    reference: String,
    pages: Vec<u32>,
) -> ApiResult<Vec<PagePosterDto>> {
    deck.page_posters(&reference, pages).await
}

/// Keeps the marked picture on air as a new still exhibit of the hearing.
#[tauri::command]
pub async fn keep_marked(deck: Deck<'_>) -> ApiResult<HearingDto> {
    deck.keep_marked().await
}

/// Takes every stroke off the picture on air.
#[tauri::command]
pub async fn clear_annotations(deck: Deck<'_>) -> ApiResult<StageDto> {
    deck.clear_annotations().await
}

/// The transcript of an exhibit of the open hearing: its cues, and who may read it along.
#[tauri::command]
pub async fn transcript(deck: Deck<'_>, reference: String) -> ApiResult<TranscriptDto> {
    deck.transcript(&reference).await
}

/// The transcript's captions on `screens` of the recording on air (none: off).
#[tauri::command]
pub async fn set_captions(deck: Deck<'_>, screens: Vec<String>) -> ApiResult<StageDto> {
    deck.set_captions(screens).await
}

/// Plays lines `first` to `last` (from 1) of the transcript of the recording on air, as a clip.
#[tauri::command]
pub async fn play_designation(deck: Deck<'_>, first: usize, last: usize) -> ApiResult<StageDto> {
    deck.play_designation(first, last).await
}

/// Shows `exhibit` side by side with the recording on air, its clock `offset_ms` ahead (none: alone).
#[tauri::command]
pub async fn set_beside(
    deck: Deck<'_>,
    exhibit: Option<String>,
    offset_ms: i64,
) -> ApiResult<StageDto> {
    deck.set_beside(exhibit.as_deref(), offset_ms).await
}

/// Turns the page of the document on air: `next`, `previous`, or a page number from 1.
#[tauri::command]
pub async fn turn_page(deck: Deck<'_>, to: String) -> ApiResult<StageDto> {
    deck.turn_page(&to).await
}

#[tauri::command]
pub async fn set_mute(deck: Deck<'_>, mute: bool) -> ApiResult<StageDto> {
    deck.set_mute(mute).await
}

/// Confidence thumbnails of what each screen shows, while the hearing view is open.
#[tauri::command]
pub async fn set_thumbnails(deck: Deck<'_>, enabled: bool) -> ApiResult<()> {
    deck.set_thumbnails(enabled).await
}

/// The clerk's setup checks; `only` re-runs the named ones (what failed).
#[tauri::command]
pub async fn run_checks(deck: Deck<'_>, only: Option<Vec<String>>) -> ApiResult<CheckReportDto> {
    deck.run_checks(only).await
}

#[tauri::command]
pub async fn launch(deck: Deck<'_>, case_id: String) -> ApiResult<HearingDto> {
    deck.launch(&case_id).await
}

#[tauri::command]
pub async fn hearing(deck: Deck<'_>) -> ApiResult<Option<HearingDto>> {
    deck.hearing().await
}

#[tauri::command]
pub async fn stage(deck: Deck<'_>) -> ApiResult<StageDto> {
    Ok(deck.stage().await)
}

#[tauri::command]
pub async fn select(deck: Deck<'_>, reference: String) -> ApiResult<StageDto> {
    deck.select(&reference).await
}

#[tauri::command]
pub async fn present(deck: Deck<'_>, screens: Vec<String>) -> ApiResult<StageDto> {
    deck.present(&screens).await
}

#[tauri::command]
pub async fn hold(deck: Deck<'_>, hold: bool) -> ApiResult<StageDto> {
    deck.hold(hold).await
}

#[tauri::command]
pub async fn play(deck: Deck<'_>) -> ApiResult<StageDto> {
    deck.play().await
}

#[tauri::command]
pub async fn pause(deck: Deck<'_>) -> ApiResult<StageDto> {
    deck.pause().await
}

#[tauri::command]
pub async fn seek(deck: Deck<'_>, position_ms: u64) -> ApiResult<StageDto> {
    deck.seek(position_ms).await
}

#[tauri::command]
pub async fn step(deck: Deck<'_>, frames: i32) -> ApiResult<StageDto> {
    deck.step(frames).await
}

#[tauri::command]
pub async fn set_rate(deck: Deck<'_>, rate: f64) -> ApiResult<StageDto> {
    deck.set_rate(rate).await
}

#[tauri::command]
pub async fn play_clip(deck: Deck<'_>, label: String) -> ApiResult<StageDto> {
    deck.play_clip(&label).await
}

#[tauri::command]
pub async fn blank(deck: Deck<'_>, screen: String, blank: bool) -> ApiResult<StageDto> {
    deck.blank(&screen, blank).await
}

#[tauri::command]
pub async fn blank_all(deck: Deck<'_>) -> ApiResult<StageDto> {
    deck.blank_all().await
}

#[tauri::command]
pub async fn withdraw(deck: Deck<'_>) -> ApiResult<StageDto> {
    deck.withdraw().await
}
