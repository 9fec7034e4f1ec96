//! nginx.conf: `nginx -t` accepts it, and the real nginx, run on the committed file
//! with only its addresses substituted (the resolver, the API's port and the two listen
//! addresses), balances two real `herald-api` processes, keeps answering when one of
//! them is killed, finds an instance recreated at a new address within seconds (a
//! rolling upgrade), passes a stalled upload's JSON 408 from the API, and refuses
//! exactly the body sizes the API refuses.
//!
//! Each API instance stands where a container would: a loopback address of its own
//! (127.0.0.2, 127.0.0.3, …) on one shared port, forwarded to the process, and the
//! name `api` resolves to those addresses through a DNS server the test controls, in
//! place of Docker's 127.0.0.11.
//!
//! nginx buffers large request bodies in its compiled-in temp directory
//! (/var/lib/nginx/body on Debian), which the committed file does not override: the
//! body-size test needs it writable, as it is for root (how the tests run here).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use std::net::Ipv4Addr;

use deploy_checks::dns::Dns;
use deploy_checks::forward::Forward;
use deploy_checks::process::Proc;
use deploy_checks::{http, repo, tools};
use herald_testkit::binaries::workspace_binary;
use herald_testkit::services::free_port;
use herald_testkit::wait::wait_for_blocking;

const API_KEY: &str = "deploy-checks-key";
const STARTUP: Duration = Duration::from_secs(60);
/// The test instances' BODY_TIMEOUT_MS: short, so a stalled upload's 408 comes
/// quickly; nginx's own client_body_timeout is the committed one.
const STALLED_BODY_TIMEOUT: Duration = Duration::from_secs(2);

/// The committed nginx.conf with its addresses replaced by local ones: the resolver
/// (Docker's 127.0.0.11, reused for 10 s) by the test's DNS server (reused for 1 s),
/// the API's port 3000 by the port the test's instances share, and the listen
/// addresses by free loopback ports. Each must occur exactly once, so a change to the
/// file's shape fails here loudly.
fn substituted(dns: u16, api_port: u16, listen: u16, status: u16) -> String {
    let mut conf = repo::read("nginx.conf");
    for (from, to) in [
        (
            "resolver 127.0.0.11 valid=10s ",
            format!("resolver 127.0.0.1:{dns} valid=1s "),
        ),
        (
            "set $herald_api api:3000;",
            format!("set $herald_api api:{api_port};"),
        ),
        ("listen 80;", format!("listen 127.0.0.1:{listen};")),
        ("listen 8081;", format!("listen 127.0.0.1:{status};")),
    ] {
        assert_eq!(conf.matches(from).count(), 1, "nginx.conf: `{from}` once");
        conf = conf.replace(from, &to);
    }
    conf
}

/// nginx with its prefix, pid file and start-up error log in `dir` (none of these is
/// set in the committed file), in the foreground.
fn nginx(dir: &Path, conf: &Path) -> Command {
    let mut command = Command::new(tools::tool("nginx", "nginx"));
    command
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(conf)
        .arg("-e")
        .arg(dir.join("nginx-startup.log"))
        .arg("-g")
        .arg(format!(
            "daemon off; pid {};",
            dir.join("nginx.pid").display()
        ));
    command
}

fn write_conf(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("nginx.conf");
    std::fs::write(&path, text).unwrap();
    path
}

/// The largest body nginx.conf lets through (`client_max_body_size`), in bytes.
fn nginx_body_limit() -> usize {
    let conf = repo::read("nginx.conf");
    let value = conf
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_max_body_size "))
        .expect("nginx.conf sets client_max_body_size")
        .trim_end_matches(';')
        .trim();
    let (digits, unit) = value.split_at(value.trim_end_matches(char::is_alphabetic).len());
    let n: usize = digits.parse().unwrap();
    n * match unit.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1024,
        "m" => 1024 * 1024,
        "g" => 1024 * 1024 * 1024,
        other => panic!("unknown size unit {other}"),
    }
}

/// One API process and the address it stands at.
struct Api {
    proc: Proc,
    /// Its own port on 127.0.0.1 (for its /metrics).
    port: u16,
    address: Ipv4Addr,
    /// The "container address": dropped, the address refuses connections.
    forward: Option<Forward>,
}

struct Stack {
    dir: tempfile::TempDir,
    dns: Dns,
    /// The port every instance's address shares (the container port 3000).
    shared_port: u16,
    apis: Vec<Api>,
    nginx: Option<(Proc, u16)>,
}

impl Stack {
    /// Two API instances on one SQLite file (embedded mode), ready, at 127.0.0.2 and
    /// 127.0.0.3, and `api` resolving to both.
    fn with_two_apis() -> Stack {
        let mut stack = Stack {
            dir: tempfile::tempdir().unwrap(),
            dns: Dns::start().unwrap(),
            shared_port: free_port(),
            apis: Vec::new(),
            nginx: None,
        };
        // One after the other: two processes opening a *fresh* SQLite file at the
        // same instant sometimes fail with "database is locked" (reported; seen in
        // 3 of 30 tries). That race is the store's, not nginx's, and the file is
        // only fresh once.
        for last in [2, 3] {
            stack.start_api(Ipv4Addr::new(127, 0, 0, last));
        }
        stack.publish();
        stack
    }

    /// Starts an instance at `address`, ready (not yet in DNS: see [`Stack::publish`]).
    fn start_api(&mut self, address: Ipv4Addr) -> usize {
        let port = free_port();
        let mut command = Command::new(workspace_binary("herald-api"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PORT", port.to_string())
            .env("API_KEYS", format!("deploy:{API_KEY}"))
            .env("SQLITE_PATH", self.dir.path().join("herald.db"))
            .env(
                "BODY_TIMEOUT_MS",
                STALLED_BODY_TIMEOUT.as_millis().to_string(),
            )
            .env("RUST_LOG", "warn");
        let name = format!("api{}", self.apis.len() + 1);
        let proc = Proc::spawn(&name, command, self.dir.path());
        wait_for_blocking(STARTUP, &format!("{name} /health"), || {
            match http::get(port, "/health") {
                Ok(r) if r.status == 200 => Ok(()),
                Ok(r) => Err(format!("{} {}", r.status, r.body)),
                Err(e) => Err(format!("{e}\n{}", proc.log_tail())),
            }
        });
        let forward = Forward::start(address, self.shared_port, port)
            .unwrap_or_else(|e| panic!("cannot listen on {address}:{}: {e}", self.shared_port));
        self.apis.push(Api {
            proc,
            port,
            address,
            forward: Some(forward),
        });
        self.apis.len() - 1
    }

    /// `api` resolves to the addresses of the instances still standing.
    fn publish(&self) {
        let addresses: Vec<Ipv4Addr> = self
            .apis
            .iter()
            .filter(|a| a.forward.is_some())
            .map(|a| a.address)
            .collect();
        self.dns.set("api", &addresses);
    }

    /// Kills an instance and removes its address, as `docker compose` removing its
    /// container would (the name still resolves to it until the DNS is told).
    fn kill_api(&mut self, i: usize) {
        self.apis[i].forward = None;
        self.apis[i].proc.kill();
    }

    fn start_nginx(&mut self) -> u16 {
        let listen = free_port();
        let conf = write_conf(
            self.dir.path(),
            &substituted(self.dns.port(), self.shared_port, listen, free_port()),
        );
        let proc = Proc::spawn("nginx", nginx(self.dir.path(), &conf), self.dir.path());
        wait_for_blocking(STARTUP, "nginx to proxy /health", || {
            match http::get(listen, "/health") {
                Ok(r) if r.status == 200 => Ok(()),
                Ok(r) => Err(format!("{} {}", r.status, r.body)),
                Err(e) => Err(format!("{e}\n{}", proc.log_tail())),
            }
        });
        self.nginx = Some((proc, listen));
        listen
    }

    fn logs(&self) -> String {
        let mut out: Vec<String> = self.apis.iter().map(|a| a.proc.log_tail()).collect();
        if let Some((p, _)) = &self.nginx {
            out.push(p.log_tail());
        }
        out.join("\n")
    }
}

fn post_notification(port: u16, n: usize) -> http::Response {
    let body = format!(
        r#"{{"channel":"log","recipient":{{"address":"user-{n}"}},"body":"deploy check {n}"}}"#
    );
    http::request(
        port,
        "POST",
        "/v1/notifications",
        &[
            ("Authorization", &format!("Bearer {API_KEY}")),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("POST /v1/notifications via port {port}: {e}"))
}

/// `herald_api_requests_total` for POST /v1/notifications answered 202, from one
/// instance's own /metrics.
fn accepted_count(api_port: u16) -> u64 {
    let metrics = http::get(api_port, "/metrics").unwrap();
    assert_eq!(metrics.status, 200);
    metrics
        .body
        .lines()
        .filter(|l| {
            l.starts_with("herald_api_requests_total{")
                && l.contains(r#"route="/v1/notifications""#)
                && l.contains(r#"status="202""#)
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

#[test]
fn nginx_accepts_the_committed_config() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write_conf(dir.path(), &substituted(5353, 3001, 3002, 3003));
    tools::run_ok("nginx -t", nginx(dir.path(), &conf).arg("-t"));
    // And it can fail: a directive nginx does not know is refused.
    let broken = write_conf(
        dir.path(),
        &substituted(5353, 3001, 3002, 3003).replace("resolver_timeout", "resolver_timeouts"),
    );
    let output = nginx(dir.path(), &broken).arg("-t").output().unwrap();
    assert!(
        !output.status.success(),
        "nginx -t accepted an unknown directive"
    );
}

#[test]
fn nginx_spreads_requests_over_both_apis_and_keeps_answering_when_one_dies() {
    let mut stack = Stack::with_two_apis();
    let proxy = stack.start_nginx();
    let [p1, p2] = [stack.apis[0].port, stack.apis[1].port];
    let (before1, before2) = (accepted_count(p1), accepted_count(p2));

    let mut ids = Vec::new();
    for n in 0..20 {
        let r = post_notification(proxy, n);
        assert_eq!(r.status, 202, "{}\n{}", r.body, stack.logs());
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let (served1, served2) = (accepted_count(p1) - before1, accepted_count(p2) - before2);
    assert_eq!(
        served1 + served2,
        20,
        "every request reached exactly one instance"
    );
    assert!(
        served1 > 0 && served2 > 0,
        "requests were not spread: api1 {served1}, api2 {served2}"
    );

    // One instance crashes: the next requests go to the other one. A POST is retried
    // on the other instance only because the connection to the dead one failed, so
    // the dead one never saw it (nginx.conf's proxy_next_upstream).
    stack.kill_api(0);
    let before2 = accepted_count(p2);
    for n in 20..40 {
        let r = post_notification(proxy, n);
        assert_eq!(
            r.status,
            202,
            "after api1 died: {}\n{}",
            r.body,
            stack.logs()
        );
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(accepted_count(p2) - before2, 20, "api2 took every request");
    // Jobs accepted by the dead instance are in the shared store: still readable.
    for id in &ids {
        let r = http::request(
            proxy,
            "GET",
            &format!("/v1/jobs/{id}"),
            &[("Authorization", &format!("Bearer {API_KEY}"))],
            b"",
        )
        .unwrap();
        assert_eq!(r.status, 200, "GET /v1/jobs/{id}: {}", r.body);
    }
    // /metrics is not served through the proxy.
    assert_eq!(http::get(proxy, "/metrics").unwrap().status, 404);

    // The API handles SIGTERM itself (in a container it is PID 1, where an unhandled
    // SIGTERM is ignored): it exits cleanly and promptly.
    let status = stack.apis[1]
        .proc
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("herald-api ignored SIGTERM\n{}", stack.logs()));
    assert!(
        status.success(),
        "herald-api exited with {status} on SIGTERM"
    );

    // Stopping the stack stops nginx's worker processes too: nothing answers.
    drop(stack);
    assert!(
        http::get(proxy, "/health").is_err(),
        "nginx still answers after the test stopped it"
    );
}

/// nginx's client_max_body_size and the API's default MAX_BODY_BYTES refuse exactly
/// the same sizes: a body of the limit passes both, one byte more is refused by each.
#[test]
fn nginx_and_the_api_refuse_the_same_body_sizes() {
    let limit = nginx_body_limit();
    let mut stack = Stack::with_two_apis();
    let proxy = stack.start_nginx();
    let api = stack.apis[0].port;
    // Valid JSON of exactly `size` bytes, which the API reads and then rejects as an
    // unknown field (400/422) — anything but 413.
    let body = |size: usize| {
        let head = r#"{"channel":"log","padding":""#;
        let tail = r#""}"#;
        let mut text = String::from(head);
        text.push_str(&"a".repeat(size - head.len() - tail.len()));
        text.push_str(tail);
        assert_eq!(text.len(), size);
        text
    };
    let post = |port: u16, size: usize| {
        http::request(
            port,
            "POST",
            "/v1/notifications",
            &[
                ("Authorization", &format!("Bearer {API_KEY}")),
                ("Content-Type", "application/json"),
            ],
            body(size).as_bytes(),
        )
        .unwrap()
    };
    let at_limit = post(api, limit);
    assert_ne!(
        at_limit.status, 413,
        "the API refuses {limit} bytes, nginx lets them through"
    );
    assert!(at_limit.status < 500, "{}", at_limit.body);
    let over = post(api, limit + 1);
    assert_eq!(
        over.status,
        413,
        "the API accepts {} bytes, nginx refuses them",
        limit + 1
    );

    let via_nginx = post(proxy, limit);
    assert_ne!(via_nginx.status, 413, "nginx refuses {limit} bytes");
    assert_eq!(via_nginx.status, at_limit.status, "{}", via_nginx.body);
    let over = post(proxy, limit + 1);
    assert_eq!(over.status, 413);
    assert!(
        over.body.contains("nginx"),
        "the 413 for {} bytes should come from nginx itself, not an instance: {}",
        limit + 1,
        over.body
    );
    drop(stack);
}

/// The directives issue 9 asks for, each present (the live tests show the behaviour
/// of the ones that can be exercised on one machine).
#[test]
fn nginx_conf_has_what_the_issue_lists() {
    let conf = repo::read("nginx.conf");
    let directives: Vec<String> = conf
        .lines()
        .map(|l| l.split('#').next().unwrap().trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let has = |prefix: &str| directives.iter().any(|d| d.starts_with(prefix));
    for needed in [
        "resolver 127.0.0.11 valid=",
        "set $herald_api api:3000;",
        "proxy_pass http://$herald_api;",
        "proxy_request_buffering off;",
        "limit_req_zone ",
        "limit_req ",
        "client_max_body_size ",
        "proxy_connect_timeout ",
        "proxy_read_timeout ",
        "proxy_send_timeout ",
        "proxy_next_upstream ",
        "stub_status;",
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
    ] {
        assert!(has(needed), "nginx.conf lacks `{needed}`");
    }
    // A stalled upload must meet the API's deadline (JSON 408) before nginx's own.
    let body_timeout = directives
        .iter()
        .find_map(|d| d.strip_prefix("client_body_timeout "))
        .and_then(|v| v.trim_end_matches(';').strip_suffix('s'))
        .and_then(|v| v.parse::<u64>().ok())
        .expect("client_body_timeout in seconds");
    let help = Command::new(workspace_binary("herald-api"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let api_ms: u64 = help
        .lines()
        .find(|l| l.trim_start().starts_with("BODY_TIMEOUT_MS "))
        .and_then(|l| l.rsplit_once('(')?.1.strip_suffix(')')?.parse().ok())
        .expect("herald-api --help gives BODY_TIMEOUT_MS's default");
    assert!(
        body_timeout * 1000 > api_ms,
        "client_body_timeout {body_timeout}s does not outlast the API's BODY_TIMEOUT_MS ({api_ms} ms)"
    );
    let next_upstream = directives
        .iter()
        .find(|d| d.starts_with("proxy_next_upstream "))
        .unwrap();
    assert!(
        !next_upstream.contains("non_idempotent"),
        "a POST that reached an instance must never be re-sent to another"
    );
    // An empty Connection header unless upgrading, so upstream keepalive works.
    assert!(conf.contains("''      '';") || conf.contains("'' '';"));
}

/// A rolling upgrade: an instance is recreated at a new address and the old address
/// disappears. nginx, which resolves `api` while it runs, sends requests to the new
/// instance within seconds and never fails a request on the way.
#[test]
fn nginx_finds_an_instance_recreated_at_a_new_address() {
    let mut stack = Stack::with_two_apis();
    let proxy = stack.start_nginx();
    let mut n = 0;
    let mut send = |stack: &Stack| {
        n += 1;
        let r = post_notification(proxy, n);
        assert_eq!(r.status, 202, "request {n}: {}\n{}", r.body, stack.logs());
    };
    send(&stack);

    // Compose recreates api2: the old container goes, the new one has a new address.
    stack.kill_api(1);
    let new = stack.start_api(Ipv4Addr::new(127, 0, 0, 4));
    stack.publish();
    let new_port = stack.apis[new].port;
    wait_for_blocking(
        Duration::from_secs(15),
        "the recreated instance to receive requests through nginx",
        || {
            send(&stack);
            accepted_count(new_port) > 0
        },
    );
    // And the old address is forgotten: requests keep flowing to both live instances.
    let old_port = stack.apis[0].port;
    let (before_old, before_new) = (accepted_count(old_port), accepted_count(new_port));
    for _ in 0..20 {
        send(&stack);
    }
    let served = accepted_count(old_port) - before_old + accepted_count(new_port) - before_new;
    assert_eq!(served, 20, "every request reached a live instance");
    drop(stack);
}

/// A client that stops sending its body gets the API's JSON 408 through nginx (the
/// body streams through, and nginx's own client_body_timeout is the longer one).
#[test]
fn a_stalled_upload_gets_the_apis_json_408_through_nginx() {
    use std::io::{Read, Write};

    let mut stack = Stack::with_two_apis();
    let proxy = stack.start_nginx();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", proxy)).unwrap();
    stream
        .set_read_timeout(Some(STALLED_BODY_TIMEOUT * 10))
        .unwrap();
    let head = format!(
        "POST /v1/notifications HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer {API_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"channel\""
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = std::time::Instant::now();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let waited = started.elapsed();
    assert!(
        response.starts_with("HTTP/1.1 408"),
        "{response}\n{}",
        stack.logs()
    );
    assert!(
        response.contains(r#""code":"request_timeout""#),
        "the 408 is not the API's: {response}"
    );
    assert!(
        waited >= STALLED_BODY_TIMEOUT && waited < STALLED_BODY_TIMEOUT * 5,
        "answered after {waited:?}"
    );
    drop(stack);
}

/// Opens a raw stream request through `port` and returns the socket after the head.
fn open_stream(port: u16, path: &str, extra: &str) -> (std::net::TcpStream, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {API_KEY}\r\n{extra}\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "the head arrives");
        head.push(byte[0]);
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

/// Reads from `stream` until `needle` has arrived (within its read timeout).
fn read_until(stream: &mut std::net::TcpStream, seen: &mut String, needle: &str) {
    use std::io::Read as _;
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) {
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}; saw {seen}"));
        assert!(n > 0, "the stream closed before {needle:?}: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// The stream locations: Server-Sent Events pass through nginx unbuffered (each event
/// arrives before the next is posted), and a WebSocket upgrade is passed through, on
/// the committed file in front of two live instances.
#[test]
fn live_streams_pass_through_nginx_unbuffered_and_websockets_upgrade() {
    let mut stack = Stack::with_two_apis();
    let proxy = stack.start_nginx();
    let auth = format!("Bearer {API_KEY}");
    let json_headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let created = http::request(
        proxy,
        "POST",
        "/v1/matches",
        &json_headers,
        br#"{"type":"scoreboard","players":[{"id":"ann","notify":{"channel":"log","recipient":{"address":"ann"}}}],"durationSec":600}"#,
    )
    .unwrap();
    assert_eq!(created.status, 202, "{}\n{}", created.body, stack.logs());
    let id = created.json()["id"].as_str().unwrap().to_owned();

    let (mut sse, head) = open_stream(proxy, &format!("/v1/matches/{id}/stream"), "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{}", stack.logs());
    assert!(
        head.to_ascii_lowercase().contains("text/event-stream"),
        "{head}"
    );
    let mut seen = String::new();
    read_until(&mut sse, &mut seen, "event: state");
    for seq in 1..=3 {
        let r = http::request(
            proxy,
            "POST",
            &format!("/v1/matches/{id}/events"),
            &json_headers,
            br#"{"type":"score","playerId":"ann","points":1}"#,
        )
        .unwrap();
        assert_eq!(r.status, 202, "{}", r.body);
        // Before the next event is posted: nothing waits in a proxy buffer.
        read_until(&mut sse, &mut seen, &format!("id: {seq}\n"));
    }

    let (mut ws, head) = open_stream(
        proxy,
        &format!("/v1/matches/{id}/ws?after=1"),
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 101"), "{head}\n{}", stack.logs());
    assert!(
        head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "the accept key of RFC 6455's example: {head}"
    );
    // The first frames are events 2 and 3 (text frames, JSON).
    let mut frames = String::new();
    read_until(&mut ws, &mut frames, r#""seq":3"#);
    assert!(frames.contains(r#""kind":"event""#), "{frames}");
}

/// A player whose instance dies reconnects through nginx with `Last-Event-ID` and is
/// served by the other instance from the next event on: no gap, no repeat.
#[test]
fn a_stream_resumes_through_nginx_on_the_other_instance() {
    let mut stack = Stack::with_two_apis();
    let proxy = stack.start_nginx();
    let auth = format!("Bearer {API_KEY}");
    let json_headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let created = http::request(
        proxy,
        "POST",
        "/v1/matches",
        &json_headers,
        br#"{"type":"scoreboard","players":[{"id":"ann","notify":{"channel":"log","recipient":{"address":"ann"}}}],"durationSec":600}"#,
    )
    .unwrap();
    assert_eq!(created.status, 202, "{}\n{}", created.body, stack.logs());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let post_event = || {
        let r = http::request(
            proxy,
            "POST",
            &format!("/v1/matches/{id}/events"),
            &json_headers,
            br#"{"type":"score","playerId":"ann","points":1}"#,
        )
        .unwrap();
        assert_eq!(r.status, 202, "{}", r.body);
    };

    // The first stream is on the first instance.
    let first_port = stack.apis[0].port;
    let (mut sse, head) = open_stream(first_port, &format!("/v1/matches/{id}/stream"), "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{}", stack.logs());
    let mut seen = String::new();
    read_until(&mut sse, &mut seen, "event: state");
    for _ in 1..=3 {
        post_event();
    }
    read_until(&mut sse, &mut seen, "id: 3\n");

    // It dies; events go on through nginx to the other one.
    stack.kill_api(0);
    stack.publish();
    for _ in 4..=6 {
        post_event();
    }

    // The reconnect goes through nginx, to the only instance standing.
    let (mut resumed, head) = open_stream(
        proxy,
        &format!("/v1/matches/{id}/stream"),
        "Last-Event-ID: 3\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{}", stack.logs());
    let mut after = String::new();
    read_until(&mut resumed, &mut after, "id: 6\n");
    let ids: Vec<u64> = seen
        .lines()
        .chain(after.lines())
        .filter_map(|l| l.strip_prefix("id: ")?.trim().parse().ok())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6], "{seen}\n---\n{after}");
}
