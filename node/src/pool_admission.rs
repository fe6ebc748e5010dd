//! The transaction pool as the RPC, the transaction relay and offchain
//! workers see it: it refuses at submission what the pool could not keep.
//!
//! Substrate's fork-aware pool takes submissions into a store that holds
//! ready + future transactions (`--pool-limit` plus a tenth), while each of
//! its views keeps at most `--pool-limit` ready ones and, beyond that,
//! drops the oldest with every later transaction of the same sender. The
//! submitter was told "accepted" and nothing more: under load, accepted
//! transfers vanished (`node/tests/lost_transactions.rs`, at the default
//! limits). Here a submission is refused with the pool's own "Immediately
//! Dropped" error (JSON-RPC code 1016) when the pool's ready and future
//! transactions, with the submissions still on their way in, would pass
//! `--pool-limit` or `--pool-kbytes`; counting the future ones too means
//! that a transaction turning them ready cannot overflow the ready limit.
//! A refusal is for now: a wallet submits again once blocks have emptied
//! the pool.
//!
//! On a DPoR node with the single-state pool the gate also makes the pool
//! follow finality ([`Maintenance::FinalOnly`]). A proposal is imported as
//! the best block before it is certified, and the pool prunes the
//! transactions a best block includes and bans them (30 minutes by
//! default). When validators refuse the proposal (late, stamped ahead of
//! their clocks, or a byzantine proposer's) the impeach block becomes final
//! at its height, and Substrate's pool, which revalidates lightly here (see
//! `crate::transaction_pool`), does not take the retracted block's
//! transactions back: every node that imported the proposal had lost them,
//! and refused them again as banned (`future_clock`). Pruned at finality,
//! they stay until a final block includes them. A proposer builds on a final
//! parent only, so the pool is pruned when it is needed.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use codec::Encode;
use prometheus_endpoint::{register, Counter, PrometheusError, Registry, U64};
use sc_transaction_pool_api::{
    error::Error as PoolError, ChainEvent, ImportNotificationStream, LocalTransactionFor,
    LocalTransactionPool, MaintainedTransactionPool, PoolStatus, ReadyTransactions, TransactionFor,
    TransactionPool, TransactionSource, TransactionStatusStreamFor, TxHash, TxInvalidityReportMap,
};
use sp_runtime::{
    traits::Block as BlockT,
    transaction_validity::{InvalidTransaction, TransactionValidityError},
};

/// What the pool may hold: `--pool-limit` transactions, `--pool-kbytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    pub count: usize,
    pub bytes: usize,
}

impl PoolLimits {
    /// From the command line's `--pool-limit` and `--pool-kbytes`.
    pub fn from_cli(params: &sc_cli::TransactionPoolParams) -> Self {
        Self {
            count: params.pool_limit,
            bytes: params.pool_kbytes.saturating_mul(1024),
        }
    }
}

/// Room taken by submissions that passed the gate and are not yet in the
/// pool's status.
#[derive(Default)]
struct Reserved {
    count: usize,
    bytes: usize,
}

/// Which chain events maintain the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maintenance {
    /// Every event (new blocks, new best blocks, finality), as Substrate
    /// does: for development sealing, and for the fork-aware pool, which
    /// keeps a retracted block's transactions itself.
    Every,
    /// Finality only.
    FinalOnly,
}

/// The pool `P` with submissions refused beyond its limits.
pub struct AdmissionGate<P> {
    inner: Arc<P>,
    limits: PoolLimits,
    maintenance: Maintenance,
    reserved: Mutex<Reserved>,
    refused: Option<Counter<U64>>,
}

impl<P: TransactionPool> AdmissionGate<P> {
    pub fn new(
        inner: Arc<P>,
        limits: PoolLimits,
        maintenance: Maintenance,
        registry: Option<&Registry>,
    ) -> Result<Self, PrometheusError> {
        let refused = registry
            .map(|registry| {
                register(
                    Counter::new(
                        "cpchain_txpool_refused_full_total",
                        "Transactions refused at submission because the pool was full",
                    )?,
                    registry,
                )
            })
            .transpose()?;
        Ok(Self {
            inner,
            limits,
            maintenance,
            reserved: Mutex::new(Reserved::default()),
            refused,
        })
    }

    /// Reserves room for the longest prefix of `sizes` that fits, until
    /// the reservation is dropped.
    fn reserve(&self, mut sizes: Vec<usize>) -> Reservation<'_, P> {
        let status = self.inner.status();
        let mut reserved = self.reserved.lock().unwrap_or_else(|e| e.into_inner());
        let taken = fitting_prefix(held(&status, &reserved), self.limits, &sizes);
        if let Some(refused) = &self.refused {
            refused.inc_by((sizes.len() - taken) as u64);
        }
        sizes.truncate(taken);
        reserved.count += taken;
        reserved.bytes += sizes.iter().sum::<usize>();
        Reservation { gate: self, sizes }
    }

    /// Room for one transaction of `size`, or the pool's refusal.
    fn reserve_one(&self, size: usize) -> Result<Reservation<'_, P>, PoolError> {
        let reservation = self.reserve(vec![size]);
        if reservation.sizes.is_empty() {
            return Err(PoolError::ImmediatelyDropped);
        }
        Ok(reservation)
    }

    fn release(&self, sizes: &[usize]) {
        let mut reserved = self.reserved.lock().unwrap_or_else(|e| e.into_inner());
        for size in sizes {
            reserved.count = reserved.count.saturating_sub(1);
            reserved.bytes = reserved.bytes.saturating_sub(*size);
        }
    }
}

fn is_stale(error: Option<&TransactionValidityError>) -> bool {
    matches!(
        error,
        Some(TransactionValidityError::Invalid(InvalidTransaction::Stale))
    )
}

/// (transactions, bytes) the pool holds or is taking in.
fn held(status: &PoolStatus, reserved: &Reserved) -> (usize, usize) {
    (
        status.ready + status.future + reserved.count,
        status.ready_bytes + status.future_bytes + reserved.bytes,
    )
}

/// How many of `sizes`, from the first, fit beside `held` within `limits`.
/// A prefix: a batch's later transfers of a sender never pass while an
/// earlier one is refused, which would leave a nonce gap in the pool.
fn fitting_prefix(held: (usize, usize), limits: PoolLimits, sizes: &[usize]) -> usize {
    let (mut count, mut bytes) = held;
    sizes
        .iter()
        .take_while(|size| {
            count += 1;
            bytes = bytes.saturating_add(**size);
            count <= limits.count && bytes <= limits.bytes
        })
        .count()
}

/// Releases its reservation when the submission has ended, however it ends.
struct Reservation<'a, P: TransactionPool> {
    gate: &'a AdmissionGate<P>,
    sizes: Vec<usize>,
}

impl<P: TransactionPool> Drop for Reservation<'_, P> {
    fn drop(&mut self) {
        self.gate.release(&self.sizes);
    }
}

#[async_trait::async_trait]
impl<P> TransactionPool for AdmissionGate<P>
where
    P: TransactionPool,
    TransactionFor<P>: Encode,
{
    type Block = P::Block;
    type Hash = P::Hash;
    type InPoolTransaction = P::InPoolTransaction;
    type Error = P::Error;

    async fn submit_at(
        &self,
        at: <Self::Block as BlockT>::Hash,
        source: TransactionSource,
        xts: Vec<TransactionFor<Self>>,
    ) -> Result<Vec<Result<TxHash<Self>, Self::Error>>, Self::Error> {
        let reservation = self.reserve(xts.iter().map(Encode::encoded_size).collect());
        let taken = reservation.sizes.len();
        let refused = xts.len() - taken;
        let mut xts = xts;
        xts.truncate(taken);
        let mut results = if xts.is_empty() {
            Vec::new()
        } else {
            self.inner.submit_at(at, source, xts).await?
        };
        results.extend((0..refused).map(|_| Err(PoolError::ImmediatelyDropped.into())));
        Ok(results)
    }

    async fn submit_one(
        &self,
        at: <Self::Block as BlockT>::Hash,
        source: TransactionSource,
        xt: TransactionFor<Self>,
    ) -> Result<TxHash<Self>, Self::Error> {
        let _reservation = self.reserve_one(xt.encoded_size())?;
        self.inner.submit_one(at, source, xt).await
    }

    async fn submit_and_watch(
        &self,
        at: <Self::Block as BlockT>::Hash,
        source: TransactionSource,
        xt: TransactionFor<Self>,
    ) -> Result<Pin<Box<TransactionStatusStreamFor<Self>>>, Self::Error> {
        let _reservation = self.reserve_one(xt.encoded_size())?;
        self.inner.submit_and_watch(at, source, xt).await
    }

    async fn ready_at(
        &self,
        at: <Self::Block as BlockT>::Hash,
    ) -> Box<dyn ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send> {
        self.inner.ready_at(at).await
    }

    fn ready(&self) -> Box<dyn ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send> {
        self.inner.ready()
    }

    async fn report_invalid(
        &self,
        at: Option<<Self::Block as BlockT>::Hash>,
        mut invalid_tx_errors: TxInvalidityReportMap<TxHash<Self>>,
    ) -> Vec<Arc<Self::InPoolTransaction>> {
        if self.maintenance == Maintenance::FinalOnly {
            // A block builder that did not wait for the pool to be pruned
            // for its parent finds the parent's transactions stale. The
            // single-state pool would remove each with every later
            // transaction of its sender, still valid; pruning at the
            // parent's finality removes the stale ones alone.
            invalid_tx_errors.retain(|_, error| !is_stale(error.as_ref()));
        }
        self.inner.report_invalid(at, invalid_tx_errors).await
    }

    fn futures(&self) -> Vec<Self::InPoolTransaction> {
        self.inner.futures()
    }

    fn status(&self) -> PoolStatus {
        self.inner.status()
    }

    fn import_notification_stream(&self) -> ImportNotificationStream<TxHash<Self>> {
        self.inner.import_notification_stream()
    }

    fn on_broadcasted(&self, propagations: HashMap<TxHash<Self>, Vec<String>>) {
        self.inner.on_broadcasted(propagations)
    }

    fn hash_of(&self, xt: &TransactionFor<Self>) -> TxHash<Self> {
        self.inner.hash_of(xt)
    }

    fn ready_transaction(&self, hash: &TxHash<Self>) -> Option<Arc<Self::InPoolTransaction>> {
        self.inner.ready_transaction(hash)
    }

    async fn ready_at_with_timeout(
        &self,
        at: <Self::Block as BlockT>::Hash,
        timeout: Duration,
    ) -> Box<dyn ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send> {
        self.inner.ready_at_with_timeout(at, timeout).await
    }
}

#[async_trait::async_trait]
impl<P> MaintainedTransactionPool for AdmissionGate<P>
where
    P: MaintainedTransactionPool,
    TransactionFor<P>: Encode,
{
    async fn maintain(&self, event: ChainEvent<Self::Block>) {
        if self.maintenance == Maintenance::Every || matches!(event, ChainEvent::Finalized { .. }) {
            self.inner.maintain(event).await
        }
    }
}

impl<P> LocalTransactionPool for AdmissionGate<P>
where
    P: TransactionPool + LocalTransactionPool<Block = <P as TransactionPool>::Block>,
    LocalTransactionFor<P>: Encode,
{
    type Block = <P as LocalTransactionPool>::Block;
    type Hash = <P as LocalTransactionPool>::Hash;
    type Error = <P as LocalTransactionPool>::Error;

    fn submit_local(
        &self,
        at: <Self::Block as BlockT>::Hash,
        xt: LocalTransactionFor<Self>,
    ) -> Result<Self::Hash, Self::Error> {
        let _reservation = self.reserve_one(xt.encoded_size())?;
        self.inner.submit_local(at, xt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PoolLimits = PoolLimits {
        count: 10,
        bytes: 1_000,
    };

    #[test]
    fn future_transactions_and_those_on_their_way_in_count_as_held() {
        let status = PoolStatus {
            ready: 4,
            ready_bytes: 400,
            future: 2,
            future_bytes: 200,
        };
        let reserved = Reserved {
            count: 3,
            bytes: 300,
        };
        assert_eq!(held(&status, &reserved), (9, 900));
        assert_eq!(
            fitting_prefix(held(&status, &reserved), LIMITS, &[50, 50]),
            1
        );
    }

    #[test]
    fn a_batch_passes_up_to_the_count_limit() {
        assert_eq!(fitting_prefix((7, 0), LIMITS, &[1; 5]), 3);
        assert_eq!(fitting_prefix((10, 0), LIMITS, &[1]), 0);
        assert_eq!(fitting_prefix((0, 0), LIMITS, &[1; 10]), 10);
    }

    #[test]
    fn a_batch_stops_at_its_first_transaction_over_the_byte_limit() {
        // The third does not fit; the fourth would, but passing it could
        // leave its sender with a gap.
        assert_eq!(fitting_prefix((0, 700), LIMITS, &[100, 100, 200, 10]), 2);
        assert_eq!(fitting_prefix((0, 0), LIMITS, &[1_001]), 0);
    }
}
