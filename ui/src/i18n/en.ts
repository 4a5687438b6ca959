// English: the reference catalogue. Every key the surface uses is defined here, so a view that names a
// key this file lacks does not type-check; the Welsh catalogue (cy.ts) is checked against these keys.
//
// Format: `errors` holds one headline per error code (the Rust side's `ApiError.message` is shown under
// it as it comes); `messages` holds everything else, keyed `view.what`. `{name}` is a placeholder
// filled by `t(key, { name })`. A message whose words depend on a number is an object of CLDR plural
// forms (`one`, `two`, `few`, `many`, `zero`, with `other` required), chosen by `{count}`.
import type { Catalogue, Message } from "./types";

const messages = {
  "app.productName": "Courtdeck",
  "app.store": "store:",
  "app.storeOnline": "online ●",
  "app.storeOffline": "OFFLINE ✕",
  "app.storeUnknown": "…",
  "app.screens": "screens: {status}",
  "app.todaysList": "Today's list",
  "app.setup": "Setup",
  "app.setupTitle": "The clerk's checks before court",
  "app.blankAll": "BLANK ALL",
  "app.blankAllTitle": "Blank every screen (B)",
  "app.ok": "OK",
  "app.language": "Language",

  "playout.ready": "ready",
  "playout.restarting": "restarting",
  "playout.unavailable": "unavailable",

  "errors.unknownMessage": "Something went wrong. Try again.",

  "today.title": "Today's list",
  "today.refresh": "Refresh",
  "today.loading": "Loading today's list…",
  "today.storeOffline": "Evidence store offline.",
  "today.showingLastCopy": "Showing the last copy of today's list; exhibits already downloaded play as normal.",
  "today.noHearings": "No hearings are listed for {court} today.",
  "today.ready": "● ready",
  "today.verified": { one: "({count} exhibit, verified)", other: "({count} exhibits, verified)" },
  "today.fetching": "◐ fetching {percent}%",
  "today.downloaded": {
    one: "◐ {ready} of {count} exhibit downloaded",
    other: "◐ {ready} of {count} exhibits downloaded",
  },
  "today.unavailable": "unavailable",
  "today.launch": "Launch",

  "setup.title": "Setup checks",
  "setup.running": "Checking… (the screens show a test card)",
  "setup.runAll": "Run all checks",
  "setup.rerunFailed": "Re-run the {count} that did not pass",
  "setup.intro":
    "Before the list starts: each screen shows its name and a test card, the speakers play a tone, and every exhibit of today's list is checked. Takes about a minute.",
  "setup.pass": "✓ Ready for court",
  "setup.warn": "! Ready, with warnings",
  "setup.fail": "✕ Not ready",
  "setup.seconds": "{seconds} s",
  "setup.reportSaved": "Report saved: {path}",

  "restriction.no_public": "No public",
  "restriction.bench_only": "Bench only",

  "screen.notConnected": "not connected",
  "screen.wrongMonitor": "wrong monitor",
  "screen.standby": "standby slate",
  "screen.unavailable": "“exhibit unavailable”",
  "screen.blank": "blank",
  "screen.black": "black",

  "hearing.still": "still",
  "hearing.onAir": "ON AIR",
  "hearing.noPreview": "no preview: {reason}",
  "hearing.whatScreenShows": "What {label} shows",
  "hearing.blank": "Blank",
  "hearing.unblank": "Unblank",
  "hearing.clearSlates": "Clear slates (screens black)",
  "hearing.clearSlatesTitle": "Take the slates down: the screens go black",
  "hearing.presentTo": "Present {ref} to:",
  "hearing.notAllowedHere": "This exhibit may not be shown on this screen",
  "hearing.present": "Present",
  "hearing.presentLoading": "Present (loading…)",
  "hearing.updateScreens": "Update screens",
  "hearing.tapAnExhibit": "Tap an exhibit to get it ready, then tap {present}.",
  "hearing.stepBack": "« −1f",
  "hearing.stepBackTitle": "Back one frame (←)",
  "hearing.play": "▶ Play",
  "hearing.pause": "❚❚ Pause",
  "hearing.playPauseTitle": "Play/pause (Space)",
  "hearing.stepForward": "+1f »",
  "hearing.stepForwardTitle": "Forward one frame (→)",
  "hearing.slower": "Slower (J)",
  "hearing.faster": "Faster (L)",
  "hearing.rate": "{rate}x",
  "hearing.withdraw": "Withdraw",
  "hearing.mute": "Mute",
  "hearing.soundOff": "Sound off",
  "hearing.volume": "Volume",
  "hearing.soundLevel": "Sound level",
  "hearing.position": "Position",
  "hearing.zoomOut": "− Zoom",
  "hearing.zoomOutTitle": "Zoom out",
  "hearing.zoomIn": "+ Zoom",
  "hearing.zoomInTitle": "Zoom in",
  "hearing.panLeft": "Pan left",
  "hearing.panUp": "Pan up",
  "hearing.panDown": "Pan down",
  "hearing.panRight": "Pan right",
  "hearing.wholePicture": "Whole picture",
  "hearing.clips": "Clips:",
} as const satisfies Record<string, Message>;

/** Every key of the surface's messages. */
export type MessageKey = keyof typeof messages;
/** The English messages, with their literal text: what `t()`'s placeholder types are read from. */
export type EnglishMessages = typeof messages;

export const en = {
  language: "en",
  name: "English",
  reviewed: true,
  errors: {
    store_unreachable: "Evidence store offline",
    not_authorised: "Store sign-in needed",
    not_found: "Not found",
    hash_mismatch: "Exhibit failed its check",
    invalid_manifest: "Case details are invalid",
    decoder_missing: "Cannot play this format",
    media_corrupt: "Exhibit file is damaged",
    not_media: "Not a recording or picture",
    media_too_large: "Picture too large to show",
    playback_stalled: "Playback froze and was restarted",
    audio_unavailable: "No sound output",
    restricted_route: "Not allowed on that screen",
    disk_full: "Kiosk disk is full",
    screen_missing: "Screen not connected",
    screen_mismatch: "Wrong monitor on a screen",
    playout_restarting: "Screens restarting",
    playout_unavailable: "Screens unavailable",
    invalid_state: "Not possible now",
    not_cached: "Exhibit not downloaded",
    config_invalid: "Kiosk settings are invalid",
    audit_unavailable: "Custody log unavailable",
    internal: "Something went wrong",
  },
  messages,
} as const satisfies Catalogue & { messages: Record<MessageKey, Message> };
