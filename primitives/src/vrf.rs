//! The election seed's randomness: each proposer's sr25519 VRF output over
//! the block's height and the seed before it.
//!
//! The seed used to fold block hashes, and an author chooses its block's
//! hash (which extrinsics, in what order, the timestamp). The proposer of
//! the block before a checkpoint could try many blocks and publish the one
//! whose seed elects whom it likes. A VRF output is fixed by the
//! proposer's key and the input, and the input here is the height and the
//! seed so far, neither of which the proposer chooses. What remains is to
//! publish or withhold: withholding gets the proposer impeached, and the
//! impeach block adds nothing to the seed (the dpor pallet documents that
//! one-bit bias).
//!
//! The pre-digest's `term` and `view` stay out of the input on purpose:
//! import checks only the digest's proposer against the schedule, so they
//! would be the proposer's free choice. The height fixes both.

use codec::{Decode, DecodeWithMemTracking, Encode};
use sp_core::crypto::VrfPublic;
use sp_core::sr25519::{
    self,
    vrf::{VrfInput, VrfPreOutput, VrfProof, VrfSignData, VrfSignature, VrfTranscript},
};

/// Domain of the bytes drawn from a VRF output for the seed.
pub const VRF_OUTPUT_CONTEXT: &[u8] = b"cpchain-dpor-seed";

/// A proposer's VRF pre-output and proof, as its block's pre-digest
/// carries them. Raw bytes, so that a malformed point is a verification
/// failure rather than an undecodable header.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, scale_info::TypeInfo,
)]
pub struct DporVrf {
    pub pre_output: [u8; 32],
    pub proof: [u8; 64],
}

/// The VRF input of block `height` when the seed before it is `seed`.
pub fn vrf_input(height: u32, seed: &[u8; 32]) -> VrfInput {
    VrfTranscript::new(
        b"cpchain-dpor-vrf",
        &[(b"height", &height.to_le_bytes()), (b"seed", seed)],
    )
}

/// What the proposer signs: the input, nothing extra.
pub fn vrf_sign_data(height: u32, seed: &[u8; 32]) -> VrfSignData {
    VrfSignData::new(vrf_input(height, seed))
}

impl DporVrf {
    pub fn from_signature(signature: &VrfSignature) -> Self {
        let mut pre_output = [0u8; 32];
        let mut proof = [0u8; 64];
        pre_output.copy_from_slice(&signature.pre_output.encode());
        proof.copy_from_slice(&signature.proof.encode());
        Self { pre_output, proof }
    }

    /// The 32 bytes this block adds to the seed, if the proof shows that
    /// `proposer`'s key computed the pre-output for `(height, seed)`.
    pub fn verified_output(
        &self,
        proposer: &sr25519::Public,
        height: u32,
        seed: &[u8; 32],
    ) -> Option<[u8; 32]> {
        let signature = VrfSignature {
            pre_output: VrfPreOutput::decode(&mut &self.pre_output[..]).ok()?,
            proof: VrfProof::decode(&mut &self.proof[..]).ok()?,
        };
        if !proposer.vrf_verify(&vrf_sign_data(height, seed), &signature) {
            return None;
        }
        proposer
            .make_bytes::<32>(
                VRF_OUTPUT_CONTEXT,
                &vrf_input(height, seed),
                &signature.pre_output,
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_core::{crypto::VrfSecret, Pair};

    fn signed(pair: &sr25519::Pair, height: u32, seed: &[u8; 32]) -> DporVrf {
        DporVrf::from_signature(&pair.vrf_sign(&vrf_sign_data(height, seed)))
    }

    #[test]
    fn only_the_proposers_output_for_this_height_and_seed_verifies() {
        let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
        let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
        let seed = [7u8; 32];
        let vrf = signed(&alice, 10, &seed);
        let output = vrf.verified_output(&alice.public(), 10, &seed);
        assert!(output.is_some());
        // Deterministic: signing again gives the same output, so a proposer
        // has one value per height to offer.
        assert_eq!(
            signed(&alice, 10, &seed).verified_output(&alice.public(), 10, &seed),
            output
        );
        assert_eq!(vrf.verified_output(&bob.public(), 10, &seed), None);
        assert_eq!(vrf.verified_output(&alice.public(), 11, &seed), None);
        assert_eq!(vrf.verified_output(&alice.public(), 10, &[8u8; 32]), None);
        // Another proposer's valid output for the same input differs.
        let bobs = signed(&bob, 10, &seed).verified_output(&bob.public(), 10, &seed);
        assert!(bobs.is_some() && bobs != output);
    }

    #[test]
    fn a_forged_pre_output_or_garbage_does_not_verify() {
        let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
        let seed = [1u8; 32];
        let honest = signed(&alice, 3, &seed);
        // A pre-output taken from another input, with this input's proof.
        let other = signed(&alice, 4, &seed);
        let forged = DporVrf {
            pre_output: other.pre_output,
            proof: honest.proof,
        };
        assert_eq!(forged.verified_output(&alice.public(), 3, &seed), None);
        let garbage = DporVrf {
            pre_output: [0xff; 32],
            proof: [0xff; 64],
        };
        assert_eq!(garbage.verified_output(&alice.public(), 3, &seed), None);
    }
}
