//! Signed manifests. A publisher signs the exact bytes of `cases/<id>/manifest.json` with Ed25519 and
//! publishes the signature beside it as `manifest.json.sig`:
//!
//! ```json
//! {"schema_version":1,"algorithm":"ed25519","public_key":"<base64, 32 bytes>","signature":"<base64, 64 bytes>"}
//! ```
//!
//! The signed message is `courtdeck-manifest-v1\0` followed by the manifest's bytes (the prefix keeps
//! a manifest signature from meaning anything elsewhere). A detached signature over bytes needs no
//! canonical JSON: what was signed is exactly what is parsed.
//!
//! When a kiosk's config names trusted publisher keys, a manifest without a signature, with one by
//! another key, or with one that does not match is refused with a message saying which.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::StoreError;

const CONTEXT: &[u8] = b"courtdeck-manifest-v1\0";
const MAX_SIG_BYTES: usize = 4096;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureDoc {
    schema_version: u32,
    algorithm: String,
    public_key: String,
    signature: String,
}

/// The publisher keys a kiosk trusts. Empty: signatures are not required (and not checked).
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys(Vec<VerifyingKey>);

impl TrustedKeys {
    /// From base64 public keys (as `courtdeck keygen` prints them).
    pub fn parse(keys: &[String]) -> Result<TrustedKeys, String> {
        keys.iter()
            .map(|k| parse_public_key(k).map_err(|e| format!("trusted key {k:?}: {e}")))
            .collect::<Result<_, _>>()
            .map(TrustedKeys)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks `signature` (the `.sig` document, if the store has one) over `manifest` for `what`.
    pub fn check(
        &self,
        what: &str,
        manifest: &[u8],
        signature: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let refuse = |why: String| {
            StoreError::Invalid(format!(
                "the manifest of {what} was refused: {why}. This kiosk accepts only manifests signed by a trusted publisher"
            ))
        };
        let Some(sig) = signature else {
            return Err(refuse("it is not signed (no manifest.json.sig)".into()));
        };
        if sig.len() > MAX_SIG_BYTES {
            return Err(refuse("its signature file is too large".into()));
        }
        let doc: SignatureDoc = serde_json::from_slice(sig)
            .map_err(|e| refuse(format!("its signature file is not valid: {e}")))?;
        if doc.schema_version != 1 || doc.algorithm != "ed25519" {
            return Err(refuse(format!(
                "its signature is {} (schema {}), not ed25519 (schema 1)",
                doc.algorithm, doc.schema_version
            )));
        }
        let key = parse_public_key(&doc.public_key).map_err(refuse)?;
        if !self.0.contains(&key) {
            return Err(refuse(format!(
                "it is signed by key {}, which is not a trusted publisher key",
                doc.public_key
            )));
        }
        let bytes: [u8; 64] = B64
            .decode(&doc.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| refuse("its signature is not 64 bytes of base64".into()))?;
        key.verify_strict(&message(manifest), &Signature::from_bytes(&bytes))
            .map_err(|_| {
                refuse(
                    "its signature does not match: the manifest was changed after it was signed"
                        .into(),
                )
            })
    }
}

fn message(manifest: &[u8]) -> Vec<u8> {
    [CONTEXT, manifest].concat()
}

fn parse_public_key(k: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = B64
        .decode(k.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("not 32 bytes of base64")?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// A publisher's private key, as kept in a key file (base64 of the 32-byte seed).
#[derive(Debug)]
pub struct PublisherKey(SigningKey);

impl PublisherKey {
    pub fn generate() -> Result<PublisherKey, String> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
        Ok(PublisherKey(SigningKey::from_bytes(&seed)))
    }

    pub fn from_file_text(text: &str) -> Result<PublisherKey, String> {
        let seed: [u8; 32] = B64
            .decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the key file must hold 32 bytes of base64 (made by `courtdeck keygen`)")?;
        Ok(PublisherKey(SigningKey::from_bytes(&seed)))
    }

    pub fn to_file_text(&self) -> String {
        format!("{}\n", B64.encode(self.0.to_bytes()))
    }

    /// The public key to put in kiosks' `[trust] publisher_keys`.
    pub fn public_key(&self) -> String {
        B64.encode(self.0.verifying_key().to_bytes())
    }

    /// The `manifest.json.sig` document for `manifest`.
    pub fn sign(&self, manifest: &[u8]) -> Vec<u8> {
        let doc = SignatureDoc {
            schema_version: 1,
            algorithm: "ed25519".into(),
            public_key: self.public_key(),
            signature: B64.encode(self.0.sign(&message(manifest)).to_bytes()),
        };
        serde_json::to_vec_pretty(&doc).expect("serialisable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_manifests_verify_and_everything_else_is_refused_by_name() {
        let publisher = PublisherKey::generate().unwrap();
        let other = PublisherKey::generate().unwrap();
        let trusted = TrustedKeys::parse(&[publisher.public_key()]).unwrap();
        let manifest = br#"{"schema_version":1,"case_id":"A-1"}"#;
        let sig = publisher.sign(manifest);
        trusted.check("case A-1", manifest, Some(&sig)).unwrap();

        let refused =
            |m: &[u8], s: Option<&[u8]>| trusted.check("case A-1", m, s).unwrap_err().to_string();
        assert!(refused(manifest, None).contains("not signed"));
        let mut altered = manifest.to_vec();
        altered[20] ^= 1;
        assert!(refused(&altered, Some(&sig)).contains("changed after it was signed"));
        assert!(
            refused(manifest, Some(&other.sign(manifest))).contains("not a trusted publisher key")
        );
        assert!(refused(manifest, Some(b"{}")).contains("not valid"));
        assert!(refused(manifest, Some(&vec![b' '; 5000])).contains("too large"));
        // A signature made for other bytes with the right key does not transfer.
        assert!(refused(manifest, Some(&publisher.sign(b"other"))).contains("changed after"));

        // No trusted keys: no policy.
        TrustedKeys::default()
            .check("case A-1", &altered, None)
            .unwrap();
        // Key files round-trip.
        let again = PublisherKey::from_file_text(&publisher.to_file_text()).unwrap();
        assert_eq!(again.public_key(), publisher.public_key());
        assert!(TrustedKeys::parse(&["not-a-key".into()]).is_err());
    }
}
