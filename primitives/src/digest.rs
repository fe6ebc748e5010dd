//! What a DPoR block header says about its origin.
//!
//! Every block carries one pre-runtime digest under [`DPOR_ENGINE_ID`]. A
//! proposer's block adds a seal (the proposer's signature over the header
//! without the seal); an impeach block, built identically by every
//! validator, has none, so that all validators arrive at the same hash.

use codec::{Decode, DecodeWithMemTracking, Encode};
use sp_runtime::{ConsensusEngineId, DigestItem};

/// The engine id of DPoR digests and of the C-certificate justification.
pub const DPOR_ENGINE_ID: ConsensusEngineId = *b"dpor";

/// The pre-runtime digest of every DPoR block.
#[derive(Clone, PartialEq, Eq, Debug, Encode, DecodeWithMemTracking, scale_info::TypeInfo)]
pub struct DporPreDigest<AccountId> {
    pub term: u32,
    pub view: u32,
    /// The proposer the schedule names for this block.
    pub proposer: AccountId,
    /// The committee's impeach block: the proposer failed, earns nothing
    /// and is penalised.
    pub impeach: bool,
    /// The proposer's VRF over the height and the seed
    /// ([`crate::vrf`]): required in a proposer's block, absent from an
    /// impeach block (which no single key may influence).
    pub vrf: Option<crate::vrf::DporVrf>,
}

/// Headers sealed before runtimes with `DporApi` version 3 end after
/// `impeach`; they decode with no VRF, so that a node can still import the
/// history of a chain that upgraded.
impl<AccountId: Decode> Decode for DporPreDigest<AccountId> {
    fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
        let term = u32::decode(input)?;
        let view = u32::decode(input)?;
        let proposer = AccountId::decode(input)?;
        let impeach = bool::decode(input)?;
        let vrf = match input.remaining_len()? {
            Some(0) => None,
            _ => Option::decode(input)?,
        };
        Ok(Self {
            term,
            view,
            proposer,
            impeach,
            vrf,
        })
    }
}

impl<AccountId: Decode + Encode> DporPreDigest<AccountId> {
    pub fn to_digest_item(&self) -> DigestItem {
        DigestItem::PreRuntime(DPOR_ENGINE_ID, self.encode())
    }

    /// The DPoR pre-runtime digest among `(engine id, data)` pairs of
    /// pre-runtime digests, as `FindAuthor` receives them.
    pub fn find_in<'a>(
        pre_runtime: impl IntoIterator<Item = (ConsensusEngineId, &'a [u8])>,
    ) -> Option<Self> {
        pre_runtime
            .into_iter()
            .find(|(id, _)| *id == DPOR_ENGINE_ID)
            .and_then(|(_, mut data)| Self::decode(&mut data).ok())
    }

    /// The DPoR pre-runtime digest among a header's digest items.
    pub fn find_in_items<'a>(items: impl IntoIterator<Item = &'a DigestItem>) -> Option<Self> {
        Self::find_in(items.into_iter().filter_map(|item| match item {
            DigestItem::PreRuntime(id, data) => Some((*id, data.as_slice())),
            _ => None,
        }))
    }
}

/// The proposer's seal of a block: the last digest item.
pub fn seal_item(signature: &[u8]) -> DigestItem {
    DigestItem::Seal(DPOR_ENGINE_ID, signature.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pre_digest_is_found_among_other_engines_digests() {
        let digest = DporPreDigest {
            term: 3,
            view: 1,
            proposer: [7u8; 32],
            impeach: true,
            vrf: None,
        };
        let items = [
            DigestItem::PreRuntime(*b"aura", vec![1, 2, 3]),
            digest.to_digest_item(),
            seal_item(&[9; 64]),
        ];
        assert_eq!(DporPreDigest::find_in_items(&items), Some(digest));
        assert_eq!(DporPreDigest::<[u8; 32]>::find_in_items(&items[..1]), None);
        // Garbage under our engine id is not a digest.
        let junk = [DigestItem::PreRuntime(DPOR_ENGINE_ID, vec![1])];
        assert_eq!(DporPreDigest::<[u8; 32]>::find_in_items(&junk), None);
    }

    #[test]
    fn a_digest_from_before_the_vrf_decodes_without_one_and_a_new_one_round_trips() {
        let with_vrf = DporPreDigest {
            term: 1,
            view: 2,
            proposer: [3u8; 32],
            impeach: false,
            vrf: Some(crate::vrf::DporVrf {
                pre_output: [4; 32],
                proof: [5; 64],
            }),
        };
        let encoded = with_vrf.encode();
        assert_eq!(
            DporPreDigest::<[u8; 32]>::decode(&mut &encoded[..]),
            Ok(with_vrf.clone())
        );
        // The old layout: the same fields, nothing after `impeach`.
        let old = (1u32, 2u32, [3u8; 32], false).encode();
        let decoded = DporPreDigest::<[u8; 32]>::decode(&mut &old[..]).unwrap();
        assert_eq!(decoded.vrf, None);
        assert_eq!((decoded.term, decoded.view, decoded.impeach), (1, 2, false));
        // A cut VRF is an error, not a missing one.
        let cut = &encoded[..encoded.len() - 1];
        assert!(DporPreDigest::<[u8; 32]>::decode(&mut &cut[..]).is_err());
    }
}
