//! The private market's client-side cryptography.
//!
//! - An item's private fields are encrypted with a fresh random item key
//!   (ChaCha20-Poly1305, 32-byte key, 12-byte random nonce).
//! - The item key is sealed to a reader's x25519 public key: an ephemeral
//!   x25519 key agreement, HKDF-SHA256 over the shared secret (salted with
//!   both public keys) to a one-time key, then ChaCha20-Poly1305 with both
//!   public keys as associated data. Sealed to the agent when listing, to
//!   the buyer when delivering.
//! - The plaintext's SHA-256 goes on chain, so that a delivery can be
//!   checked and audited without revealing the data.
//!
//! Every primitive comes from a maintained crate (x25519-dalek, chacha20poly1305, hkdf, sha2).

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    ChaCha20Poly1305, Key, Nonce,
};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

const SEAL_INFO: &[u8] = b"cpchain/market/v1/seal";
const ITEM_AAD: &[u8] = b"cpchain/market/v1/item";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Length of a sealed item key: ephemeral public key, nonce, key, tag.
pub const SEALED_KEY_LEN: usize = 32 + NONCE_LEN + 32 + TAG_LEN;

#[derive(Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// Too short to be a ciphertext of this scheme.
    Malformed,
    /// Wrong key, or the ciphertext was changed.
    Rejected,
    /// The other side's public key is a low-order point.
    WeakKey,
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CryptoError::Malformed => "not a ciphertext of the market's scheme",
            CryptoError::Rejected => "decryption failed: wrong key or tampered ciphertext",
            CryptoError::WeakKey => "the public key is not usable for key agreement",
        })
    }
}

/// An x25519 key pair for receiving sealed keys.
pub struct EncryptionKeypair {
    secret: StaticSecret,
}

impl EncryptionKeypair {
    pub fn generate() -> Self {
        Self {
            secret: StaticSecret::random_from_rng(OsRng),
        }
    }

    pub fn from_secret(secret: [u8; 32]) -> Self {
        Self {
            secret: StaticSecret::from(secret),
        }
    }

    pub fn secret(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    pub fn public(&self) -> [u8; 32] {
        PublicKey::from(&self.secret).to_bytes()
    }

    /// Opens a key sealed to this key pair.
    pub fn open(&self, sealed: &[u8]) -> Result<[u8; 32], CryptoError> {
        if sealed.len() != SEALED_KEY_LEN {
            return Err(CryptoError::Malformed);
        }
        let ephemeral: [u8; 32] = sealed[..32]
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(ephemeral));
        if !shared.was_contributory() {
            return Err(CryptoError::WeakKey);
        }
        let cipher = seal_cipher(shared.as_bytes(), &ephemeral, &self.public());
        let nonce: [u8; NONCE_LEN] = sealed[32..32 + NONCE_LEN]
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        let nonce = Nonce::from(nonce);
        let aad = [ephemeral, self.public()].concat();
        let key = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed[32 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Rejected)?;
        key.try_into().map_err(|_| CryptoError::Malformed)
    }
}

fn seal_cipher(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> ChaCha20Poly1305 {
    let salt = [*ephemeral, *recipient].concat();
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt), shared)
        .expand(SEAL_INFO, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    ChaCha20Poly1305::new(&Key::from(key))
}

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    nonce
}

/// A fresh random item key.
pub fn generate_item_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    key
}

/// Seals `item_key` to `recipient`'s public key.
pub fn seal_key(item_key: &[u8; 32], recipient: &[u8; 32]) -> Result<Vec<u8>, CryptoError> {
    let ephemeral = StaticSecret::random_from_rng(OsRng);
    let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
    if !shared.was_contributory() {
        return Err(CryptoError::WeakKey);
    }
    let cipher = seal_cipher(shared.as_bytes(), &ephemeral_public, recipient);
    let nonce = random_nonce();
    let aad = [ephemeral_public, *recipient].concat();
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: item_key,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Rejected)?;
    Ok([&ephemeral_public[..], &nonce, &ciphertext].concat())
}

/// Encrypts an item's private fields with its key: nonce ‖ ciphertext.
pub fn encrypt_fields(item_key: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    let nonce = random_nonce();
    let ciphertext = ChaCha20Poly1305::new(&Key::from(*item_key))
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: ITEM_AAD,
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any length the chain accepts");
    [&nonce[..], &ciphertext].concat()
}

/// Decrypts what [`encrypt_fields`] produced.
pub fn decrypt_fields(item_key: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    let nonce: [u8; NONCE_LEN] = sealed[..NONCE_LEN]
        .try_into()
        .map_err(|_| CryptoError::Malformed)?;
    ChaCha20Poly1305::new(&Key::from(*item_key))
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &sealed[NONCE_LEN..],
                aad: ITEM_AAD,
            },
        )
        .map_err(|_| CryptoError::Rejected)
}

/// The plaintext hash the chain records.
pub fn plaintext_hash(plaintext: &[u8]) -> [u8; 32] {
    Sha256::digest(plaintext).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[u8] = br#"{"name":"weather 2026","ipfs_cid":"bafy...","description":"hourly"}"#;

    #[test]
    fn the_buyer_recovers_the_data_through_the_sealed_key() {
        let (agent, buyer) = (EncryptionKeypair::generate(), EncryptionKeypair::generate());
        let item_key = generate_item_key();
        let sealed_fields = encrypt_fields(&item_key, FIELDS);
        let for_agent = seal_key(&item_key, &agent.public()).unwrap();
        let for_buyer = seal_key(&item_key, &buyer.public()).unwrap();
        assert_eq!(for_buyer.len(), SEALED_KEY_LEN);
        assert_eq!(agent.open(&for_agent), Ok(item_key));
        let key = buyer.open(&for_buyer).unwrap();
        let fields = decrypt_fields(&key, &sealed_fields).unwrap();
        assert_eq!(fields, FIELDS);
        assert_eq!(plaintext_hash(&fields), plaintext_hash(FIELDS));
        // The same key pair from its stored secret.
        let restored = EncryptionKeypair::from_secret(buyer.secret());
        assert_eq!(restored.public(), buyer.public());
        assert_eq!(restored.open(&for_buyer), Ok(item_key));
    }

    #[test]
    fn a_non_participant_cannot_open_the_key_or_the_data() {
        let buyer = EncryptionKeypair::generate();
        let outsider = EncryptionKeypair::generate();
        let item_key = generate_item_key();
        let for_buyer = seal_key(&item_key, &buyer.public()).unwrap();
        assert_eq!(outsider.open(&for_buyer), Err(CryptoError::Rejected));
        let sealed_fields = encrypt_fields(&item_key, FIELDS);
        assert_eq!(
            decrypt_fields(&generate_item_key(), &sealed_fields),
            Err(CryptoError::Rejected)
        );
        // Nothing of the plaintext shows in what the chain stores.
        assert!(!sealed_fields.windows(7).any(|w| w == b"weather"));
    }

    #[test]
    fn tampered_ciphertexts_are_rejected() {
        let buyer = EncryptionKeypair::generate();
        let item_key = generate_item_key();
        let for_buyer = seal_key(&item_key, &buyer.public()).unwrap();
        for i in [0, 32, 44, SEALED_KEY_LEN - 1] {
            let mut tampered = for_buyer.clone();
            tampered[i] ^= 1;
            assert!(buyer.open(&tampered).is_err(), "byte {i}");
        }
        assert_eq!(buyer.open(&for_buyer[1..]), Err(CryptoError::Malformed));
        let sealed_fields = encrypt_fields(&item_key, FIELDS);
        for i in [0, NONCE_LEN, sealed_fields.len() - 1] {
            let mut tampered = sealed_fields.clone();
            tampered[i] ^= 0x80;
            assert_eq!(
                decrypt_fields(&item_key, &tampered),
                Err(CryptoError::Rejected)
            );
        }
        assert_eq!(
            decrypt_fields(&item_key, &[0; 5]),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn low_order_public_keys_are_refused() {
        // The identity point: every shared secret with it is zero.
        assert_eq!(
            seal_key(&generate_item_key(), &[0; 32]),
            Err(CryptoError::WeakKey)
        );
    }
}
