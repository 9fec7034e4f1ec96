//! The Herald Console (`docs/console.md`): server-rendered pages at `/console` for a
//! tenant's jobs, dead letters, queues, matches and the worker registry.
//!
//! It reads and writes through the same store calls as the `/v1` routes, scoped by the
//! session's tenant, so there is no second source of truth and another tenant's job is
//! a 404 here exactly as in the API. Log-in takes a tenant API key and checks it with
//! the API's [`crate::auth::Keyring`]; the browser then holds a signed session cookie
//! naming the key (never the key), and every request checks that key is still active.
//!
//! Layout:
//! - [`session`] — the signed session cookie and the CSRF tokens;
//! - [`views`] — the askama page structs (templates in `api/templates/console/`);
//! - this module — the routes, the security headers, the embedded assets
//!   (`api/assets/`).
//!
//! Every page is complete without JavaScript: filters and actions are plain forms, and
//! the one script (`console.js`) only refreshes relative times and the live scoreboard.

pub mod session;
pub mod views;

use std::sync::OnceLock;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use herald_core::notification::Channel;
use herald_core::store::{
    BulkAction, BulkFilter, BulkRequest, KeyRoute, ListFilter, PageRequest, BULK_MAX,
};
use herald_core::{JobId, JobKind, JobStatus, Priority};
use sha2::{Digest, Sha256};

use self::session::{Session, SessionSecret, COOKIE, LOGIN_COOKIE};
use self::views::*;
use crate::error::ApiError;
use crate::AppState;

/// Counts on the overview stop here (shown as "N+"): each is a bounded index read.
pub const OVERVIEW_COUNT_CAP: u64 = 10_000;
/// The overview's throughput window.
pub const THROUGHPUT_WINDOW_MINUTES: u64 = 5;
/// Rows per list page.
pub const PAGE_SIZE: u32 = 50;
/// The bulk re-drive's confirmation counts up to this many.
pub const REDRIVE_COUNT_CAP: u64 = 10_000;

/// The console's Content-Security-Policy: only this origin's script and style, no
/// inline code, no framing, forms post only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");

/// A digest of the embedded assets: their URLs carry it, so they can be cached for a
/// year and a new build is fetched at once.
fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let digest = Sha256::new().chain_update(CSS).chain_update(JS).finalize();
        hex::encode(&digest[..6])
    })
}

/// The console's routes; without `CONSOLE_SESSION_SECRET` every one answers 503 with a
/// page saying how to turn it on.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(overview))
        .route("/console/", get(overview))
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", post(logout))
        .route("/console/jobs", get(jobs))
        .route("/console/find", get(find))
        .route("/console/jobs/{id}", get(job))
        .route("/console/jobs/{id}/retry", post(retry))
        .route("/console/jobs/{id}/cancel", post(cancel))
        .route("/console/dead-letters", get(dead_letters))
        .route(
            "/console/dead-letters/redrive",
            get(redrive_confirm).post(redrive),
        )
        .route("/console/matches", get(matches))
        .route("/console/matches/{id}", get(match_page))
        .route("/console/matches/{id}/scoreboard", get(scoreboard))
        .route("/console/workers", get(workers))
        .route("/console/assets/{name}", get(asset))
}

/// Headers on every console page: the CSP, no sniffing, no caching of tenant data.
fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => page(status, html),
        Err(e) => {
            tracing::error!(error = %e, "rendering a console page failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>500</title><p>internal error <code>internal</code></p>"
                    .to_owned(),
            )
        }
    }
}

fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Why a console request was not served, as a page with a code and a message.
#[derive(Debug)]
enum Refused {
    /// No valid session: go and log in.
    LogIn,
    Csrf,
    Api(ApiError),
    Disabled,
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused::Api(e)
    }
}

impl From<herald_core::StoreError> for Refused {
    fn from(e: herald_core::StoreError) -> Self {
        Refused::Api(e.into())
    }
}

impl Refused {
    fn into_page(self, nav: Nav) -> Response {
        let (status, code, message) = match self {
            Refused::LogIn => return see_other("/console/login"),
            Refused::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf_invalid",
                "This form is out of date or was not sent by the console. Reload the page and try again.".to_owned(),
            ),
            Refused::Disabled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "console_disabled",
                "The console is off on this instance: set CONSOLE_SESSION_SECRET to turn it on.".to_owned(),
            ),
            Refused::Api(e) => {
                let status = e.status();
                if status.is_server_error() {
                    tracing::error!(error = ?e, "console request failed");
                }
                let message = if status.is_server_error() {
                    "The store could not answer; try again shortly.".to_owned()
                } else {
                    e.to_string()
                };
                (status, e.code(), message)
            }
        };
        render(
            status,
            &ErrorPage {
                nav,
                status: status.as_u16(),
                code,
                message,
            },
        )
    }
}

type PageResult = Result<Response, Refused>;

/// A logged-in request: the session, and the frame of its pages.
struct Visit {
    session: Session,
    nav: Nav,
    now: DateTime<Utc>,
}

fn secret(state: &AppState) -> Result<&SessionSecret, Refused> {
    state.console.as_deref().ok_or(Refused::Disabled)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The request's session, if its cookie is valid and its key is still active.
fn visit(state: &AppState, headers: &HeaderMap, active: &'static str) -> Result<Visit, Refused> {
    let secret = secret(state)?;
    let now = state.clock.now();
    let session = cookie(headers, COOKIE)
        .and_then(|value| secret.open(value, now))
        .ok_or(Refused::LogIn)?;
    if !state.keys.is_active(&session.key_name, &session.tenant) {
        tracing::info!(tenant = %session.tenant, key = %session.key_name, "console session of a key no longer active");
        return Err(Refused::LogIn);
    }
    let nav = Nav {
        logged_in: true,
        tenant: session.tenant.to_string(),
        csrf: secret.csrf(&session),
        active,
        asset_version: asset_version(),
        notice: String::new(),
    };
    Ok(Visit { session, nav, now })
}

fn anonymous_nav() -> Nav {
    Nav {
        asset_version: asset_version(),
        ..Nav::default()
    }
}

/// Runs a page handler, turning a refusal into its page.
fn finish(result: PageResult, nav: impl FnOnce() -> Nav) -> Response {
    result.unwrap_or_else(|refused| refused.into_page(nav()))
}

fn form_pairs(body: &Bytes) -> Result<Vec<(String, String)>, Refused> {
    serde_urlencoded::from_bytes(body).map_err(|_| {
        Refused::Api(ApiError::bad_request(
            "invalid_form",
            "the form could not be read",
        ))
    })
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A logged-in form post: the session, and its CSRF token checked.
fn post_visit(
    state: &AppState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Visit, Refused> {
    let visit = visit(state, headers, "")?;
    let secret = secret(state)?;
    let presented = field(pairs, "csrf").unwrap_or_default();
    if !secret.check_csrf(&visit.session, presented) {
        tracing::warn!(tenant = %visit.session.tenant, "console form with a bad CSRF token refused");
        return Err(Refused::Csrf);
    }
    Ok(visit)
}

fn session_cookie(name: &str, value: &str, max_age: i64, headers: &HeaderMap) -> HeaderValue {
    // Secure whenever the browser reached us over TLS (directly or through nginx).
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let value = format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

// ---- log-in and log-out ----

async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    finish(show_login(&state, &headers, String::new()), anonymous_nav)
}

fn show_login(state: &AppState, headers: &HeaderMap, error: String) -> PageResult {
    let secret = secret(state)?;
    let (nonce, csrf) = secret.login_form(state.clock.now());
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let mut response = render(
        status,
        &LoginPage {
            nav: anonymous_nav(),
            csrf,
            error,
        },
    );
    let max_age = session::LOGIN_TTL.num_seconds();
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(LOGIN_COOKIE, &nonce, max_age, headers),
    );
    Ok(response)
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    finish(do_login(&state, &headers, &body), anonymous_nav)
}

fn do_login(state: &AppState, headers: &HeaderMap, body: &Bytes) -> PageResult {
    let secret = secret(state)?;
    let pairs = form_pairs(body)?;
    let now = state.clock.now();
    let nonce = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    if !secret.check_login_form(nonce, field(&pairs, "csrf").unwrap_or_default(), now) {
        tracing::warn!("console log-in with a bad CSRF token refused");
        return Err(Refused::Csrf);
    }
    let key = field(&pairs, "key").unwrap_or_default().trim();
    let Some((tenant, name)) = state.keys.authenticate(key) else {
        tracing::info!("console log-in with an unknown API key");
        return show_login(state, headers, "That API key is not valid.".to_owned());
    };
    let session = secret.issue(&tenant, name.as_str(), now);
    tracing::info!(tenant = %tenant, key = %name, "console log-in");
    let mut response = see_other("/console");
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        session_cookie(
            COOKIE,
            &secret.seal(&session),
            session::SESSION_TTL.num_seconds(),
            headers,
        ),
    );
    cookies.append(
        header::SET_COOKIE,
        session_cookie(LOGIN_COOKIE, "", 0, headers),
    );
    Ok(response)
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| {
        let pairs = form_pairs(&body)?;
        let visit = post_visit(&state, &headers, &pairs)?;
        tracing::info!(tenant = %visit.session.tenant, "console log-out");
        let mut response = see_other("/console/login");
        response
            .headers_mut()
            .append(header::SET_COOKIE, session_cookie(COOKIE, "", 0, &headers));
        Ok(response)
    })();
    finish(result, anonymous_nav)
}

// ---- overview ----

async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let v = visit(&state, &headers, "overview")?;
        let window = THROUGHPUT_WINDOW_MINUTES;
        let since = v.now - chrono::Duration::minutes(window as i64);
        let rows = state
            .store
            .summarize(&v.session.tenant, since, OVERVIEW_COUNT_CAP)
            .await?;
        let rows = rows
            .iter()
            .filter(|r| r.counts.total() > 0 || r.succeeded_since > 0)
            .map(|r| OverviewRow::new(r, OVERVIEW_COUNT_CAP, window, v.now))
            .collect();
        Ok(render(
            StatusCode::OK,
            &OverviewPage {
                nav: v.nav,
                statuses: JobStatus::ALL.iter().map(|s| s.as_str()).collect(),
                rows,
                cap: OVERVIEW_COUNT_CAP,
                window_minutes: window,
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

// ---- job lists ----

/// The list filters of a query string; empty values mean "any".
struct Query {
    filter: ListFilter,
    cursor: Option<JobId>,
    view: FilterView,
}

fn bad(name: &str, value: &str, expected: &str) -> Refused {
    Refused::Api(ApiError::bad_field(
        name,
        format!("{name}: expected {expected}, got {value:?}"),
    ))
}

fn parse_query(raw: Option<&str>) -> Result<Query, Refused> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| {
            Refused::Api(ApiError::bad_request(
                "invalid_query",
                "the query string could not be read",
            ))
        })?;
    parse_pairs(&pairs)
}

fn parse_pairs(pairs: &[(String, String)]) -> Result<Query, Refused> {
    let mut q = Query {
        filter: ListFilter::default(),
        cursor: None,
        view: FilterView::default(),
    };
    for (name, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "status" => {
                q.filter.status = Some(value.parse().map_err(|_| {
                    bad(
                        "status",
                        value,
                        "pending, scheduled, running, succeeded, dead or cancelled",
                    )
                })?);
                q.view.status = value.to_owned();
            }
            "kind" => {
                q.filter.kind = Some(
                    value
                        .parse::<JobKind>()
                        .map_err(|_| bad("kind", value, "notification or match"))?,
                );
                q.view.kind = value.to_owned();
            }
            "priority" => {
                q.filter.priority = Some(
                    value
                        .parse::<Priority>()
                        .map_err(|_| bad("priority", value, "critical, high, normal or low"))?,
                );
                q.view.priority = value.to_owned();
            }
            "channel" => {
                q.filter.channel = Some(
                    value
                        .parse::<Channel>()
                        .map_err(|_| bad("channel", value, "webhook, email, sms, push or log"))?,
                );
                q.view.channel = value.to_owned();
            }
            "cursor" => {
                q.cursor = Some(
                    value
                        .parse::<JobId>()
                        .map_err(|_| bad("cursor", value, "a job id"))?,
                )
            }
            _ => {}
        }
    }
    q.view.query = filter_query(&q.view, None);
    Ok(q)
}

/// The filters as a query string (`?a=b&…`, or empty), with an optional cursor.
fn filter_query(view: &FilterView, cursor: Option<&JobId>) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("status", &view.status),
        ("kind", &view.kind),
        ("channel", &view.channel),
        ("priority", &view.priority),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(n, v)| (n, v.clone()))
    .collect();
    if let Some(cursor) = cursor {
        pairs.push(("cursor", cursor.to_string()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    format!(
        "?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

async fn list_page(
    state: &AppState,
    headers: &HeaderMap,
    raw: Option<&str>,
    dead: bool,
) -> PageResult {
    let v = visit(state, headers, if dead { "dead" } else { "jobs" })?;
    let mut q = parse_query(raw)?;
    if dead {
        q.filter.status = Some(JobStatus::Dead);
        q.view.status = String::new();
        q.view.query = filter_query(&q.view, None);
    }
    let page = match q.cursor.clone() {
        Some(c) => PageRequest::after(PAGE_SIZE, c),
        None => PageRequest::first(PAGE_SIZE),
    };
    let found = state
        .store
        .list(&v.session.tenant, &q.filter, &page)
        .await?;
    let base = if dead {
        "/console/dead-letters"
    } else {
        "/console/jobs"
    };
    let next = found
        .next_cursor
        .as_ref()
        .map(|c| format!("{base}{}", filter_query(&q.view, Some(c))));
    Ok(render(
        StatusCode::OK,
        &JobsPage {
            nav: v.nav,
            heading: if dead { "Dead letters" } else { "Jobs" },
            base,
            dead,
            show_status: !dead,
            statuses: Opt::list(JobStatus::ALL.iter().map(|s| s.as_str()), &q.view.status),
            kinds: Opt::list(JobKind::ALL.iter().map(|k| k.as_str()), &q.view.kind),
            channels: Opt::list(Channel::ALL.iter().map(|c| c.as_str()), &q.view.channel),
            priorities: Opt::list(Priority::ALL.iter().map(|p| p.as_str()), &q.view.priority),
            jobs: found.items.iter().map(|j| JobRow::new(j, v.now)).collect(),
            filter: q.view,
            next,
        },
    ))
}

async fn jobs(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    finish(
        list_page(&state, &headers, raw.as_deref(), false).await,
        anonymous_nav,
    )
}

async fn dead_letters(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    finish(
        list_page(&state, &headers, raw.as_deref(), true).await,
        anonymous_nav,
    )
}

/// Find by id or idempotency key: straight to the job, or a 404 page.
async fn find(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = async {
        let v = visit(&state, &headers, "jobs")?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
        let wanted = field(&pairs, "q").unwrap_or_default().trim().to_owned();
        if wanted.is_empty() {
            return Ok(see_other("/console/jobs"));
        }
        if let Ok(id) = wanted.parse::<JobId>() {
            match state.store.get(&v.session.tenant, &id).await {
                Ok(job) => return Ok(see_other(&format!("/console/jobs/{}", job.id))),
                Err(herald_core::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Keys are stored in their route's namespace (`notification/k`): the key as
        // typed, then as each route stores it.
        let candidates = [
            wanted.clone(),
            KeyRoute::Notification.scope(&wanted),
            KeyRoute::Match.scope(&wanted),
            KeyRoute::Batch.scope(&wanted),
        ];
        for key in &candidates {
            match state
                .store
                .find_by_idempotency_key(&v.session.tenant, key)
                .await
            {
                Ok(job) => return Ok(see_other(&format!("/console/jobs/{}", job.id))),
                Err(herald_core::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(herald_core::StoreError::NotFound.into())
    }
    .await;
    finish(result, anonymous_nav)
}

// ---- one job ----

async fn job(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let v = visit(&state, &headers, "jobs")?;
        let id = crate::jobs::job_id(&id)?;
        let job = state.store.get(&v.session.tenant, &id).await?;
        Ok(render(
            StatusCode::OK,
            &JobPage {
                job: JobDetail::new(&job, v.now),
                nav: v.nav,
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = async {
        let pairs = form_pairs(&body)?;
        let v = post_visit(&state, &headers, &pairs)?;
        let id = crate::jobs::job_id(&id)?;
        // The API's re-drive: the same store call, then published.
        let job = state.store.redrive(&v.session.tenant, &id).await?;
        crate::notifications::dispatch(&state, &[&job]).await;
        tracing::info!(tenant = %v.session.tenant, job_id = %job.id, "console re-drive");
        Ok(see_other(&format!("/console/jobs/{}", job.id)))
    }
    .await;
    finish(result, anonymous_nav)
}

async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = async {
        let pairs = form_pairs(&body)?;
        let v = post_visit(&state, &headers, &pairs)?;
        let id = crate::jobs::job_id(&id)?;
        let job = state.store.cancel(&v.session.tenant, &id).await?;
        tracing::info!(tenant = %v.session.tenant, job_id = %job.id, "console cancel");
        Ok(see_other(&format!("/console/jobs/{}", job.id)))
    }
    .await;
    finish(result, anonymous_nav)
}

// ---- bulk re-drive ----

fn describe(view: &FilterView) -> String {
    let parts: Vec<String> = [
        ("kind", &view.kind),
        ("channel", &view.channel),
        ("priority", &view.priority),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(n, v)| format!("{n} = {v}"))
    .collect();
    if parts.is_empty() {
        "every dead job".to_owned()
    } else {
        format!("dead jobs with {}", parts.join(", "))
    }
}

async fn redrive_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = async {
        let v = visit(&state, &headers, "dead")?;
        let mut q = parse_query(raw.as_deref())?;
        q.filter.status = Some(JobStatus::Dead);
        q.view.status = String::new();
        let count = state
            .store
            .count_matching(&v.session.tenant, &q.filter, REDRIVE_COUNT_CAP)
            .await?;
        let batch = count.min(u64::from(BULK_MAX));
        let fields = [
            ("kind", q.view.kind.clone()),
            ("channel", q.view.channel.clone()),
            ("priority", q.view.priority.clone()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .chain(std::iter::once(("expected", batch.to_string())))
        .collect();
        Ok(render(
            StatusCode::OK,
            &RedrivePage {
                nav: v.nav,
                description: describe(&q.view),
                count,
                count_text: if count >= REDRIVE_COUNT_CAP {
                    format!("At least {count}")
                } else {
                    count.to_string()
                },
                batch,
                fields,
                back: filter_query(&q.view, None),
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

async fn redrive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let pairs = form_pairs(&body)?;
        let mut v = post_visit(&state, &headers, &pairs)?;
        let mut q = parse_pairs(&pairs)?;
        q.view.status = String::new();
        let expected: u32 = field(&pairs, "expected")
            .and_then(|n| n.parse().ok())
            .unwrap_or(BULK_MAX)
            .clamp(1, BULK_MAX);
        // At most what the operator confirmed: jobs that died since are left for the
        // next confirmation.
        let request = BulkRequest {
            action: BulkAction::Redrive,
            filter: BulkFilter::matching(&q.filter),
            limit: expected,
            cursor: None,
        };
        let jobs = state
            .store
            .bulk_transition(&v.session.tenant, &request)
            .await?
            .jobs;
        let refs: Vec<&herald_core::Job> = jobs.iter().collect();
        crate::notifications::dispatch(&state, &refs).await;
        tracing::info!(tenant = %v.session.tenant, count = jobs.len(), "console bulk re-drive");
        v.nav.active = "dead";
        v.nav.notice = format!("Re-drove {} jobs ({}).", jobs.len(), describe(&q.view));
        let filter = ListFilter {
            status: Some(JobStatus::Dead),
            ..q.filter
        };
        let left = state
            .store
            .list(&v.session.tenant, &filter, &PageRequest::first(PAGE_SIZE))
            .await?;
        Ok(render(
            StatusCode::OK,
            &JobsPage {
                nav: v.nav,
                heading: "Dead letters",
                base: "/console/dead-letters",
                dead: true,
                show_status: false,
                statuses: Vec::new(),
                kinds: Opt::list(JobKind::ALL.iter().map(|k| k.as_str()), &q.view.kind),
                channels: Opt::list(Channel::ALL.iter().map(|c| c.as_str()), &q.view.channel),
                priorities: Opt::list(Priority::ALL.iter().map(|p| p.as_str()), &q.view.priority),
                jobs: left.items.iter().map(|j| JobRow::new(j, v.now)).collect(),
                next: None,
                filter: FilterView {
                    query: filter_query(&q.view, None),
                    ..q.view
                },
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

// ---- matches ----

async fn matches(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let v = visit(&state, &headers, "matches")?;
        let tenant = &v.session.tenant;
        let running = state
            .store
            .list(
                tenant,
                &ListFilter {
                    kind: Some(JobKind::Match),
                    status: Some(JobStatus::Running),
                    ..ListFilter::default()
                },
                &PageRequest::first(PAGE_SIZE),
            )
            .await?;
        let recent = state
            .store
            .list(
                tenant,
                &ListFilter {
                    kind: Some(JobKind::Match),
                    ..ListFilter::default()
                },
                &PageRequest::first(20),
            )
            .await?;
        Ok(render(
            StatusCode::OK,
            &MatchesPage {
                sections: vec![
                    MatchSection {
                        title: "Running",
                        id: "running-matches",
                        rows: running
                            .items
                            .iter()
                            .map(|j| MatchRow::new(j, v.now))
                            .collect(),
                    },
                    MatchSection {
                        title: "Recent",
                        id: "recent-matches",
                        rows: recent
                            .items
                            .iter()
                            .map(|j| MatchRow::new(j, v.now))
                            .collect(),
                    },
                ],
                nav: v.nav,
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

/// The scoreboard of a tenant's match, read like `GET /v1/matches/{id}`.
async fn board(state: &AppState, v: &Visit, id: &str) -> Result<(Scoreboard, bool), Refused> {
    let id = crate::jobs::job_id(id)?;
    let record = state.store.get_match(&v.session.tenant, &id).await?;
    let spec = crate::matches::spec_of(&record)?;
    let view = crate::matches::MatchView::new(record, spec);
    let scores = view
        .state
        .get("scores")
        .and_then(|s| s.as_object())
        .map(|m| {
            m.iter()
                .map(|(player, points)| (player.clone(), points.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let live = !matches!(
        view.status,
        JobStatus::Succeeded | JobStatus::Dead | JobStatus::Cancelled
    );
    Ok((
        Scoreboard {
            status: view.status.as_str(),
            state_version: view.state_version,
            applied_seq: view.applied_seq,
            last_seq: view.last_seq,
            hosted_by: view.hosted_by.map(|w| w.to_string()).unwrap_or_default(),
            scores,
            ends: view
                .ends_at
                .map(|t| {
                    let w = When::new(t, v.now);
                    format!("{} ({})", w.relative, w.iso)
                })
                .unwrap_or_default(),
        },
        live,
    ))
}

async fn match_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let v = visit(&state, &headers, "matches")?;
        let (scoreboard, live) = board(&state, &v, &id).await?;
        let board = scoreboard.render().map_err(|e| {
            Refused::Api(ApiError::Internal(anyhow::anyhow!(
                "rendering a scoreboard: {e}"
            )))
        })?;
        Ok(render(
            StatusCode::OK,
            &MatchPage {
                nav: v.nav,
                id,
                live,
                board,
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

/// The scoreboard alone, for the page's script to refresh.
async fn scoreboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let v = visit(&state, &headers, "matches")?;
        let (scoreboard, _) = board(&state, &v, &id).await?;
        Ok(render(StatusCode::OK, &scoreboard))
    }
    .await;
    finish(result, anonymous_nav)
}

// ---- workers ----

async fn workers(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let v = visit(&state, &headers, "workers")?;
        let fallback =
            herald_core::config::DEFAULT_HEARTBEAT_INTERVAL * herald_core::store::LIVE_HEARTBEATS;
        let records = state.store.live_workers(fallback).await?;
        let summary = crate::workers::summarise(records, v.now);
        Ok(render(
            StatusCode::OK,
            &WorkersPage {
                total: summary.total_workers,
                active: summary.active_workers,
                idle: summary.idle_workers,
                matches: summary.total_matches,
                workers: summary
                    .workers
                    .iter()
                    .map(|w| WorkerRow::new(&w.record, v.now))
                    .collect(),
                nav: v.nav,
            },
        ))
    }
    .await;
    finish(result, anonymous_nav)
}

// ---- assets ----

/// The embedded stylesheet and script, cached for a year (their URLs change with
/// their content).
async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return Refused::Api(ApiError::NotFound).into_page(anonymous_nav()),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
