//! What an HTTP provider's answer means, once for every HTTP channel (`webhook`, `sms`,
//! `push`), and the DNS resolver that pins the webhook's connections to checked
//! addresses.
//!
//! Classification (`docs/channels.md`), on typed values only — status codes, `reqwest::Error`'s
//! kind, the resolver's own error type — never on message text:
//!
//! | outcome | result |
//! |---|---|
//! | 2xx | delivered |
//! | 408, 425, 5xx | retry with the policy's backoff |
//! | 429 | retry after its `Retry-After` (seconds or HTTP date, at most an hour); the policy's backoff when absent |
//! | other 4xx, 3xx (redirects are never followed) | permanent: dead at once |
//! | timeout, connection error, DNS failure | retry with the policy's backoff |
//! | target refused by the SSRF guard | permanent |
//! | request could not be built (bad URL, header) | permanent |

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use herald_core::config::{ConfigError, Env};
use herald_core::ssrf::{Refused, TargetGuard};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use super::DeliveryError;

/// The longest `Retry-After` honoured; a larger request is clamped to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3_600);

/// Maps an HTTP answer onto a delivery result. `what` names the far side in the
/// message (`webhook`, `SMS provider`, ...).
pub fn classify(what: &str, status: StatusCode, headers: &HeaderMap) -> Result<(), DeliveryError> {
    if status.is_success() {
        return Ok(());
    }
    let message = format!("{what} answered {status}");
    if status == StatusCode::TOO_MANY_REQUESTS {
        Err(DeliveryError::Retryable {
            message,
            retry_after: retry_after(headers),
        })
    } else if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status.as_u16() == 425
    {
        Err(DeliveryError::retryable(message))
    } else {
        Err(DeliveryError::permanent(message))
    }
}

/// Maps a request that got no answer onto a delivery result.
pub fn from_reqwest(what: &str, err: &reqwest::Error) -> DeliveryError {
    if let Some(refused) = find_source::<TargetRefused>(err) {
        return DeliveryError::permanent(format!("{what} target refused: {refused}"));
    }
    if err.is_builder() {
        return DeliveryError::permanent(format!("{what} request could not be built: {err}"));
    }
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        // A connection reset mid-request, a body cut short: the far side may answer
        // next time.
        "request failed"
    };
    DeliveryError::retryable(format!("{what} {kind}: {}", chain(err)))
}

/// The first error of type `E` in `err`'s source chain.
fn find_source<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// `err: cause: cause`, so the stored `lastError` says what actually happened
/// (reqwest's own message is only "error sending request").
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

/// Sends one request to `what` (for messages) and classifies how it went.
pub async fn send(what: &str, request: reqwest::RequestBuilder) -> Result<(), DeliveryError> {
    let response = request.send().await.map_err(|e| from_reqwest(what, &e))?;
    classify(what, response.status(), response.headers())
}

/// The client a provider adapter (sms, push) talks through: the configured timeout,
/// a shorter connect timeout, no redirects (a redirect could point anywhere), and the
/// SSRF guard's resolver — a provider's name that resolves into the deployment's own
/// network is refused unless `WEBHOOK_ALLOWED_CIDRS` allows it (the literal base URL
/// was checked at start-up, in the worker's configuration). An HTTP(S) proxy from the
/// environment is still used, and resolved through the guard too: an internal proxy's
/// range must be allowed.
pub fn provider_client(timeout: Duration, guard: TargetGuard) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver::new(guard))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("herald-worker/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The host of a provider's base URL: the circuit breaker's key for its channel.
pub fn provider_host(base_url: &str, fallback: &str) -> Result<String, url::ParseError> {
    Ok(reqwest::Url::parse(base_url)?
        .host_str()
        .unwrap_or(fallback)
        .to_owned())
}

/// `Retry-After` as delta-seconds or an HTTP date, clamped to [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = match raw.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// A host name whose every address the guard refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to {refused}")]
pub struct TargetRefused {
    pub host: String,
    pub refused: Refused,
}

/// reqwest's DNS resolver for clients whose targets tenants choose: it resolves the
/// name and hands reqwest only the addresses the [`TargetGuard`] accepts, so the
/// connection can only go to an address that was checked — a DNS answer that changes
/// between a check and the connect (rebinding) has nothing to slip through. When every
/// address is refused it fails with [`TargetRefused`], which [`from_reqwest`] finds in
/// the error's source chain and makes permanent.
///
/// IP-literal hosts never reach a resolver; callers check those with
/// [`TargetGuard::check_url`] before sending.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    guard: Arc<TargetGuard>,
}

impl GuardedResolver {
    pub fn new(guard: TargetGuard) -> Self {
        Self {
            guard: Arc::new(guard),
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port on the addresses it gets back.
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (accepted, refused) = screen(&guard, resolved);
            match (accepted.is_empty(), refused) {
                (true, Some(refused)) => Err(Box::new(TargetRefused { host, refused }) as _),
                _ => Ok(Box::new(accepted.into_iter()) as Addrs),
            }
        })
    }
}

/// The addresses the guard accepts, and the first refusal (for the error message).
fn screen(guard: &TargetGuard, addrs: Vec<SocketAddr>) -> (Vec<SocketAddr>, Option<Refused>) {
    let mut accepted = Vec::with_capacity(addrs.len());
    let mut first_refusal = None;
    for addr in addrs {
        match guard.check_ip(addr.ip()) {
            Ok(()) => accepted.push(addr),
            Err(refused) => {
                tracing::debug!(%addr, "resolved address refused by the SSRF guard");
                first_refusal.get_or_insert(refused);
            }
        }
    }
    (accepted, first_refusal)
}

/// Per-request timeout of the SMS and push providers' APIs when unset.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// An identifier that goes into a provider URL's path as it is.
pub(crate) fn path_segment(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let value = raw.trim();
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::new(
            name,
            "use at most 128 letters, digits, '-' or '_'",
        ))
    }
}

/// `name` (else `default`) as an http(s) base URL, without a trailing slash.
pub(crate) fn base_url(
    env: &Env,
    name: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let raw = env.var(name).unwrap_or_else(|| default.to_owned());
    check_base_url(name, &raw)
}

pub(crate) fn check_base_url(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| ConfigError::new(name, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(name, "must be an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(name, "must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).unwrap_or_else(|e| panic!("{code}: {e}"))
    }

    #[test]
    fn statuses_map_to_delivered_retry_or_permanent() {
        let none = HeaderMap::new();
        for ok in [200, 201, 202, 204] {
            assert_eq!(classify("x", status(ok), &none), Ok(()), "{ok}");
        }
        for retry in [408, 425, 500, 502, 503, 504] {
            assert!(
                matches!(
                    classify("x", status(retry), &none),
                    Err(DeliveryError::Retryable {
                        retry_after: None,
                        ..
                    })
                ),
                "{retry}"
            );
        }
        for permanent in [301, 302, 304, 400, 401, 403, 404, 410, 422] {
            assert!(
                matches!(
                    classify("x", status(permanent), &none),
                    Err(DeliveryError::Permanent { .. })
                ),
                "{permanent}"
            );
        }
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            classify("webhook", status(429), &h),
            Err(DeliveryError::Retryable {
                message: "webhook answered 429 Too Many Requests".into(),
                retry_after: Some(Duration::from_secs(7)),
            })
        );
        assert!(matches!(
            classify("x", status(429), &none),
            Err(DeliveryError::Retryable {
                retry_after: None,
                ..
            })
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&soon).unwrap_or_else(|e| panic!("{e}")),
        );
        let d = retry_after(&h).unwrap_or_default();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        let past = (chrono::Utc::now() - chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&past).unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn screening_keeps_only_accepted_addresses() {
        let addr = |s: &str| -> SocketAddr { s.parse().unwrap_or_else(|e| panic!("{s}: {e}")) };
        let mixed = vec![addr("10.0.0.1:0"), addr("93.184.216.34:0"), addr("[::1]:0")];
        let (accepted, refused) = screen(&TargetGuard::default(), mixed.clone());
        assert_eq!(accepted, vec![addr("93.184.216.34:0")]);
        assert!(matches!(refused, Some(Refused::Internal { ip }) if ip.to_string() == "10.0.0.1"));

        let (accepted, refused) = screen(
            &TargetGuard::parse("10.0.0.0/8,::1").unwrap_or_default(),
            mixed.clone(),
        );
        assert_eq!(accepted, mixed);
        assert_eq!(refused, None);
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
        let resolver = GuardedResolver::new(TargetGuard::default());
        let name: Name = "localhost".parse().unwrap_or_else(|_| panic!("a name"));
        let err = match resolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let refused = err
            .downcast_ref::<TargetRefused>()
            .unwrap_or_else(|| panic!("not a TargetRefused: {err}"));
        assert_eq!(refused.host, "localhost");

        let allowed =
            GuardedResolver::new(TargetGuard::parse("127.0.0.0/8,::1").unwrap_or_default());
        let name: Name = "localhost".parse().unwrap_or_else(|_| panic!("a name"));
        let addrs: Vec<_> = match allowed.resolve(name).await {
            Ok(addrs) => addrs.collect(),
            Err(e) => panic!("{e}"),
        };
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    /// Through a real reqwest client: the name is resolved by the guard, so the
    /// connection to the (listening) loopback server is never made without the allow-list.
    #[tokio::test]
    async fn a_client_with_the_resolver_connects_only_to_allowed_addresses() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = |guard: TargetGuard| {
            reqwest::Client::builder()
                .no_proxy()
                .dns_resolver(GuardedResolver::new(guard))
                .build()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let url = format!("http://localhost:{port}/");

        let err = match client(TargetGuard::default()).get(&url).send().await {
            Ok(r) => panic!("reached the loopback server: {}", r.status()),
            Err(e) => e,
        };
        match from_reqwest("webhook", &err) {
            DeliveryError::Permanent { message } => {
                assert!(message.contains("localhost resolves to"), "{message}");
                assert!(message.contains("WEBHOOK_ALLOWED_CIDRS"), "{message}");
            }
            other => panic!("not permanent: {other:?}"),
        }

        let allowed = client(TargetGuard::parse("127.0.0.0/8,::1").unwrap_or_default());
        let response = allowed
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn connection_refused_is_retryable() {
        // Bind then drop: nothing listens on the port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let err = match reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
        {
            Ok(r) => panic!("something answered: {}", r.status()),
            Err(e) => e,
        };
        assert!(
            matches!(
                from_reqwest("webhook", &err),
                DeliveryError::Retryable {
                    retry_after: None,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn provider_ids_and_base_urls_are_checked() {
        assert!(path_segment("SMS_ACCOUNT_SID", "AC0123abc").is_ok());
        for bad in ["AC/../x", "", "a b"] {
            let err = path_segment("SMS_ACCOUNT_SID", bad).unwrap_err();
            assert_eq!(err.var, "SMS_ACCOUNT_SID");
        }
        assert_eq!(
            check_base_url("SMS_BASE_URL", "https://api.twilio.com/").unwrap(),
            "https://api.twilio.com"
        );
        assert_eq!(
            check_base_url("PUSH_BASE_URL", "http://127.0.0.1:8080/fcm/").unwrap(),
            "http://127.0.0.1:8080/fcm"
        );
        for bad in ["ftp://x", "nonsense", "https://x.example/?a=b"] {
            assert_eq!(
                check_base_url("SMS_BASE_URL", bad).unwrap_err().var,
                "SMS_BASE_URL"
            );
        }
    }
}
