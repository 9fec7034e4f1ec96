//! The console over plain HTTP (no browser, no JavaScript): the security headers and
//! cookie flags, sessions that end when their key is revoked, forms that work as
//! forms, and the console off without `CONSOLE_SESSION_SECRET`. The browser test is
//! `worker/tests/console.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use herald_api::auth::ApiKeys;
use herald_api::console::session::SessionSecret;
use herald_api::{Config, Server};
use herald_core::store::keys::key_digest;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::{NewApiKey, StoreConfig};
use herald_core::TenantId;
use herald_testkit::wait::wait_for;

const BOOTSTRAP: &str = "acme:console-bootstrap-key-01";
const SECRET: &str = "console-http-test-secret-0123456789";

struct Console {
    server: Server,
    http: reqwest::Client,
    store: std::sync::Arc<dyn herald_core::Store>,
    _dir: tempfile::TempDir,
}

async fn start(secret: Option<&str>) -> Console {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("herald.db")));
    let mut config = Config::new(store.clone(), ApiKeys::parse(BOOTSTRAP).unwrap());
    config.console_secret = secret.map(|s| SessionSecret::parse(s).unwrap());
    let server = Server::start(config).await.unwrap();
    let store = herald_core::store::open(&store, herald_core::clock::system())
        .await
        .unwrap();
    Console {
        server,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        _dir: dir,
    }
}

fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
        .to_owned()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("a csrf field") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

impl Console {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// Logs in with `key`; the session cookie (`name=value`).
    async fn log_in(&self, key: &str) -> reqwest::Response {
        let form = self
            .http
            .get(self.url("/console/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 200);
        let nonce = set_cookie(&form, "herald_console_login");
        let nonce = nonce.split(';').next().unwrap().to_owned();
        let csrf = csrf_of(&form.text().await.unwrap());
        self.http
            .post(self.url("/console/login"))
            .header("cookie", nonce)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string([("csrf", csrf.as_str()), ("key", key)]).unwrap())
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str, session: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("cookie", session)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn pages_are_html_with_a_strict_policy_and_the_cookie_holds_no_key() {
    let c = start(Some(SECRET)).await;
    let key = "console-bootstrap-key-01";
    let response = c.log_in(key).await;
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(&response, "herald_console");
    for flag in ["HttpOnly", "SameSite=Strict", "Max-Age=", "Path=/console"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(
        !cookie.contains(key),
        "the key itself is never in the cookie"
    );
    let session = cookie.split(';').next().unwrap().to_owned();

    let page = c.get("/console/jobs", &session).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    // Readable with JavaScript off: no inline script, the filters are a plain GET form.
    assert!(!html.contains("<script>"), "no inline script");
    assert!(html.contains("<form method=\"get\" action=\"/console/jobs\""));

    // The assets are embedded and cached for long (their URL carries a digest).
    let css = c
        .http
        .get(c.url("/console/assets/console.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let missing = c
        .http
        .get(c.url("/console/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // A tampered cookie is no session.
    let forged = session.replacen("acme", "globex", 1);
    let page = c.get("/console/jobs", &forged).await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/console/login");
    // Bad filter values are a 400 page with a code, never a 500.
    let bad = c
        .get("/console/jobs?status=lost&priority=%00", &session)
        .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("invalid_field"));
    // A log-in post without its form's token is refused.
    let no_token = c
        .http
        .post(c.url("/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    assert!(no_token.text().await.unwrap().contains("csrf_invalid"));
}

#[tokio::test]
async fn a_revoked_keys_session_ends_within_seconds() {
    let c = start(Some(SECRET)).await;
    let key = "hk_console_stored_key_0123456789";
    let record = c
        .store
        .create_key(NewApiKey {
            tenant: TenantId::parse("acme").unwrap(),
            name: "console-user".into(),
            digest: key_digest(key),
        })
        .await
        .unwrap();
    // The API rereads the store's keys every 2 s: log in once it knows this one.
    let session = wait_for(
        Duration::from_secs(10),
        "the stored key to log in",
        || async {
            let response = c.log_in(key).await;
            (response.status() == 303).then(|| {
                set_cookie(&response, "herald_console")
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned()
            })
        },
    )
    .await;
    assert!(!session.contains(key));
    assert_eq!(c.get("/console", &session).await.status(), 200);

    c.store.revoke_key(&record.id).await.unwrap();
    wait_for(
        Duration::from_secs(10),
        "the session to end after revocation",
        || async {
            let page = c.get("/console", &session).await;
            (page.status() == 303).then_some(())
        },
    )
    .await;
    assert_eq!(
        c.log_in(key).await.status(),
        401,
        "the key no longer logs in"
    );
}

#[tokio::test]
async fn without_a_session_secret_the_console_is_off_and_the_api_runs() {
    let c = start(None).await;
    let page = c.http.get(c.url("/console")).send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("console_disabled"));
    let health = c.http.get(c.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
