//! The private market's client-side cryptography.
//!
//! - An item's private fields are encrypted with a fresh random item key
//!   (ChaCha20-Poly1305, 32-byte key, 12-byte random nonce). The sealed
//!   plaintext is a fresh random 32-byte salt followed by the fields.
//! - The plaintext hash on chain is SHA-256(salt ‖ fields): a delivery can
//!   be checked and audited without revealing the data, and low-entropy
//!   fields cannot be confirmed offline by hashing guesses, since the salt
//!   is only inside the ciphertext.
//! - The item key is sealed to a reader's x25519 public key: an ephemeral
//!   x25519 key agreement, HKDF-SHA256 over the shared secret (salted with
//!   both public keys) to a one-time key, then ChaCha20-Poly1305. Sealed to
//!   the agent when listing, to the buyer's per-order key when delivering.
//! - Every ciphertext is bound to its listing ([`Binding`]): the associated
//!   data names the seller and the salted plaintext hash, so a sealed box
//!   copied onto another seller's item, or onto another item, does not
//!   open. The item id is not used: it is assigned only when the listing
//!   lands, while the salted hash is fixed by the seller before and is as
//!   unique as an id (a random 32-byte salt), so binding to it needs no
//!   guess of the next id and no retry when another listing takes it.
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

const SEAL_INFO: &[u8] = b"cpchain/market/v2/seal";
const ITEM_AAD: &[u8] = b"cpchain/market/v2/item";
const KEY_AAD: &[u8] = b"cpchain/market/v2/key";
const NONCE_LEN: usize = 12;
const SALT_LEN: usize = 32;
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

/// The listing a ciphertext belongs to: its seller's account and its
/// salted plaintext hash.
#[derive(Clone, Copy)]
pub struct Binding<'a> {
    pub seller: &'a [u8; 32],
    pub plaintext_hash: &'a [u8; 32],
}

impl Binding<'_> {
    fn aad(&self, domain: &[u8], extra: &[&[u8; 32]]) -> Vec<u8> {
        let mut aad = [domain, self.seller, self.plaintext_hash].concat();
        for part in extra {
            aad.extend_from_slice(*part);
        }
        aad
    }
}

/// A listing's sealed fields and the hash that goes on chain with them.
pub struct SealedItem {
    pub sealed_fields: Vec<u8>,
    pub plaintext_hash: [u8; 32],
}

/// An item opened with a key: its fields, and whether they (with the salt)
/// hash to what the chain recorded.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenedItem {
    pub fields: Vec<u8>,
    pub hash_matches: bool,
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

    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self {
            secret: StaticSecret::from(*secret),
        }
    }

    pub fn secret(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.secret.to_bytes())
    }

    pub fn public(&self) -> [u8; 32] {
        PublicKey::from(&self.secret).to_bytes()
    }

    /// Opens a key sealed to this key pair for the listing `binding`.
    pub fn open(&self, sealed: &[u8], binding: Binding) -> Result<[u8; 32], CryptoError> {
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
        let aad = binding.aad(KEY_AAD, &[&ephemeral, &self.public()]);
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

/// Seals `item_key` to `recipient`'s public key, for the listing `binding`.
pub fn seal_key(
    item_key: &[u8; 32],
    recipient: &[u8; 32],
    binding: Binding,
) -> Result<Vec<u8>, CryptoError> {
    let ephemeral = StaticSecret::random_from_rng(OsRng);
    let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
    if !shared.was_contributory() {
        return Err(CryptoError::WeakKey);
    }
    let cipher = seal_cipher(shared.as_bytes(), &ephemeral_public, recipient);
    let nonce = random_nonce();
    let aad = binding.aad(KEY_AAD, &[&ephemeral_public, recipient]);
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

/// SHA-256(salt ‖ fields), the hash the chain records.
fn salted_hash(salt: &[u8], fields: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(fields)
        .finalize()
        .into()
}

/// Encrypts `seller`'s private fields with the item key, behind a fresh
/// salt: nonce ‖ ciphertext of (salt ‖ fields), bound to the seller and to
/// the salted hash it returns.
pub fn seal_item(item_key: &[u8; 32], fields: &[u8], seller: &[u8; 32]) -> SealedItem {
    let mut salt = [0u8; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    let plaintext_hash = salted_hash(&salt, fields);
    let plaintext = zeroize::Zeroizing::new([&salt[..], fields].concat());
    let nonce = random_nonce();
    let binding = Binding {
        seller,
        plaintext_hash: &plaintext_hash,
    };
    let ciphertext = ChaCha20Poly1305::new(&Key::from(*item_key))
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plaintext,
                aad: &binding.aad(ITEM_AAD, &[]),
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any length the chain accepts");
    SealedItem {
        sealed_fields: [&nonce[..], &ciphertext].concat(),
        plaintext_hash,
    }
}

/// Opens what [`seal_item`] produced for the listing `binding`.
pub fn open_item(
    item_key: &[u8; 32],
    sealed: &[u8],
    binding: Binding,
) -> Result<OpenedItem, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    let nonce: [u8; NONCE_LEN] = sealed[..NONCE_LEN]
        .try_into()
        .map_err(|_| CryptoError::Malformed)?;
    let plaintext = zeroize::Zeroizing::new(
        ChaCha20Poly1305::new(&Key::from(*item_key))
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed[NONCE_LEN..],
                    aad: &binding.aad(ITEM_AAD, &[]),
                },
            )
            .map_err(|_| CryptoError::Rejected)?,
    );
    if plaintext.len() < SALT_LEN {
        return Err(CryptoError::Malformed);
    }
    let (salt, fields) = plaintext.split_at(SALT_LEN);
    Ok(OpenedItem {
        fields: fields.to_vec(),
        hash_matches: salted_hash(salt, fields) == *binding.plaintext_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[u8] = br#"{"name":"weather 2026","ipfs_cid":"bafy...","description":"hourly"}"#;
    const SELLER: [u8; 32] = [1; 32];

    fn listed() -> ([u8; 32], SealedItem) {
        let item_key = generate_item_key();
        let sealed = seal_item(&item_key, FIELDS, &SELLER);
        (item_key, sealed)
    }

    fn binding(sealed: &SealedItem) -> Binding<'_> {
        Binding {
            seller: &SELLER,
            plaintext_hash: &sealed.plaintext_hash,
        }
    }

    #[test]
    fn the_buyer_recovers_the_data_through_the_sealed_key() {
        let (agent, buyer) = (EncryptionKeypair::generate(), EncryptionKeypair::generate());
        let (item_key, item) = listed();
        let bound = binding(&item);
        let for_agent = seal_key(&item_key, &agent.public(), bound).unwrap();
        let for_buyer = seal_key(&item_key, &buyer.public(), bound).unwrap();
        assert_eq!(for_buyer.len(), SEALED_KEY_LEN);
        assert_eq!(agent.open(&for_agent, bound), Ok(item_key));
        let key = buyer.open(&for_buyer, bound).unwrap();
        let opened = open_item(&key, &item.sealed_fields, bound).unwrap();
        assert_eq!(opened.fields, FIELDS);
        assert!(opened.hash_matches);
        // The same key pair from its stored secret.
        let restored = EncryptionKeypair::from_secret(&buyer.secret());
        assert_eq!(restored.public(), buyer.public());
        assert_eq!(restored.open(&for_buyer, bound), Ok(item_key));
    }

    #[test]
    fn a_non_participant_cannot_open_the_key_or_the_data() {
        let buyer = EncryptionKeypair::generate();
        let outsider = EncryptionKeypair::generate();
        let (item_key, item) = listed();
        let bound = binding(&item);
        let for_buyer = seal_key(&item_key, &buyer.public(), bound).unwrap();
        assert_eq!(outsider.open(&for_buyer, bound), Err(CryptoError::Rejected));
        assert_eq!(
            open_item(&generate_item_key(), &item.sealed_fields, bound),
            Err(CryptoError::Rejected)
        );
        // Nothing of the plaintext shows in what the chain stores.
        assert!(!item.sealed_fields.windows(7).any(|w| w == b"weather"));
    }

    #[test]
    fn a_box_does_not_open_on_another_seller_or_listing() {
        let buyer = EncryptionKeypair::generate();
        let (item_key, item) = listed();
        let for_buyer = seal_key(&item_key, &buyer.public(), binding(&item)).unwrap();
        let (_, other_item) = listed();
        let other_seller = [2; 32];
        for wrong in [
            Binding {
                seller: &other_seller,
                plaintext_hash: &item.plaintext_hash,
            },
            binding(&other_item),
        ] {
            assert_eq!(buyer.open(&for_buyer, wrong), Err(CryptoError::Rejected));
            assert_eq!(
                open_item(&item_key, &item.sealed_fields, wrong),
                Err(CryptoError::Rejected)
            );
        }
    }

    #[test]
    fn the_salted_hash_confirms_no_guess() {
        let (item_key, item) = listed();
        // Hashing the right plaintext without the salt does not give the
        // chain's hash, so a guess of low-entropy fields is not confirmed.
        let unsalted: [u8; 32] = Sha256::digest(FIELDS).into();
        assert_ne!(item.plaintext_hash, unsalted);
        // Each listing of the same fields has its own salt and hash.
        assert_ne!(
            seal_item(&item_key, FIELDS, &SELLER).plaintext_hash,
            item.plaintext_hash
        );
        // The key holder confirms the fields through the salt inside.
        assert!(
            open_item(&item_key, &item.sealed_fields, binding(&item))
                .unwrap()
                .hash_matches
        );
    }

    #[test]
    fn tampered_ciphertexts_are_rejected() {
        let buyer = EncryptionKeypair::generate();
        let (item_key, item) = listed();
        let bound = binding(&item);
        let for_buyer = seal_key(&item_key, &buyer.public(), bound).unwrap();
        for i in [0, 32, 44, SEALED_KEY_LEN - 1] {
            let mut tampered = for_buyer.clone();
            tampered[i] ^= 1;
            assert!(buyer.open(&tampered, bound).is_err(), "byte {i}");
        }
        assert_eq!(
            buyer.open(&for_buyer[1..], bound),
            Err(CryptoError::Malformed)
        );
        for i in [0, NONCE_LEN, item.sealed_fields.len() - 1] {
            let mut tampered = item.sealed_fields.clone();
            tampered[i] ^= 0x80;
            assert_eq!(
                open_item(&item_key, &tampered, bound),
                Err(CryptoError::Rejected)
            );
        }
        assert_eq!(
            open_item(&item_key, &[0; 5], bound),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn low_order_public_keys_are_refused() {
        let hash = [0; 32];
        let bound = Binding {
            seller: &SELLER,
            plaintext_hash: &hash,
        };
        // The identity point: every shared secret with it is zero.
        assert_eq!(
            seal_key(&generate_item_key(), &[0; 32], bound),
            Err(CryptoError::WeakKey)
        );
    }
}
