// The types of what crosses from the facade. They are generated from the Rust, not written here:
// `generated/error-codes.ts` from `ErrorCode::ALL` (crates/courtdeck-core/tests/sourcegen.rs) and
// `generated/dto.ts` from crates/courtdeck-api/src/json.rs (its `mod ts_bindings`). This file only
// gives them the names the surface uses.
import type {
  CheckDto,
  CheckReportDto,
  ClipDto,
  ControlsDto,
  CueDto,
  ExhibitDto,
  HearingCardDto,
  HearingDto,
  OnAirDto,
  PagePosterDto,
  ScreenDto,
  ScreenStateDto,
  SoundDto,
  StageDto,
  StoreStatusDto,
  StrokeDto,
  TodayDto,
  TranscriptDto,
  WeekAheadDto,
  DayAheadDto,
  HearingAheadDto,
  ExhibitReadinessDto,
  LiveSourceDto,
} from "./generated/dto";

export type { ErrorCode } from "./generated/error-codes";
export type { ApiError, CheckStatus, Language, PlayoutStatus, Readiness, UiEvent } from "./generated/dto";
export type { CopyRole, Kind, Restriction, Role, Slate, Tool, ZoomStep } from "./generated/dto";

export type StoreStatus = StoreStatusDto;
export type HearingCard = HearingCardDto;
export type Today = TodayDto;
export type Clip = ClipDto;
export type Exhibit = ExhibitDto;
export type ScreenInfo = ScreenDto;
export type Hearing = HearingDto;
export type ScreenState = ScreenStateDto;
export type Stage = StageDto;
export type OnAir = OnAirDto;
export type Controls = ControlsDto;
export type Stroke = StrokeDto;
export type Transcript = TranscriptDto;
export type Cue = CueDto;
export type PagePoster = PagePosterDto;
export type Sound = SoundDto;
export type Check = CheckDto;
export type CheckReport = CheckReportDto;
export type WeekAhead = WeekAheadDto;
export type DayAhead = DayAheadDto;
export type HearingAhead = HearingAheadDto;
export type ExhibitReadiness = ExhibitReadinessDto;
export type LiveSource = LiveSourceDto;
