//! The C-certificate as a block's justification. The stored type lives in
//! the primitives, where the standalone finality verifier reads it; here
//! it meets the LBFT machine's certificate.

use cpchain_lbft::{Certificate, Phase, Vote};
pub use cpchain_primitives::finality::DporJustification;
use cpchain_primitives::{digest::DPOR_ENGINE_ID, Hash, OpaqueBlock as Block};
use sc_client_api::BlockBackend;

use crate::Dpor;

/// The certificate stored with block `hash`, if it has one.
pub fn stored_justification<C: BlockBackend<Block>>(
    client: &C,
    hash: Hash,
) -> Result<Option<DporJustification>, String> {
    let Some(encoded) = client
        .justifications(hash)
        .map_err(|e| e.to_string())?
        .and_then(|all| all.get(DPOR_ENGINE_ID).cloned())
    else {
        return Ok(None);
    };
    DporJustification::decode_all(&mut &encoded[..])
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Converts between the machine's certificates and justifications.
pub trait CertificateJustification {
    fn from_certificate(certificate: &Certificate<Dpor>) -> Self;
    /// The certificate this justification claims for block `hash` at `height`.
    fn certificate(&self, height: u64, hash: Hash) -> Certificate<Dpor>;
}

impl CertificateJustification for DporJustification {
    fn from_certificate(certificate: &Certificate<Dpor>) -> Self {
        Self {
            round: certificate.vote.round,
            signatures: certificate.signatures.clone(),
        }
    }

    fn certificate(&self, height: u64, hash: Hash) -> Certificate<Dpor> {
        Certificate {
            vote: Vote {
                height,
                round: self.round,
                phase: Phase::Commit,
                hash,
            },
            signatures: self.signatures.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communication::wire::tests::signed_vote;
    use codec::Encode;

    #[test]
    fn a_justification_names_its_block_and_round() {
        let vote = signed_vote("//Bob", Phase::Commit);
        let certificate = Certificate {
            vote: vote.vote,
            signatures: vec![(vote.signer, vote.signature)],
        };
        let justification = DporJustification::from_certificate(&certificate);
        let decoded = DporJustification::decode_all(&justification.encode()).unwrap();
        assert_eq!(decoded.certificate(7, Hash::repeat_byte(3)), certificate);
        assert!(DporJustification::decode_all(&[1, 2, 3]).is_err());
    }
}
