//! Prometheus metrics of the DPoR worker.

use prometheus_endpoint::{
    register, Counter, Gauge, Histogram, HistogramOpts, PrometheusError, Registry, U64,
};

#[derive(Clone)]
pub struct Metrics {
    /// The height being decided.
    pub height: Gauge<U64>,
    /// Its round: 0 normal, 1 and later impeach rounds.
    pub round: Gauge<U64>,
    pub messages_received: Counter<U64>,
    pub impeachments: Counter<U64>,
    /// Seconds from a proposal's import to its finality.
    pub proposal_to_final: Histogram,
    /// Transactions sent to peers by the relay, counted once per peer.
    pub transactions_sent: Counter<U64>,
    /// Transactions received from peers and given to the pool.
    pub transactions_received: Counter<U64>,
}

impl Metrics {
    pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
        Ok(Self {
            height: register(
                Gauge::new(
                    "cpchain_dpor_height",
                    "The height the committee is deciding",
                )?,
                registry,
            )?,
            round: register(
                Gauge::new(
                    "cpchain_dpor_round",
                    "The LBFT round of that height; 0 is normal",
                )?,
                registry,
            )?,
            messages_received: register(
                Counter::new(
                    "cpchain_dpor_messages_received_total",
                    "Consensus messages received",
                )?,
                registry,
            )?,
            impeachments: register(
                Counter::new(
                    "cpchain_dpor_impeachments_total",
                    "Impeach blocks this node built",
                )?,
                registry,
            )?,
            proposal_to_final: register(
                Histogram::with_opts(
                    HistogramOpts::new(
                        "cpchain_dpor_proposal_to_final_seconds",
                        "Time from a proposal's import to its finality",
                    )
                    .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0]),
                )?,
                registry,
            )?,
            transactions_sent: register(
                Counter::new(
                    "cpchain_dpor_transactions_sent_total",
                    "Transactions the relay sent to peers, once per peer",
                )?,
                registry,
            )?,
            transactions_received: register(
                Counter::new(
                    "cpchain_dpor_transactions_received_total",
                    "Transactions received from peers and given to the pool",
                )?,
                registry,
            )?,
        })
    }
}
