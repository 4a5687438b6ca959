// Cymraeg: the Welsh catalogue of the control surface.
//
// DRAFT, AWAITING REVIEW. This catalogue was machine-drafted and has not yet been reviewed by a
// Welsh-language translator; `reviewed: false` below says so, and stays false until a translator (ideally
// one who knows HMCTS's Welsh terminology for the courtroom) has read every string and signed it off.
// Terms worth a reviewer's particular attention: "arddangosyn" (exhibit), "storfa dystiolaeth"
// (evidence store), "cofnod gwarchodaeth" (custody log), "gwagio" (to blank a screen), "cerdyn aros"
// (standby slate) and "ciosg" (kiosk).
//
// The keys are English's (en.ts). A message left out here falls back to English on the surface; the
// error headlines may not be left out (the type requires one per error code). Numerals take the
// singular noun in Welsh ("3 arddangosyn"), so most counted messages need no plural forms.
import type { Catalogue } from "./types";

export const cy: Catalogue = {
  language: "cy",
  name: "Cymraeg",
  reviewed: false,
  errors: {
    store_unreachable: "Storfa dystiolaeth all-lein",
    not_authorised: "Angen mewngofnodi i'r storfa",
    not_found: "Heb ei ganfod",
    hash_mismatch: "Methodd yr arddangosyn ei wiriad",
    invalid_manifest: "Mae manylion yr achos yn annilys",
    decoder_missing: "Methu chwarae'r fformat hwn",
    media_corrupt: "Mae ffeil yr arddangosyn wedi'i difrodi",
    not_media: "Nid yw'n recordiad nac yn llun",
    media_too_large: "Llun rhy fawr i'w ddangos",
    playback_stalled: "Rhewodd y chwarae ac fe'i hailgychwynnwyd",
    audio_unavailable: "Dim allbwn sain",
    restricted_route: "Ni chaniateir ar y sgrin honno",
    disk_full: "Mae disg y ciosg yn llawn",
    screen_missing: "Sgrin heb ei chysylltu",
    screen_mismatch: "Y monitor anghywir ar sgrin",
    playout_restarting: "Y sgriniau'n ailgychwyn",
    playout_unavailable: "Nid yw'r sgriniau ar gael",
    invalid_state: "Ddim yn bosibl nawr",
    not_cached: "Arddangosyn heb ei lwytho i lawr",
    config_invalid: "Mae gosodiadau'r ciosg yn annilys",
    audit_unavailable: "Cofnod gwarchodaeth ddim ar gael",
    internal: "Aeth rhywbeth o'i le",
  },
  messages: {
    "app.productName": "Courtdeck",
    "app.store": "storfa:",
    "app.storeOnline": "ar-lein ●",
    "app.storeOffline": "ALL-LEIN ✕",
    "app.storeUnknown": "…",
    "app.screens": "sgriniau: {status}",
    "app.todaysList": "Rhestr heddiw",
    "app.setup": "Gosod",
    "app.setupTitle": "Gwiriadau'r clerc cyn y llys",
    "app.blankAll": "GWAGIO'R CYFAN",
    "app.blankAllTitle": "Gwagio pob sgrin (B)",
    "app.ok": "Iawn",
    "app.language": "Iaith",

    "playout.ready": "barod",
    "playout.restarting": "yn ailgychwyn",
    "playout.unavailable": "ddim ar gael",

    "errors.unknownMessage": "Aeth rhywbeth o'i le. Rhowch gynnig arall arni.",

    "today.title": "Rhestr heddiw",
    "today.refresh": "Adnewyddu",
    "today.loading": "Yn llwytho rhestr heddiw…",
    "today.storeOffline": "Storfa dystiolaeth all-lein.",
    "today.showingLastCopy":
      "Yn dangos y copi diwethaf o restr heddiw; mae arddangosion sydd eisoes wedi'u llwytho i lawr yn chwarae fel arfer.",
    "today.noHearings": "Nid oes gwrandawiadau wedi'u rhestru ar gyfer {court} heddiw.",
    "today.ready": "● barod",
    "today.verified": { one: "({count} arddangosyn, wedi'i wirio)", other: "({count} arddangosyn, wedi'u gwirio)" },
    "today.fetching": "◐ yn llwytho {percent}%",
    "today.downloaded": {
      one: "◐ {ready} o {count} arddangosyn wedi'i lwytho i lawr",
      other: "◐ {ready} o {count} arddangosyn wedi'u llwytho i lawr",
    },
    "today.unavailable": "ddim ar gael",
    "today.launch": "Agor",

    "setup.title": "Gwiriadau gosod",
    "setup.running": "Yn gwirio… (mae'r sgriniau'n dangos cerdyn prawf)",
    "setup.runAll": "Rhedeg pob gwiriad",
    "setup.rerunFailed": "Ailredeg y {count} na lwyddodd",
    "setup.intro":
      "Cyn i'r rhestr ddechrau: mae pob sgrin yn dangos ei henw a cherdyn prawf, mae'r seinyddion yn chwarae tôn, a chaiff pob arddangosyn ar restr heddiw ei wirio. Mae'n cymryd tua munud.",
    "setup.pass": "✓ Yn barod i'r llys",
    "setup.warn": "! Yn barod, gyda rhybuddion",
    "setup.fail": "✕ Ddim yn barod",
    "setup.seconds": "{seconds} eiliad",
    "setup.reportSaved": "Adroddiad wedi'i gadw: {path}",

    "restriction.no_public": "Dim i'r cyhoedd",
    "restriction.bench_only": "Y fainc yn unig",

    "screen.notConnected": "heb ei chysylltu",
    "screen.wrongMonitor": "monitor anghywir",
    "screen.standby": "cerdyn aros",
    "screen.unavailable": "“arddangosyn ddim ar gael”",
    "screen.blank": "gwag",
    "screen.black": "du",

    "hearing.still": "llun llonydd",
    "hearing.onAir": "AR YR AWYR",
    "hearing.noPreview": "dim rhagolwg: {reason}",
    "hearing.whatScreenShows": "Yr hyn a ddangosir ar {label}",
    "hearing.blank": "Gwagio",
    "hearing.unblank": "Dad-wagio",
    "hearing.clearSlates": "Clirio'r cardiau (sgriniau'n ddu)",
    "hearing.clearSlatesTitle": "Tynnu'r cardiau i lawr: mae'r sgriniau'n troi'n ddu",
    "hearing.presentTo": "Cyflwyno {ref} i:",
    "hearing.notAllowedHere": "Ni chaniateir dangos yr arddangosyn hwn ar y sgrin hon",
    "hearing.present": "Cyflwyno",
    "hearing.presentLoading": "Cyflwyno (yn llwytho…)",
    "hearing.updateScreens": "Diweddaru'r sgriniau",
    "hearing.tapAnExhibit": "Tapiwch arddangosyn i'w baratoi, yna tapiwch {present}.",
    "hearing.stepBack": "« −1ffr",
    "hearing.stepBackTitle": "Yn ôl un ffrâm (←)",
    "hearing.play": "▶ Chwarae",
    "hearing.pause": "❚❚ Saib",
    "hearing.playPauseTitle": "Chwarae/saib (Bylchwr)",
    "hearing.stepForward": "+1ffr »",
    "hearing.stepForwardTitle": "Ymlaen un ffrâm (→)",
    "hearing.slower": "Arafach (J)",
    "hearing.faster": "Cyflymach (L)",
    "hearing.rate": "{rate}x",
    "hearing.withdraw": "Tynnu'n ôl",
    "hearing.mute": "Tewi",
    "hearing.soundOff": "Sain i ffwrdd",
    "hearing.volume": "Lefel sain",
    "hearing.soundLevel": "Mesurydd sain",
    "hearing.position": "Safle",
    "hearing.zoomOut": "− Chwyddo",
    "hearing.zoomOutTitle": "Chwyddo allan",
    "hearing.zoomIn": "+ Chwyddo",
    "hearing.zoomInTitle": "Chwyddo i mewn",
    "hearing.panLeft": "Symud i'r chwith",
    "hearing.panUp": "Symud i fyny",
    "hearing.panDown": "Symud i lawr",
    "hearing.panRight": "Symud i'r dde",
    "hearing.wholePicture": "Y llun cyfan",
    "hearing.clips": "Clipiau:",
  },
};
