//! The notification a client asks Herald to deliver (`docs/api.md`), and its validation.
//!
//! The API deserialises a [`NotificationRequest`] (unknown fields rejected), calls
//! [`NotificationRequest::validate`], and stores the validated request, serialised as
//! JSON, as the job's payload; the worker reads the payload back into this type.
//!
//! Two kinds of failure, kept apart because the API answers them differently:
//! - the body does not have this shape (unknown field, wrong type, bad enum value,
//!   `sendAt` not RFC 3339): a serde error, which names the field by its path;
//! - the shape is right but a value is not acceptable: a [`ValidationError`] naming
//!   the field (`recipient.address`, `maxAttempts`, ...).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::job::{JobKind, NewJob, Priority, TenantId, DEFAULT_MAX_ATTEMPTS};
use crate::quiet_hours::Tz;
use crate::storable;

/// Most attempts a client may ask for.
pub const MAX_ATTEMPTS_LIMIT: u32 = 25;
/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 998;
/// Largest body, in bytes (email, webhook, log; sms and push have their own limits).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest sms body, in characters: what Twilio accepts in one message (it splits it
/// into segments; longer bodies are refused by the provider).
pub const MAX_SMS_BODY_CHARS: usize = 1600;
/// Largest push body, in bytes: APNs and FCM refuse payloads over 4 KB.
pub const MAX_PUSH_BODY_BYTES: usize = 4 * 1024;
/// Longest push title (`subject`), in characters; longer ones are cut off on devices.
pub const MAX_PUSH_TITLE_CHARS: usize = 256;
/// Largest `data` (template variables) or `metadata`, as JSON bytes.
pub const MAX_DATA_BYTES: usize = 64 * 1024;
pub const MAX_METADATA_BYTES: usize = 8 * 1024;
/// Longest template name.
pub const MAX_TEMPLATE_CHARS: usize = 200;
/// Longest recipient address (a URL for webhooks).
pub const MAX_ADDRESS_CHARS: usize = 2048;
/// Longest email address, in characters (ASCII, so bytes too).
pub const MAX_EMAIL_CHARS: usize = 254;
/// How far ahead `sendAt` may be.
pub const MAX_SCHEDULE_DAYS: i64 = 366;

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Webhook,
    Email,
    Sms,
    Push,
    /// Delivered nowhere: for load tests and dry runs.
    Log,
}

impl Channel {
    /// Every channel, in the order they are listed to people.
    pub const ALL: [Channel; 5] = [
        Channel::Log,
        Channel::Webhook,
        Channel::Email,
        Channel::Sms,
        Channel::Push,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Log => "log",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel {s:?}"))
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who receives it. `address` is a URL (webhook), an email address, an E.164 phone
/// number (sms), a device token (push), or any label (log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Recipient {
    pub address: String,
    /// IANA time zone name, for quiet hours (e.g. `Europe/Paris`); UTC when absent.
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub timezone: Option<String>,
}

/// A time of day, written `HH:MM` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

impl TimeOfDay {
    /// Minutes since midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.hour) * 60 + u32::from(self.minute)
    }
}

impl FromStr for TimeOfDay {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a time of day HH:MM");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let hour: u8 = h.parse().map_err(|_| bad())?;
        let minute: u8 = m.parse().map_err(|_| bad())?;
        if hour > 23 || minute > 59 {
            return Err(bad());
        }
        Ok(Self { hour, minute })
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A daily window, in the recipient's time zone, in which non-critical notifications
/// wait. `start > end` wraps midnight (`22:00`–`07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

/// The body of `POST /v1/notifications`, and the payload of a notification job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotificationRequest {
    pub channel: Channel,
    pub recipient: Recipient,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub subject: Option<String>,
    /// The text to send; exactly one of `body` and `template` is given.
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub body: Option<String>,
    /// A template name, rendered with `data` by the worker.
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub template: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<Priority>,
    /// When to send; now when absent or past.
    #[serde(
        default,
        with = "crate::json_fields::rfc3339",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub quiet_hours: Option<QuietHours>,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_attempts: Option<u32>,
    /// Opaque to Herald; returned with the job and passed to webhooks.
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A well-formed request with a value Herald will not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The failing field's path in the request, e.g. `recipient.address`.
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error inside a larger document (`notifications[3]` + `recipient`).
    pub fn within(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            message: self.message,
        }
    }
}

fn check(ok: bool, field: &str, message: impl Into<String>) -> Result<(), ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(field, message))
    }
}

fn json_len(map: &serde_json::Map<String, serde_json::Value>) -> usize {
    serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

impl NotificationRequest {
    pub fn priority(&self) -> Priority {
        self.priority.unwrap_or_default()
    }

    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS)
    }

    /// Checks every value, returning the first failing field, or the notification in
    /// its checked form. `now` bounds `sendAt`.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<Notification, ValidationError> {
        let notification = Notification::check(self.clone())?;
        if let Some(at) = self.send_at {
            check(
                at <= now + Duration::days(MAX_SCHEDULE_DAYS),
                "sendAt",
                format!("more than {MAX_SCHEDULE_DAYS} days ahead"),
            )?;
        }
        Ok(notification)
    }

    /// Every check that does not depend on the time of the request: what a stored
    /// payload still passes when the worker reads it back.
    fn check_values(&self) -> Result<(), ValidationError> {
        if let Some(subject) = &self.subject {
            check(!subject.trim().is_empty(), "subject", "must not be empty")?;
            let max = match self.channel {
                Channel::Push => MAX_PUSH_TITLE_CHARS,
                _ => MAX_SUBJECT_CHARS,
            };
            check(
                subject.chars().count() <= max,
                "subject",
                format!("longer than {max} characters for {}", self.channel),
            )?;
        }
        match (&self.body, &self.template) {
            (Some(_), Some(_)) => {
                return Err(ValidationError::new(
                    "template",
                    "give either body or template, not both",
                ))
            }
            (None, None) => {
                return Err(ValidationError::new("body", "body or template is required"))
            }
            (Some(body), None) => {
                check(!body.is_empty(), "body", "must not be empty")?;
                check_body_size(self.channel, body)?;
                check(self.data.is_none(), "data", "data goes with a template")?;
            }
            (None, Some(template)) => {
                check(
                    !template.is_empty()
                        && template.chars().count() <= MAX_TEMPLATE_CHARS
                        && template.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
                        }),
                    "template",
                    format!("a template name is 1 to {MAX_TEMPLATE_CHARS} of A-Z a-z 0-9 - _ . /"),
                )?;
            }
        }
        if let Some(data) = &self.data {
            check(
                json_len(data) <= MAX_DATA_BYTES,
                "data",
                format!("larger than {MAX_DATA_BYTES} bytes"),
            )?;
            storable::check_map("data", data)?;
        }
        if let Some(metadata) = &self.metadata {
            check(
                json_len(metadata) <= MAX_METADATA_BYTES,
                "metadata",
                format!("larger than {MAX_METADATA_BYTES} bytes"),
            )?;
            storable::check_map("metadata", metadata)?;
        }
        if let Some(q) = &self.quiet_hours {
            check(q.start != q.end, "quietHours", "start and end must differ")?;
        }
        if let Some(n) = self.max_attempts {
            check(
                (1..=MAX_ATTEMPTS_LIMIT).contains(&n),
                "maxAttempts",
                format!("must be between 1 and {MAX_ATTEMPTS_LIMIT}"),
            )?;
        }
        Ok(())
    }

    /// Reads a notification job's payload back as the request it was.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(payload)
    }
}

/// The job that delivers `request`, which the caller has checked (the API through
/// [`Notification`], a match host for the results of players it checked at creation).
pub(crate) fn job_of(
    request: &NotificationRequest,
    tenant: TenantId,
) -> Result<NewJob, serde_json::Error> {
    let mut job = NewJob::new(
        JobKind::Notification,
        tenant,
        serde_json::to_value(request)?,
    )
    .priority(request.priority())
    .max_attempts(request.max_attempts());
    if let Some(at) = request.send_at {
        job = job.run_at(at);
    }
    Ok(job)
}

/// A recipient's address, parsed for its channel: the one place an address is read.
/// What the API accepted is what the worker delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// An absolute `http(s)` URL without credentials.
    Webhook(url::Url),
    /// `local@domain`, a dot-atom local part and a domain of at least two labels.
    Email(String),
    /// An E.164 phone number (`+` and 7 to 15 digits).
    Sms(String),
    /// A device registration token.
    Push(String),
    /// Any label: `log` delivers nowhere.
    Log(String),
}

impl Address {
    /// Checks `raw` as an address of `channel` (field `recipient.address`).
    pub fn parse(channel: Channel, raw: &str) -> Result<Self, ValidationError> {
        validate_address(channel, raw)?;
        Ok(match channel {
            Channel::Webhook => Self::Webhook(url::Url::parse(raw).map_err(|e| {
                ValidationError::new("recipient.address", format!("not a URL: {e}"))
            })?),
            Channel::Email => Self::Email(raw.to_owned()),
            Channel::Sms => Self::Sms(raw.to_owned()),
            Channel::Push => Self::Push(raw.to_owned()),
            Channel::Log => Self::Log(raw.to_owned()),
        })
    }

    /// An address read back from a stored payload. The API checked it when it took the
    /// job, so only what a transport needs typed is parsed again: a webhook's URL.
    /// (A provider still refuses what it refuses — an sms number a carrier does not
    /// know — and says so in its answer.)
    fn stored(channel: Channel, raw: &str) -> Result<Self, ValidationError> {
        Ok(match channel {
            Channel::Webhook => {
                let url = url::Url::parse(raw).map_err(|e| {
                    ValidationError::new("recipient.address", format!("bad webhook URL: {e}"))
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(ValidationError::new(
                        "recipient.address",
                        "webhook URL must be http or https",
                    ));
                }
                Self::Webhook(url)
            }
            Channel::Email => Self::Email(raw.to_owned()),
            Channel::Sms => Self::Sms(raw.to_owned()),
            Channel::Push => Self::Push(raw.to_owned()),
            Channel::Log => Self::Log(raw.to_owned()),
        })
    }

    pub fn channel(&self) -> Channel {
        match self {
            Self::Webhook(_) => Channel::Webhook,
            Self::Email(_) => Channel::Email,
            Self::Sms(_) => Channel::Sms,
            Self::Push(_) => Channel::Push,
            Self::Log(_) => Channel::Log,
        }
    }

    /// The address as the client wrote it (a URL as the parser normalised it).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Webhook(url) => url.as_str(),
            Self::Email(s) | Self::Sms(s) | Self::Push(s) | Self::Log(s) => s,
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notification whose every value has been checked, with its address and time zone
/// parsed: built once at the edge (the API from a request, the worker from a stored
/// payload), so nothing downstream parses them again.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    request: NotificationRequest,
    address: Address,
    timezone: Tz,
}

/// A stored payload that is not a notification any more (hand-edited, or written by a
/// version that accepted something this one refuses).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("unreadable notification payload: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("invalid notification payload: {0}")]
    Value(#[from] ValidationError),
}

impl Notification {
    fn check(request: NotificationRequest) -> Result<Self, ValidationError> {
        request.check_values()?;
        let address = Address::parse(request.channel, &request.recipient.address)?;
        let timezone = match &request.recipient.timezone {
            None => Tz::UTC,
            Some(name) => Tz::from_str(name).map_err(|_| {
                ValidationError::new(
                    "recipient.timezone",
                    format!("{name:?} is not an IANA time zone name such as Europe/Paris"),
                )
            })?,
        };
        Ok(Self {
            request,
            address,
            timezone,
        })
    }

    /// Reads a notification job's payload back: the request the API checked and
    /// stored, with its address and zone parsed once. Values are not checked again (a
    /// job stored by an older version with looser rules is still delivered); a zone
    /// this build's tz database does not know (a newer API's) reads as UTC, logged.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, PayloadError> {
        let request = NotificationRequest::from_payload(payload)?;
        let address = Address::stored(request.channel, &request.recipient.address)?;
        let timezone = match &request.recipient.timezone {
            None => Tz::UTC,
            Some(name) => Tz::from_str(name).unwrap_or_else(|_| {
                tracing::warn!(timezone = %name, "unknown time zone; quiet hours read in UTC");
                Tz::UTC
            }),
        };
        Ok(Self {
            request,
            address,
            timezone,
        })
    }

    /// The request, as it is stored.
    pub fn request(&self) -> &NotificationRequest {
        &self.request
    }

    pub fn channel(&self) -> Channel {
        self.request.channel
    }

    pub fn address(&self) -> &Address {
        &self.address
    }

    /// `recipient.timezone`; UTC when absent.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    pub fn priority(&self) -> Priority {
        self.request.priority()
    }

    /// The job that delivers this notification.
    pub fn to_new_job(&self, tenant: TenantId) -> Result<NewJob, serde_json::Error> {
        job_of(&self.request, tenant)
    }

    /// When a notification of `priority` due at `at` may go out, if it must wait for
    /// the recipient's quiet hours to end; `None` to send now. Critical notifications
    /// never wait.
    pub fn quiet_until(&self, priority: Priority, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let quiet = self.request.quiet_hours?;
        if priority == Priority::Critical {
            return None;
        }
        quiet.deferral(at, self.timezone)
    }
}

/// The body limit of each channel: what its provider accepts in one message.
fn check_body_size(channel: Channel, body: &str) -> Result<(), ValidationError> {
    const FIELD: &str = "body";
    match channel {
        Channel::Sms => check(
            body.chars().count() <= MAX_SMS_BODY_CHARS,
            FIELD,
            format!("longer than {MAX_SMS_BODY_CHARS} characters for sms"),
        ),
        Channel::Push => check(
            body.len() <= MAX_PUSH_BODY_BYTES,
            FIELD,
            format!("larger than {MAX_PUSH_BODY_BYTES} bytes for push"),
        ),
        Channel::Email | Channel::Webhook | Channel::Log => check(
            body.len() <= MAX_BODY_BYTES,
            FIELD,
            format!("larger than {MAX_BODY_BYTES} bytes"),
        ),
    }
}

/// A recipient for `channel`: its address ([`validate_address`]) and, when given, a
/// time zone that exists in the tz database (so quiet hours can always be computed).
pub fn validate_recipient(channel: Channel, recipient: &Recipient) -> Result<(), ValidationError> {
    validate_address(channel, &recipient.address)?;
    if let Some(tz) = &recipient.timezone {
        check(
            is_time_zone(tz),
            "recipient.timezone",
            format!("{tz:?} is not an IANA time zone name such as Europe/Paris"),
        )?;
    }
    Ok(())
}

pub fn validate_address(channel: Channel, address: &str) -> Result<(), ValidationError> {
    const FIELD: &str = "recipient.address";
    check(!address.trim().is_empty(), FIELD, "must not be empty")?;
    check(
        address.chars().count() <= MAX_ADDRESS_CHARS,
        FIELD,
        format!("longer than {MAX_ADDRESS_CHARS} characters"),
    )?;
    check(
        !address.chars().any(|c| c.is_whitespace() || c.is_control()),
        FIELD,
        "must not contain spaces or control characters",
    )?;
    match channel {
        Channel::Webhook => check(
            is_http_url(address),
            FIELD,
            "a webhook address is an absolute http:// or https:// URL",
        ),
        Channel::Email => check(
            is_email(address),
            FIELD,
            "not an email address (local@domain)",
        ),
        Channel::Sms => check(
            is_e164(address),
            FIELD,
            "an sms address is an E.164 phone number such as +14155550123",
        ),
        Channel::Push => check(
            address.bytes().all(|b| b.is_ascii_graphic()),
            FIELD,
            "a device token is printable ASCII",
        ),
        Channel::Log => Ok(()),
    }
}

/// `http(s)://host[:port][/...]` with no credentials. The host is a DNS name whose
/// last label starts with a letter, a dotted-quad IPv4 address, or a bracketed IPv6
/// address (without an embedded IPv4 part). That is the grammar the OpenAPI document
/// states (`openapi::patterns::webhook_url`), and every URL it admits parses: the
/// IPv4 shorthands a URL parser would also read as addresses (`127.1`, `0x7f.1`,
/// `2130706433`) are refused, as they are a classic way past address filters.
fn is_http_url(s: &str) -> bool {
    let rest = match s.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            rest
        }
        _ => return false,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || !is_uri_tail(&rest[authority.len()..]) {
        return false;
    }
    if let Some(v6) = authority.strip_prefix('[') {
        return match v6.split_once(']') {
            Some((host, port)) => {
                (port.is_empty() || port.strip_prefix(':').is_some_and(is_port))
                    && !host.contains('.')
                    && host.parse::<std::net::Ipv6Addr>().is_ok()
            }
            None => false,
        };
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) => {
            if !is_port(port) {
                return false;
            }
            host
        }
        None => authority,
    };
    is_dotted_quad(host) || is_host_name(host)
}

/// What follows a URL's authority, as RFC 3986 has it (the document's `format: uri`):
/// a path of `/`-led segments, then `?query`, then `#fragment`, of unreserved
/// characters, sub-delimiters, `:` `@` (and `/` `?` in the query and fragment) and
/// `%XX` escapes. Not a character more: no spaces, no `{`, `|`, `\`, `^`, no non-ASCII.
fn is_uri_tail(tail: &str) -> bool {
    fn chars_ok(part: &str, extra: &[u8]) -> bool {
        let bytes = part.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            let pchar = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b);
            if !(pchar || extra.contains(&b)) {
                return false;
            }
            i += 1;
        }
        true
    }
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    (path.is_empty() || path.starts_with('/'))
        && chars_ok(path, b"/")
        && query.is_none_or(|q| chars_ok(q, b"/?"))
        && fragment.is_none_or(|f| chars_ok(f, b"/?"))
}

/// Four decimal octets 0–255 without leading zeros.
fn is_dotted_quad(host: &str) -> bool {
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.iter().all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && !(o.len() > 1 && o.starts_with('0'))
                && o.parse::<u8>().is_ok()
        })
}

/// Labels of 1 to 63 letters, digits and hyphens, the last starting with a letter (so
/// a URL parser never reads it as an IPv4 address). A name longer than DNS allows (253)
/// is not refused here — a pattern cannot say so — but no resolver finds it, so its
/// delivery fails for good.
fn is_host_name(host: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    host.split('.').all(label_ok)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_alphabetic()))
}

fn is_port(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 5
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u16>().is_ok_and(|p| p > 0)
}

/// `local@domain` (ASCII: an address the SMTP transport can send to without the
/// SMTPUTF8 extension) with an RFC 5322 dot-atom local part (no quoted strings, no
/// comments: nothing that could break out of an SMTP command or header) and a domain
/// of at least two labels. Deliverability is the SMTP server's call; this only
/// refuses what can never be an address.
fn is_email(s: &str) -> bool {
    if s.len() > MAX_EMAIL_CHARS || s.matches('@').count() != 1 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    // RFC 5321's 64-octet local part: the document's `format: email` states it (a
    // pattern could not).
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// `+` then 7 to 15 digits, the first (the country code's) not zero. ITU-T E.164
/// caps numbers at 15 digits and sets no minimum; the shortest in service are 7
/// (Niue, Tokelau: a 3-digit country code and 4 digits), so 7 is the floor.
fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A zone of the IANA tz database as chrono-tz knows it (`UTC`, `Europe/Paris`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+5`), spelled exactly: the worker reads
/// the same name back to compute quiet hours.
fn is_time_zone(s: &str) -> bool {
    s.len() <= 64 && chrono_tz::Tz::from_str(s).is_ok()
}

/// Every name [`validate_recipient`] accepts as `recipient.timezone`, in the tz
/// database's order: the OpenAPI document lists them as an enum.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|name| is_time_zone(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<NotificationRequest, serde_json::Error> {
        serde_json::from_value(v)
    }

    fn field_of(v: serde_json::Value) -> String {
        let req = parse(v).unwrap_or_else(|e| panic!("should parse: {e}"));
        req.validate(Utc::now())
            .err()
            .map(|e| e.field)
            .unwrap_or_else(|| "<valid>".into())
    }

    fn base(channel: &str, address: &str) -> serde_json::Value {
        json!({"channel": channel, "recipient": {"address": address}, "body": "hi"})
    }

    #[test]
    fn a_full_request_round_trips() {
        let v = json!({
            "channel": "email",
            "recipient": {"address": "a@example.com", "timezone": "Europe/Paris"},
            "subject": "Hello",
            "template": "welcome",
            "data": {"name": "Ada"},
            "priority": "high",
            "sendAt": "2030-01-02T03:04:05+01:00",
            "quietHours": {"start": "22:00", "end": "07:30"},
            "maxAttempts": 7,
            "metadata": {"campaign": "x"}
        });
        let req = parse(v).unwrap_or_else(|e| panic!("{e}"));
        let now = DateTime::parse_from_rfc3339("2029-12-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        let checked = req.validate(now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            req.send_at.map(|t| t.to_rfc3339()),
            Some("2030-01-02T02:04:05+00:00".into())
        );
        assert_eq!(req.quiet_hours.map(|q| q.end.minutes()), Some(7 * 60 + 30));
        let payload = serde_json::to_value(&req).unwrap_or_default();
        assert_eq!(payload["sendAt"], "2030-01-02T02:04:05.000Z");
        assert_eq!(payload["quietHours"]["start"], "22:00");
        assert_eq!(
            NotificationRequest::from_payload(&payload).ok(),
            Some(req.clone())
        );
        let tenant = TenantId::parse("t").unwrap_or_else(|e| panic!("{e}"));
        let job = checked.to_new_job(tenant).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(job.priority, Priority::High);
        assert_eq!(job.max_attempts, 7);
        assert!(job.run_at.is_some());
    }

    #[test]
    fn shape_errors_are_serde_errors() {
        let mut unknown = base("log", "x");
        unknown["colour"] = json!("red");
        assert!(parse(unknown).is_err());
        let mut nested = base("log", "x");
        nested["recipient"]["extra"] = json!(1);
        assert!(parse(nested).is_err());
        assert!(parse(base("fax", "x")).is_err());
        let mut bad_time = base("log", "x");
        bad_time["sendAt"] = json!("tomorrow");
        assert!(parse(bad_time).is_err());
        let mut naive = base("log", "x");
        naive["sendAt"] = json!("2030-01-01T00:00:00");
        assert!(parse(naive).is_err(), "an offset is required");
        for bad in ["24:00", "7:00", "07:60", "0700", "ab:cd"] {
            let mut q = base("log", "x");
            q["quietHours"] = json!({"start": bad, "end": "08:00"});
            assert!(parse(q).is_err(), "{bad} accepted");
        }
        let mut prio = base("log", "x");
        prio["priority"] = json!("urgent");
        assert!(parse(prio).is_err());
    }

    #[test]
    fn addresses_are_checked_per_channel() {
        for ok in [
            "https://example.com/hook",
            "http://10.0.0.1:8080/x?y=1",
            "https://[::1]:9/p",
        ] {
            assert_eq!(field_of(base("webhook", ok)), "<valid>", "{ok}");
        }
        for bad in [
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://2130706433/",
            "http://1.2.3.4.5/",
            "http://256.1.1.1/",
            "http://01.2.3.4/",
            "http://example.123/",
            "http://[::ffff:127.0.0.1]/",
            "http://[0]/",
            "http://[::1/",
            "http://a..b/",
            "http://example.com./",
            "http://example.com/\u{e9}",
            "http://example.com/a|b",
            "http://example.com/{x}",
            "http://example.com/?x=[1]",
            "http://example.com/%zz",
            "http://example.com/%2",
            "http://example.com/#a#b",
            "http://example.com/a\\b",
            "http://example.com/a^b",
            "ftp://example.com",
            "example.com/hook",
            "https://",
            "https://user:pw@example.com",
            "https://exa mple.com",
            "https://example.com:99999/",
        ] {
            assert_eq!(field_of(base("webhook", bad)), "recipient.address", "{bad}");
        }
        for ok in [
            "a@b.co",
            "first.last+tag@mail.example.com",
            "o'brien@example.ie",
            "user@xn--bcher-kva.example",
        ] {
            assert_eq!(field_of(base("email", ok)), "<valid>", "{ok}");
        }
        for ok in [
            "http://1.2.3.4:0080/",
            "https://a-1.b2.example/x?y#z",
            "http://[1::]/",
            "https://example.com/a%20b/~!$&'()*+,;=:@?q=/?#f/?",
            "https://example.com?x",
            "https://example.com#",
        ] {
            assert_eq!(field_of(base("webhook", ok)), "<valid>", "{ok}");
        }
        for bad in ["\u{e9}l\u{e8}ve@example.fr", "a@b\u{fc}cher.example"] {
            assert_eq!(field_of(base("email", bad)), "recipient.address", "{bad}");
        }
        assert_eq!(field_of(base("push", "t\u{f6}ken")), "recipient.address");
        for bad in [
            "ab.co",
            "a@@b.co",
            "a@b@c.co",
            "@b.co",
            "a@bco",
            "a@.b.co",
            "a@b.co.",
            "a..b@c.co",
            ".a@b.co",
            "a.@b.co",
            "\"a\"@b.co",
            "a<b>@c.co",
            "a,b@c.co",
            "a@-b.co",
            "a@b-.co",
            "a@b_c.co",
        ] {
            assert_eq!(field_of(base("email", bad)), "recipient.address", "{bad}");
        }
        for ok in ["+14155550123", "+6834002", "+123456789012345"] {
            assert_eq!(field_of(base("sms", ok)), "<valid>", "{ok}");
        }
        for bad in [
            "14155550123",
            "+0123456789",
            "+123",
            "+683400",
            "+1234567890123456",
            "+1415555012a",
            "+1 415 555 0123",
            "+1-415-555-0123",
            "++14155550123",
        ] {
            assert_eq!(field_of(base("sms", bad)), "recipient.address", "{bad}");
        }
        assert_eq!(field_of(base("push", "device-token-1")), "<valid>");
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "gopher://example.com/",
            "//example.com/hook",
        ] {
            assert_eq!(field_of(base("webhook", bad)), "recipient.address", "{bad}");
        }
        assert_eq!(field_of(base("log", "")), "recipient.address");
    }

    /// Each channel's body limit, at the limit and one past it.
    #[test]
    fn body_size_is_limited_per_channel() {
        let with_body = |channel: &str, address: &str, body: String| {
            let mut v = base(channel, address);
            v["body"] = json!(body);
            field_of(v)
        };
        let sms = "+14155550123";
        // Characters, not bytes: 1600 two-byte characters are one valid sms.
        assert_eq!(
            with_body("sms", sms, "é".repeat(MAX_SMS_BODY_CHARS)),
            "<valid>"
        );
        assert_eq!(
            with_body("sms", sms, "x".repeat(MAX_SMS_BODY_CHARS + 1)),
            "body"
        );
        assert_eq!(
            with_body("push", "tok", "x".repeat(MAX_PUSH_BODY_BYTES)),
            "<valid>"
        );
        assert_eq!(
            with_body("push", "tok", "x".repeat(MAX_PUSH_BODY_BYTES + 1)),
            "body"
        );
        for (channel, address) in [
            ("email", "a@b.co"),
            ("webhook", "https://example.com/h"),
            ("log", "x"),
        ] {
            assert_eq!(
                with_body(channel, address, "x".repeat(MAX_BODY_BYTES)),
                "<valid>",
                "{channel}"
            );
            assert_eq!(
                with_body(channel, address, "x".repeat(MAX_BODY_BYTES + 1)),
                "body",
                "{channel}"
            );
        }
        let titled = |channel: &str, address: &str, chars: usize| {
            let mut v = base(channel, address);
            v["subject"] = json!("t".repeat(chars));
            field_of(v)
        };
        assert_eq!(titled("push", "tok", MAX_PUSH_TITLE_CHARS), "<valid>");
        assert_eq!(titled("push", "tok", MAX_PUSH_TITLE_CHARS + 1), "subject");
        assert_eq!(titled("email", "a@b.co", MAX_SUBJECT_CHARS), "<valid>");
        assert_eq!(titled("email", "a@b.co", MAX_SUBJECT_CHARS + 1), "subject");
    }

    #[test]
    fn content_and_limits_are_checked() {
        let mut neither = base("log", "x");
        neither.as_object_mut().map(|o| o.remove("body"));
        assert_eq!(field_of(neither), "body");
        let mut both = base("log", "x");
        both["template"] = json!("t");
        assert_eq!(field_of(both), "template");
        let mut data_without_template = base("log", "x");
        data_without_template["data"] = json!({"a": 1});
        assert_eq!(field_of(data_without_template), "data");
        let mut big = base("log", "x");
        big["body"] = json!("x".repeat(MAX_BODY_BYTES + 1));
        assert_eq!(field_of(big), "body");
        for (n, ok) in [(0, false), (1, true), (25, true), (26, false)] {
            let mut v = base("log", "x");
            v["maxAttempts"] = json!(n);
            assert_eq!(field_of(v) == "<valid>", ok, "maxAttempts {n}");
        }
        let mut far = base("log", "x");
        far["sendAt"] = json!("2999-01-01T00:00:00Z");
        assert_eq!(field_of(far), "sendAt");
        for (zone, ok) in [
            ("Europe/Paris", true),
            ("America/Argentina/Buenos_Aires", true),
            ("UTC", true),
            ("Etc/GMT+5", true),
            ("not a zone", false),
            ("Europe/Atlantis", false),
            ("Mars/Olympus_Mons", false),
            ("europe/paris", false),
            ("", false),
        ] {
            let mut tz = base("log", "x");
            tz["recipient"]["timezone"] = json!(zone);
            let expected = if ok { "<valid>" } else { "recipient.timezone" };
            assert_eq!(field_of(tz), expected, "timezone {zone:?}");
        }
        let mut same = base("log", "x");
        same["quietHours"] = json!({"start": "08:00", "end": "08:00"});
        assert_eq!(field_of(same), "quietHours");
        let e = ValidationError::new("recipient.address", "bad").within("notifications[2]");
        assert_eq!(e.field, "notifications[2].recipient.address");
    }
}
