//! The C-certificate as a block's justification.

use codec::{Decode, Encode};
use cpchain_lbft::{Certificate, Phase, Vote};
use cpchain_primitives::{
    dpor_crypto::{AuthorityId, AuthoritySignature},
    Hash,
};

use crate::Dpor;

/// The justification stored with a final block: its C-certificate.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct DporJustification {
    pub round: u32,
    pub signatures: Vec<(AuthorityId, AuthoritySignature)>,
}

impl DporJustification {
    pub fn from_certificate(certificate: &Certificate<Dpor>) -> Self {
        Self {
            round: certificate.vote.round,
            signatures: certificate.signatures.clone(),
        }
    }

    /// The certificate this justification claims for block `hash` at `height`.
    pub fn certificate(&self, height: u64, hash: Hash) -> Certificate<Dpor> {
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

    pub fn decode_all(mut bytes: &[u8]) -> Result<Self, &'static str> {
        let justification = Self::decode(&mut bytes).map_err(|_| "undecodable justification")?;
        if !bytes.is_empty() {
            return Err("trailing bytes in justification");
        }
        Ok(justification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communication::wire::tests::signed_vote;

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
