//! `courtdeck serve-lists`: the HTTPS endpoint HMCTS's CaTH pushes court lists to, speaking CaTH's
//! third-party protocol as `pip-publication-services` sends it (`ThirdPartyApiService`,
//! `ThirdPartyOauthService`):
//!
//! - `POST /oauth/token`, a form `grant_type=client_credentials&client_id=…&client_secret=…&scope=…`
//!   (or the client in HTTP Basic): `{"access_token", "token_type": "Bearer", "expires_in"}`. The
//!   client secret is in the OS keyring (`courtdeck serve-lists-client`), compared in constant time.
//! - `POST /publications`, multipart/form-data with `metadata` (JSON: publicationId, listType,
//!   locationName, contentDate, sensitivity, language, displayFrom, displayTo), `payload` (the list
//!   JSON) and, for a flat-file publication, `file`; `Authorization: Bearer <token>`.
//! - `PUT /publications/{publicationId}`: the same body, replacing that publication.
//! - `DELETE /publications/{publicationId}`: withdraws it.
//!
//! Every publication goes through the facade (`Publisher::receive_cath_publication`,
//! `withdraw_cath_publication`), one at a time, and is in the custody log. axum on tokio, TLS by
//! rustls (the stack reqwest already brings): `axum::serve` has no TLS, so connections are accepted
//! here, the TLS handshake done by tokio-rustls, and each served by hyper.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{
    DefaultBodyLimit, FromRequest as _, Multipart, Path as UrlPath, Request, State,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use courtdeck_api::Config;
use courtdeck_api::court_lists::{Publication, Received};
use courtdeck_api::error::ApiError;
use courtdeck_core::ErrorCode;
use courtdeck_store::Secret;
use serde_json::json;
use tokio_rustls::rustls;

/// Larger than any list CaTH publishes (a list of 2,000 hearings is about 3 MB).
pub(crate) const MAX_BODY_BYTES: usize = 32 << 20;

pub(crate) struct Options {
    pub(crate) store: PathBuf,
    pub(crate) listen: SocketAddr,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) client_id: String,
    pub(crate) token_life: Duration,
}

struct Server {
    publisher: courtdeck_api::Publisher,
    store: PathBuf,
    client_id: String,
    secret: Secret,
    token_life: Duration,
    /// Issued tokens by their SHA-256, with whom they were issued to and until when.
    tokens: std::sync::Mutex<HashMap<[u8; 32], (String, Instant)>>,
    /// One publication at a time: each reads and writes the same store folder and records.
    turn: tokio::sync::Mutex<()>,
}

pub(crate) async fn run(config: Config, o: Options) -> anyhow::Result<()> {
    let secret = courtdeck_api::credentials::load_push_client(&o.client_id)?.ok_or_else(|| {
        anyhow::anyhow!(
            "no client secret for {:?} in the OS keyring: `courtdeck serve-lists-client --client-id {}` saves the one CaTH was given",
            o.client_id,
            o.client_id
        )
    })?;
    anyhow::ensure!(
        o.store.is_dir(),
        "the store folder {} does not exist",
        o.store.display()
    );
    let tls = tls_config(&o.cert, &o.key)?;
    let server = Arc::new(Server {
        publisher: courtdeck_api::Publisher::new(config),
        store: o.store,
        client_id: o.client_id,
        secret,
        token_life: o.token_life,
        tokens: std::sync::Mutex::new(HashMap::new()),
        turn: tokio::sync::Mutex::new(()),
    });
    let app = Router::new()
        .route("/oauth/token", post(token))
        .route("/publications", post(new_publication))
        .route(
            "/publications/{id}",
            put(replace_publication).delete(withdraw_publication),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(server);
    let listener = tokio::net::TcpListener::bind(o.listen).await?;
    let addr = listener.local_addr()?;
    println!(
        "serving CaTH publications on https://{addr}/publications (tokens: https://{addr}/oauth/token)"
    );
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::info!(%peer, "TLS handshake refused: {e}");
                        return;
                    }
                    Err(_) => {
                        tracing::info!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let service = hyper_util::service::TowerToHyperService::new(app);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(20))
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await
            {
                tracing::info!(%peer, "connection ended: {e}");
            }
        });
    }
}

fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", cert.display());
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?)
}

fn sha256(s: &[u8]) -> [u8; 32] {
    *courtdeck_core::Sha256Digest::of(s).as_bytes()
}

/// Equal in time independent of where they differ (both hashed first, so of one length).
fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    sha256(a.as_bytes()).ct_eq(&sha256(b.as_bytes())).into()
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn refused(status: StatusCode, message: impl Into<String>) -> Response {
    answer(status, json!({ "error": message.into() }))
}

fn api_error(e: ApiError) -> Response {
    let status = match e.code {
        ErrorCode::InvalidManifest => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refused(status, e.message)
}

/// The OAuth client-credentials grant CaTH asks for a token with.
async fn token(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        );
    }
    // The client in the form (as CaTH sends it) or in HTTP Basic (RFC 6749 2.3.1).
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(b).ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|b| b.split_once(':').map(|(i, s)| (i.to_owned(), s.to_owned())));
    let (id, secret) = match (form.get("client_id"), form.get("client_secret"), basic) {
        (Some(i), Some(sec), _) => (i.clone(), sec.clone()),
        (_, _, Some((i, sec))) => (i, sec),
        _ => return answer(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"})),
    };
    let known = same_secret(&id, &s.client_id) & same_secret(&secret, s.secret.expose());
    if !known {
        tracing::warn!("a token was refused: wrong client id or secret");
        return answer(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
    }
    let mut raw = [0u8; 32];
    if getrandom::fill(&mut raw).is_err() {
        return refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no randomness for a token",
        );
    }
    let token = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    };
    let now = Instant::now();
    let mut tokens = s.tokens.lock().expect("not poisoned");
    tokens.retain(|_, (_, until)| *until > now);
    tokens.insert(sha256(token.as_bytes()), (id, now + s.token_life));
    answer(
        StatusCode::OK,
        json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": s.token_life.as_secs(),
        }),
    )
}

/// Whom the request's bearer token was issued to, if it is one of ours and current.
fn bearer(s: &Server, headers: &HeaderMap) -> Result<String, &'static str> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("a bearer token is required")?;
    // Looked up by its hash: the map's comparisons see hashes, never the token's bytes.
    let tokens = s.tokens.lock().expect("not poisoned");
    match tokens.get(&sha256(token.as_bytes())) {
        Some((who, until)) if *until > Instant::now() => Ok(who.clone()),
        _ => {
            tracing::warn!("a publication with an unknown or expired token was refused");
            Err("the bearer token is not one this endpoint issued, or it has expired")
        }
    }
}

async fn new_publication(State(s): State<Arc<Server>>, req: Request) -> Response {
    publication(s, req, None).await
}

async fn replace_publication(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Response {
    publication(s, req, Some(id)).await
}

/// How much of a refused request's body is still read (and dropped) before answering, so the
/// client, still sending, reads the answer instead of a reset connection.
const DRAIN_BYTES: u64 = 4 * MAX_BODY_BYTES as u64;

/// The request's whole body, or `None` when it is larger than `MAX_BODY_BYTES`. Either way the body
/// is read to its end (up to `DRAIN_BYTES`): hyper closes a connection whose request body was left
/// unread, and a client still writing it would see the connection reset, not the answer.
async fn read_body(body: axum::body::Body) -> Result<Option<axum::body::Bytes>, String> {
    use http_body_util::BodyExt as _;
    let mut body = body;
    let mut kept = Vec::new();
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("the request body: {e}"))?;
        if let Ok(data) = frame.into_data() {
            total += data.len() as u64;
            if total <= MAX_BODY_BYTES as u64 {
                kept.extend_from_slice(&data);
            } else if total > DRAIN_BYTES {
                break;
            }
        }
    }
    Ok((total <= MAX_BODY_BYTES as u64).then(|| kept.into()))
}

async fn withdraw_publication(
    State(s): State<Arc<Server>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let by = match bearer(&s, &headers) {
        Ok(by) => by,
        Err(why) => return refused(StatusCode::UNAUTHORIZED, why),
    };
    let _turn = s.turn.lock().await;
    match s
        .publisher
        .withdraw_cath_publication(&s.store, &id, &by)
        .await
    {
        Ok(removed) => answer(StatusCode::OK, json!({"withdrawn": id, "removed": removed})),
        Err(e) => api_error(e),
    }
}

async fn publication(s: Arc<Server>, req: Request, replacing: Option<String>) -> Response {
    let (parts, body) = req.into_parts();
    // Read first (bounded), so that every answer, refusals too, reaches a client still sending.
    let bytes = match read_body(body).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            return refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a publication is at most {MAX_BODY_BYTES} bytes"),
            );
        }
        Err(why) => return refused(StatusCode::BAD_REQUEST, why),
    };
    let by = match bearer(&s, &parts.headers) {
        Ok(by) => by,
        Err(why) => return refused(StatusCode::UNAUTHORIZED, why),
    };
    let req = Request::from_parts(parts, axum::body::Body::from(bytes));
    let mut body = match Multipart::from_request(req, &()).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let (mut metadata, mut payload, mut file) = (None, None, false);
    loop {
        let field = match body.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return refused(e.status(), format!("the multipart body: {}", e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return refused(e.status(), format!("part {name:?}: {}", e.body_text())),
        };
        match name.as_str() {
            "metadata" => metadata = Some(bytes),
            "payload" => payload = Some(bytes.to_vec()),
            "file" => file = !bytes.is_empty(),
            _ => {}
        }
    }
    let Some(metadata) = metadata else {
        return refused(
            StatusCode::BAD_REQUEST,
            "the publication has no metadata part",
        );
    };
    let metadata: serde_json::Value = match serde_json::from_slice(&metadata) {
        Ok(m) => m,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!("metadata is not JSON: {e}"),
            );
        }
    };
    let id = match metadata["publicationId"].as_str() {
        Some(id) => id.to_owned(),
        None => return refused(StatusCode::BAD_REQUEST, "metadata has no publicationId"),
    };
    if let Some(url_id) = &replacing
        && !url_id.eq_ignore_ascii_case(&id)
    {
        return refused(
            StatusCode::BAD_REQUEST,
            format!("the URL names publication {url_id}, its metadata {id}"),
        );
    }
    let content_date = match content_date(&metadata["contentDate"]) {
        Ok(d) => d,
        Err(why) => return refused(StatusCode::BAD_REQUEST, why),
    };
    let list_type = metadata["listType"].as_str().unwrap_or_default().to_owned();
    let p = Publication {
        id,
        list_type,
        content_date,
        payload: payload.filter(|p| !p.is_empty() || !file),
        by,
    };
    let _turn = s.turn.lock().await;
    let replace = replacing.is_some();
    match s
        .publisher
        .receive_cath_publication(&s.store, p, replace)
        .await
    {
        Ok(Received::Imported(i)) => answer(
            StatusCode::OK,
            json!({
                "lists": i.lists.iter().map(|l| json!({"court": l.court, "date": l.date.to_string(), "hearings": l.hearings})).collect::<Vec<_>>(),
                "unmapped_rooms": i.unmapped().map(|r| json!({"court_house": r.court_house, "room": r.room, "court": r.court.to_string()})).collect::<Vec<_>>(),
                "skipped": i.skipped.iter().map(|k| json!({"case": k.case, "reason": k.reason})).collect::<Vec<_>>(),
            }),
        ),
        Ok(Received::Ignored(why)) => answer(StatusCode::OK, json!({ "ignored": why })),
        Err(e) => api_error(e),
    }
}

/// CaTH's `contentDate`, a `LocalDateTime` as Jackson writes it: `"2026-12-08T09:00:00"` (or, with
/// timestamps on, `[2026, 12, 8, 9, 0]`). Its day is what a Libra-shaped list is for.
fn content_date(v: &serde_json::Value) -> Result<Option<jiff::civil::Date>, String> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => s
            .get(..10)
            .and_then(|d| d.parse().ok())
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "contentDate {:?} is not a date and time",
                    courtdeck_store::wire::visible(s)
                )
            }),
        serde_json::Value::Array(parts) => {
            let n = |i: usize| parts.get(i).and_then(serde_json::Value::as_i64);
            match (n(0), n(1), n(2)) {
                (Some(y), Some(m), Some(d)) => jiff::civil::Date::new(
                    i16::try_from(y).map_err(|e| e.to_string())?,
                    i8::try_from(m).map_err(|e| e.to_string())?,
                    i8::try_from(d).map_err(|e| e.to_string())?,
                )
                .map(Some)
                .map_err(|e| format!("contentDate: {e}")),
                _ => Err("contentDate is not a date and time".into()),
            }
        }
        _ => Err("contentDate is not a date and time".into()),
    }
}
