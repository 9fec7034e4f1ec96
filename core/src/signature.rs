//! Webhook signatures: how a receiver knows that a delivery came from Herald, that its
//! body was not altered on the way, and (with Standard Webhooks) that it is not a replay.
//!
//! Two schemes, each a type that names its headers, signs and verifies, sharing
//! [`Invalid`]; the worker sends both ([`signed_headers`]), receivers — the load test's
//! sink, the tests' sinks — verify with these types:
//! - [`StandardSignature`], the [Standard Webhooks] scheme: `webhook-id` (the job id),
//!   `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64>`, the
//!   HMAC-SHA256 of `id.timestamp.body`. Any Standard Webhooks library verifies it and
//!   refuses a timestamp outside its tolerance, so a captured delivery cannot be
//!   replayed later.
//! - [`HeraldSignature`], Herald's first scheme: `X-Herald-Signature: sha256=<hex>`, the
//!   HMAC-SHA256 of the body alone. Kept for one release, for receivers that verify it
//!   today; it does not protect against replays.
//!
//! The key is the tenant's `WEBHOOK_SECRETS` entry. A secret written as Standard
//! Webhooks prints them, `whsec_<base64>`, is keyed by its decoded bytes (as those
//! libraries do); any other secret by its own bytes, which a library verifies when given
//! `whsec_` followed by the secret in base64 (`docs/channels.md`).
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::digest::{Digest, Key, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The header is not in the scheme's format.
    #[error("malformed signature header")]
    Malformed,
    /// Well formed, but not the body's signature under this secret.
    #[error("signature does not match the body")]
    Mismatch,
    /// Signed, but at a time outside the receiver's tolerance: a replay, or a clock
    /// far off.
    #[error("signature timestamp outside the tolerance")]
    Stale,
}

/// Every signature header of one delivery, both schemes: `(name, value)` pairs.
pub fn signed_headers(
    secret: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> [(&'static str, String); 4] {
    [
        (StandardSignature::ID_HEADER, id.to_owned()),
        (StandardSignature::TIMESTAMP_HEADER, timestamp.to_string()),
        (
            StandardSignature::HEADER,
            StandardSignature::sign(secret, id, timestamp, body).to_string(),
        ),
        (
            HeraldSignature::HEADER,
            HeraldSignature::sign(secret, body).to_string(),
        ),
    ]
}

/// The Standard Webhooks scheme: `webhook-signature: v1,<base64 HMAC-SHA256 of
/// id.timestamp.body>`. No `PartialEq`: check with [`StandardSignature::verify`].
#[derive(Clone)]
pub struct StandardSignature([u8; 32]);

impl StandardSignature {
    pub const ID_HEADER: &'static str = "webhook-id";
    pub const TIMESTAMP_HEADER: &'static str = "webhook-timestamp";
    pub const HEADER: &'static str = "webhook-signature";
    /// The libraries' default tolerance either side of the receiver's clock.
    pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
    const VERSION: &'static str = "v1,";
    const SECRET_PREFIX: &'static str = "whsec_";

    /// The signature of delivery `id`, sent at `timestamp` (Unix seconds), of `body`.
    pub fn sign(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Self {
        Self(
            Self::mac(secret, id, timestamp, body)
                .finalize()
                .into_bytes()
                .into(),
        )
    }

    /// Checks received headers: the timestamp within `tolerance_secs` of `now` (Unix
    /// seconds), and one of the space-separated signatures of `signature_header` this
    /// delivery's, compared in constant time. Signatures of other versions are skipped,
    /// as the specification asks.
    pub fn verify(
        secret: &[u8],
        id: &str,
        timestamp_header: &str,
        body: &[u8],
        signature_header: &str,
        now: i64,
        tolerance_secs: i64,
    ) -> Result<(), Invalid> {
        let timestamp: i64 = timestamp_header
            .trim()
            .parse()
            .map_err(|_| Invalid::Malformed)?;
        if now.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
            return Err(Invalid::Stale);
        }
        let mut seen = false;
        for part in signature_header.split(' ').filter(|p| !p.is_empty()) {
            let Some(encoded) = part.strip_prefix(Self::VERSION) else {
                continue;
            };
            seen = true;
            let Ok(claimed) = BASE64.decode(encoded) else {
                continue;
            };
            if Self::mac(secret, id, timestamp, body)
                .verify_slice(&claimed)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(if seen {
            Invalid::Mismatch
        } else {
            Invalid::Malformed
        })
    }

    fn mac(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = keyed(&Self::key(secret));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `whsec_<base64>` is keyed by its decoded bytes; anything else by its own.
    fn key(secret: &[u8]) -> Cow<'_, [u8]> {
        secret
            .strip_prefix(Self::SECRET_PREFIX.as_bytes())
            .and_then(|encoded| BASE64.decode(encoded).ok())
            .map_or(Cow::Borrowed(secret), Cow::Owned)
    }

    /// The secret as a Standard Webhooks library takes it: `whsec_<base64>`.
    pub fn library_secret(secret: &[u8]) -> String {
        format!(
            "{}{}",
            Self::SECRET_PREFIX,
            BASE64.encode(Self::key(secret))
        )
    }
}

impl fmt::Display for StandardSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::VERSION, BASE64.encode(self.0))
    }
}

impl fmt::Debug for StandardSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StandardSignature({self})")
    }
}

/// Herald's own scheme: `X-Herald-Signature: sha256=<64 hex digits>`, written in
/// lowercase (either case verifies). No `PartialEq`: a signature is checked with
/// [`HeraldSignature::verify`], in constant time, not with `==`.
#[derive(Clone)]
pub struct HeraldSignature([u8; 32]);

impl HeraldSignature {
    /// The header it travels in; lowercase, so it is a valid `HeaderName` as it is.
    pub const HEADER: &'static str = "x-herald-signature";
    const PREFIX: &'static str = "sha256=";

    /// The signature of `body` under `secret`; its `Display` is the header value.
    pub fn sign(secret: &[u8], body: &[u8]) -> Self {
        let mut mac = keyed(secret);
        mac.update(body);
        Self(mac.finalize().into_bytes().into())
    }

    /// Checks a received header value against `body` and `secret`, comparing in
    /// constant time.
    pub fn verify(secret: &[u8], body: &[u8], header: &str) -> Result<(), Invalid> {
        let claimed = Self::parse(header)?;
        let mut mac = keyed(secret);
        mac.update(body);
        mac.verify_slice(&claimed.0).map_err(|_| Invalid::Mismatch)
    }

    /// A header value in this scheme's format (not yet checked against anything).
    pub fn parse(header: &str) -> Result<Self, Invalid> {
        let digits = header
            .strip_prefix(Self::PREFIX)
            .ok_or(Invalid::Malformed)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(digits, &mut bytes).map_err(|_| Invalid::Malformed)?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for HeraldSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, hex::encode(self.0))
    }
}

impl fmt::Debug for HeraldSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeraldSignature({self})")
    }
}

/// HMAC-SHA256 keyed with `secret`, any length. The key block is built as RFC 2104
/// says — a secret longer than SHA-256's 64-byte block is hashed first, then it is
/// zero-padded to the block — which is what `new_from_slice` does, without the
/// `Result` that it can never return as `Err` for HMAC.
fn keyed(secret: &[u8]) -> HmacSha256 {
    let mut block = Key::<HmacSha256>::default();
    if secret.len() > block.len() {
        let digest = Sha256::digest(secret);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..secret.len()].copy_from_slice(secret);
    }
    <HmacSha256 as KeyInit>::new(&block)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's own test vector (the reference libraries' tests).
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn standard_signatures_match_the_specification() {
        let sig =
            StandardSignature::sign(SPEC_SECRET.as_bytes(), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        assert_eq!(sig.to_string(), SPEC_SIGNATURE);
        let verify = |header: &str, now: i64| {
            StandardSignature::verify(
                SPEC_SECRET.as_bytes(),
                SPEC_ID,
                &SPEC_TIMESTAMP.to_string(),
                SPEC_BODY,
                header,
                now,
                StandardSignature::DEFAULT_TOLERANCE_SECS,
            )
        };
        assert_eq!(verify(SPEC_SIGNATURE, SPEC_TIMESTAMP + 10), Ok(()));
        // Several signatures (a key rotation), other versions skipped.
        let several = format!("v1a,xyz v1,AAAA {SPEC_SIGNATURE}");
        assert_eq!(verify(&several, SPEC_TIMESTAMP), Ok(()));
        // Replays outside the tolerance, either way.
        assert_eq!(
            verify(SPEC_SIGNATURE, SPEC_TIMESTAMP + 301),
            Err(Invalid::Stale)
        );
        assert_eq!(
            verify(SPEC_SIGNATURE, SPEC_TIMESTAMP - 301),
            Err(Invalid::Stale)
        );
        assert_eq!(verify("v1,AAAA", SPEC_TIMESTAMP), Err(Invalid::Mismatch));
        assert_eq!(verify("sha256=00", SPEC_TIMESTAMP), Err(Invalid::Malformed));
    }

    #[test]
    fn a_plain_secret_is_keyed_by_its_bytes_and_its_library_form_says_so() {
        let body = b"{\"a\":1}";
        let plain = StandardSignature::sign(b"s3cret", "job-1", 1_700_000_000, body);
        let library = StandardSignature::library_secret(b"s3cret");
        assert_eq!(library, "whsec_czNjcmV0");
        let same = StandardSignature::sign(library.as_bytes(), "job-1", 1_700_000_000, body);
        assert_eq!(plain.to_string(), same.to_string());
        // The id and timestamp are signed: another id does not verify.
        let header = plain.to_string();
        assert_eq!(
            StandardSignature::verify(
                b"s3cret",
                "job-2",
                "1700000000",
                body,
                &header,
                1_700_000_000,
                300
            ),
            Err(Invalid::Mismatch)
        );
    }

    #[test]
    fn signed_headers_carry_both_schemes() {
        let headers = signed_headers(b"s3cret", "job-1", 1_700_000_000, b"{}");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("webhook-id"), "job-1");
        assert_eq!(get("webhook-timestamp"), "1700000000");
        assert_eq!(
            StandardSignature::verify(
                b"s3cret",
                "job-1",
                "1700000000",
                b"{}",
                &get("webhook-signature"),
                1_700_000_000,
                300
            ),
            Ok(())
        );
        assert_eq!(
            HeraldSignature::verify(b"s3cret", b"{}", &get(HeraldSignature::HEADER)),
            Ok(())
        );
    }

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        let sig = HeraldSignature::sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig.to_string(),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_secret_longer_than_the_block_is_hashed_first() {
        // RFC 4231 test case 6: a 131-byte key.
        let sig = HeraldSignature::sign(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            sig.to_string(),
            "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_signature_verifies_with_its_secret_and_body() {
        let header = HeraldSignature::sign(b"s3cret", b"{\"a\":1}").to_string();
        assert_eq!(
            HeraldSignature::verify(b"s3cret", b"{\"a\":1}", &header),
            Ok(())
        );
        // Upper-case hex is the same signature.
        let upper = format!("sha256={}", header["sha256=".len()..].to_uppercase());
        assert_eq!(
            HeraldSignature::verify(b"s3cret", b"{\"a\":1}", &upper),
            Ok(())
        );
    }

    #[test]
    fn another_secret_does_not_verify() {
        let header = HeraldSignature::sign(b"s3cret", b"{\"a\":1}").to_string();
        assert_eq!(
            HeraldSignature::verify(b"other", b"{\"a\":1}", &header),
            Err(Invalid::Mismatch)
        );
    }

    #[test]
    fn another_body_does_not_verify() {
        let header = HeraldSignature::sign(b"s3cret", b"{\"a\":1}").to_string();
        assert_eq!(
            HeraldSignature::verify(b"s3cret", b"{\"a\":2}", &header),
            Err(Invalid::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_refused_as_such() {
        let header = HeraldSignature::sign(b"s3cret", b"{\"a\":1}").to_string();
        let digits = header.trim_start_matches("sha256=");
        for bad in [
            "",
            digits,
            "sha256=",
            "sha256=zz",
            &format!("sha1={digits}"),
            &format!("sha256={}", &digits[..62]),
            &format!("sha256={digits}00"),
            &format!(" {header}"),
        ] {
            assert_eq!(
                HeraldSignature::verify(b"s3cret", b"{\"a\":1}", bad),
                Err(Invalid::Malformed),
                "{bad:?}"
            );
        }
    }
}
