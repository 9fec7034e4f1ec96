//! Webhook signatures: how a receiver knows that a delivery came from Herald and that
//! its body was not altered on the way.
//!
//! One scheme today, [`HeraldSignature`]: `X-Herald-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of the exact body bytes under the tenant's secret (`WEBHOOK_SECRETS`),
//! in lowercase hex. The worker signs with it; receivers — the load test's sink, the
//! tests' sinks — verify with it. A scheme is a type that names its header, signs and
//! verifies; another one (Standard Webhooks' `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64>`, which signs the id and timestamp too) belongs
//! beside this one, with its own type and the same [`Invalid`].

use std::fmt;

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
