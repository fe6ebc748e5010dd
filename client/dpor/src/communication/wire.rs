//! The wire form of every LBFT message.

use codec::{Decode, Encode};
use cpchain_lbft::{
    Certificate, Justification, Message, Phase, RoundChange, SignedRoundChange, SignedVote, Vote,
};
use cpchain_primitives::{
    dpor_crypto::{AuthorityId, AuthoritySignature},
    Hash,
};

use crate::Dpor;

/// The largest consensus message accepted from a peer; a certificate of
/// 100 validators takes about 10 KiB.
pub const MAX_MESSAGE_SIZE: u64 = 64 * 1024;

/// A vote on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
pub struct WireVote {
    pub height: u64,
    pub round: u32,
    /// 1 PREPARE, 2 COMMIT.
    pub phase: u8,
    pub hash: Hash,
}

impl From<Vote<Hash>> for WireVote {
    fn from(vote: Vote<Hash>) -> Self {
        Self {
            height: vote.height,
            round: vote.round,
            phase: match vote.phase {
                Phase::Prepare => 1,
                Phase::Commit => 2,
            },
            hash: vote.hash,
        }
    }
}

impl TryFrom<WireVote> for Vote<Hash> {
    type Error = &'static str;
    fn try_from(vote: WireVote) -> Result<Self, Self::Error> {
        let phase = match vote.phase {
            1 => Phase::Prepare,
            2 => Phase::Commit,
            _ => return Err("unknown vote phase"),
        };
        Ok(Vote {
            height: vote.height,
            round: vote.round,
            phase,
            hash: vote.hash,
        })
    }
}

/// A quorum certificate on the wire.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct WireCertificate {
    pub vote: WireVote,
    pub signatures: Vec<(AuthorityId, AuthoritySignature)>,
}

impl From<Certificate<Dpor>> for WireCertificate {
    fn from(certificate: Certificate<Dpor>) -> Self {
        Self {
            vote: certificate.vote.into(),
            signatures: certificate.signatures,
        }
    }
}

impl TryFrom<WireCertificate> for Certificate<Dpor> {
    type Error = &'static str;
    fn try_from(certificate: WireCertificate) -> Result<Self, Self::Error> {
        Ok(Certificate {
            vote: certificate.vote.try_into()?,
            signatures: certificate.signatures,
        })
    }
}

/// A round change on the wire: (height, round, claimed lock).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
pub struct WireRoundChange {
    pub height: u64,
    pub round: u32,
    pub locked: Option<(u32, Hash)>,
}

impl From<RoundChange<Hash>> for WireRoundChange {
    fn from(change: RoundChange<Hash>) -> Self {
        Self {
            height: change.height,
            round: change.round,
            locked: change.locked,
        }
    }
}

impl From<WireRoundChange> for RoundChange<Hash> {
    fn from(change: WireRoundChange) -> Self {
        Self {
            height: change.height,
            round: change.round,
            locked: change.locked,
        }
    }
}

/// A signed round change on the wire.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct WireSignedRoundChange {
    pub change: WireRoundChange,
    pub signer: AuthorityId,
    pub signature: AuthoritySignature,
}

impl From<SignedRoundChange<Dpor>> for WireSignedRoundChange {
    fn from(change: SignedRoundChange<Dpor>) -> Self {
        Self {
            change: change.change.into(),
            signer: change.signer,
            signature: change.signature,
        }
    }
}

impl From<WireSignedRoundChange> for SignedRoundChange<Dpor> {
    fn from(change: WireSignedRoundChange) -> Self {
        Self {
            change: change.change.into(),
            signer: change.signer,
            signature: change.signature,
        }
    }
}

/// A round leader's justification on the wire.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct WireJustification {
    pub round_changes: Vec<WireSignedRoundChange>,
    pub highest: Option<WireCertificate>,
}

/// What validators send each other over the DPoR notification protocol.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum WireMessage {
    Vote {
        vote: WireVote,
        signer: AuthorityId,
        signature: AuthoritySignature,
        justification: Option<WireJustification>,
    },
    Validate(WireCertificate),
    RoundChange {
        change: WireSignedRoundChange,
        lock: Option<WireCertificate>,
    },
}

impl From<Message<Dpor>> for WireMessage {
    fn from(message: Message<Dpor>) -> Self {
        match message {
            Message::Vote {
                vote,
                justification,
            } => WireMessage::Vote {
                vote: vote.vote.into(),
                signer: vote.signer,
                signature: vote.signature,
                justification: justification.map(|j| WireJustification {
                    round_changes: j.round_changes.into_iter().map(Into::into).collect(),
                    highest: j.highest.map(Into::into),
                }),
            },
            Message::RoundChange { change, lock } => WireMessage::RoundChange {
                change: change.into(),
                lock: lock.map(Into::into),
            },
            Message::Validate(certificate) => WireMessage::Validate(certificate.into()),
        }
    }
}

impl TryFrom<WireMessage> for Message<Dpor> {
    type Error = &'static str;
    fn try_from(message: WireMessage) -> Result<Self, Self::Error> {
        Ok(match message {
            WireMessage::Vote {
                vote,
                signer,
                signature,
                justification,
            } => Message::Vote {
                vote: SignedVote {
                    vote: vote.try_into()?,
                    signer,
                    signature,
                },
                justification: justification
                    .map(|j| -> Result<Justification<Dpor>, &'static str> {
                        Ok(Justification {
                            round_changes: j.round_changes.into_iter().map(Into::into).collect(),
                            highest: j.highest.map(TryInto::try_into).transpose()?,
                        })
                    })
                    .transpose()?,
            },
            WireMessage::RoundChange { change, lock } => Message::RoundChange {
                change: change.into(),
                lock: lock.map(TryInto::try_into).transpose()?,
            },
            WireMessage::Validate(certificate) => Message::Validate(certificate.try_into()?),
        })
    }
}

/// What identifies a message for relay: who signed what, and whether it
/// carries its proof (a leader's justification, a round change's lock),
/// but not the bytes of the proof or the order of a certificate's
/// signatures. Copies that differ only there are the same message, and
/// any of them that checks serves. Stripping the proof gives another id,
/// so a peer that strips it cannot keep the original from being relayed.
pub fn content_id(message: &Message<Dpor>) -> super::gossip::MessageId {
    let bytes = match message {
        Message::Vote {
            vote,
            justification,
        } => (
            0u8,
            &vote.signer,
            WireVote::from(vote.vote),
            justification.is_some(),
        )
            .encode(),
        Message::RoundChange { change, lock } => (
            1u8,
            &change.signer,
            WireRoundChange::from(change.change),
            lock.is_some(),
        )
            .encode(),
        Message::Validate(certificate) => (2u8, WireVote::from(certificate.vote)).encode(),
    };
    super::gossip::message_id(&bytes)
}

/// The validator that signed `message`, if one did (a VALIDATE carries a
/// quorum's signatures).
pub fn signer(message: &Message<Dpor>) -> Option<&AuthorityId> {
    match message {
        Message::Vote { vote, .. } => Some(&vote.signer),
        Message::RoundChange { change, .. } => Some(&change.signer),
        Message::Validate(_) => None,
    }
}

/// Decodes a message from a peer: the whole input, nothing left over.
pub fn decode_message(mut bytes: &[u8]) -> Result<Message<Dpor>, &'static str> {
    if bytes.len() as u64 > MAX_MESSAGE_SIZE {
        return Err("message too large");
    }
    let message = WireMessage::decode(&mut bytes).map_err(|_| "undecodable message")?;
    if !bytes.is_empty() {
        return Err("trailing bytes");
    }
    message.try_into()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sp_core::Pair;

    pub(crate) fn signed_vote(seed: &str, phase: Phase) -> SignedVote<Dpor> {
        let pair = cpchain_primitives::dpor_crypto::AuthorityPair::from_string(seed, None).unwrap();
        let vote = Vote {
            height: 7,
            round: 1,
            phase,
            hash: Hash::repeat_byte(3),
        };
        SignedVote {
            vote,
            signer: pair.public(),
            signature: pair.sign(&vote.signing_payload(b"chain")),
        }
    }

    #[test]
    fn a_certificate_in_another_order_is_the_same_message_and_a_stripped_proof_is_not() {
        let alice = signed_vote("//Alice", Phase::Commit);
        let bob = signed_vote("//Bob", Phase::Commit);
        let certificate = |signatures: Vec<&SignedVote<Dpor>>| {
            Message::Validate(Certificate {
                vote: alice.vote,
                signatures: signatures
                    .into_iter()
                    .map(|v| (v.signer.clone(), v.signature.clone()))
                    .collect(),
            })
        };
        assert_eq!(
            content_id(&certificate(vec![&alice, &bob])),
            content_id(&certificate(vec![&bob, &alice]))
        );
        let lock = Certificate {
            vote: alice.vote,
            signatures: vec![(alice.signer.clone(), alice.signature.clone())],
        };
        let change = SignedRoundChange {
            change: RoundChange {
                height: 7,
                round: 2,
                locked: Some((1, Hash::repeat_byte(3))),
            },
            signer: alice.signer.clone(),
            signature: alice.signature.clone(),
        };
        let with_lock = Message::RoundChange {
            change: change.clone(),
            lock: Some(lock),
        };
        let stripped = Message::RoundChange { change, lock: None };
        assert_ne!(content_id(&with_lock), content_id(&stripped));
        assert_eq!(signer(&with_lock), Some(&alice.signer));
    }

    #[test]
    fn messages_round_trip_and_junk_is_refused() {
        let vote = signed_vote("//Alice", Phase::Prepare);
        let certificate = Certificate {
            vote: vote.vote,
            signatures: vec![(vote.signer.clone(), vote.signature.clone())],
        };
        let change = RoundChange {
            height: 7,
            round: 2,
            locked: Some((1, Hash::repeat_byte(3))),
        };
        let pair =
            cpchain_primitives::dpor_crypto::AuthorityPair::from_string("//Bob", None).unwrap();
        let signed_change = SignedRoundChange {
            change,
            signer: pair.public(),
            signature: pair.sign(&change.signing_payload(b"chain")),
        };
        for message in [
            Message::Vote {
                vote: vote.clone(),
                justification: Some(Justification {
                    round_changes: vec![signed_change.clone()],
                    highest: Some(certificate.clone()),
                }),
            },
            Message::RoundChange {
                change: signed_change,
                lock: Some(certificate.clone()),
            },
            Message::Validate(certificate),
        ] {
            let bytes = WireMessage::from(message.clone()).encode();
            assert_eq!(decode_message(&bytes), Ok(message));
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(decode_message(&longer), Err("trailing bytes"));
            assert!(decode_message(&bytes[..bytes.len() - 1]).is_err());
        }
        let mut bad_phase = WireMessage::from(Message::Vote {
            vote,
            justification: None,
        });
        if let WireMessage::Vote { vote, .. } = &mut bad_phase {
            vote.phase = 9;
        }
        assert_eq!(
            decode_message(&bad_phase.encode()),
            Err("unknown vote phase")
        );
        assert_eq!(
            decode_message(&vec![0u8; MAX_MESSAGE_SIZE as usize + 1]),
            Err("message too large")
        );
    }
}
