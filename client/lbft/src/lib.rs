//! LBFT 2.0, CPChain's validator finality protocol, as a pure state machine.
//!
//! See the crate README for the protocol, the fixes to the original design
//! and the safety argument. [`Machine`] is deterministic and synchronous:
//! the caller feeds it messages, verification results and timer expiries and
//! executes the [`Action`]s it returns, in order.

mod machine;
mod types;

pub use machine::{
    keep_certificates_from, round_leader, Machine, MessageError, Params, KEEP_DECIDED_CERTIFICATES,
};
pub use types::*;
