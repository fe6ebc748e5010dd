//! RPC over the private market's runtime API. Byte fields are 0x-hex and
//! amounts decimal strings, as front ends expect.

use std::sync::Arc;

use cpchain_primitives::{
    runtime_api::{MarketItem, MarketOrder, PrivateMarketApi},
    AccountId, Balance, Hash, OpaqueBlock as Block,
};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::Bytes;

use crate::builtin_rpc::runtime_error;

/// Items per `market_getItems` page unless the caller asks for fewer.
const DEFAULT_PAGE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemJson {
    pub id: u64,
    pub seller: AccountId,
    pub price: String,
    pub public_meta: Bytes,
    pub sealed_fields: Bytes,
    pub key_for_agent: Bytes,
    pub plaintext_hash: Bytes,
    pub listed_at: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderJson {
    pub id: u64,
    pub item: u64,
    pub buyer: AccountId,
    pub seller: AccountId,
    pub price: String,
    pub buyer_key: Bytes,
    pub key_for_buyer: Option<Bytes>,
    pub state: String,
    pub since: u32,
}

impl From<MarketItem<AccountId, Balance>> for ItemJson {
    fn from(item: MarketItem<AccountId, Balance>) -> Self {
        Self {
            id: item.id,
            seller: item.seller,
            price: item.price.to_string(),
            public_meta: item.public_meta.into(),
            sealed_fields: item.sealed_fields.into(),
            key_for_agent: item.key_for_agent.into(),
            plaintext_hash: item.plaintext_hash.to_vec().into(),
            listed_at: item.listed_at,
        }
    }
}

impl From<MarketOrder<AccountId, Balance>> for OrderJson {
    fn from(order: MarketOrder<AccountId, Balance>) -> Self {
        Self {
            id: order.id,
            item: order.item,
            buyer: order.buyer,
            seller: order.seller,
            price: order.price.to_string(),
            buyer_key: order.buyer_key.to_vec().into(),
            key_for_buyer: order.key_for_buyer.map(Into::into),
            state: String::from_utf8_lossy(&order.state).into_owned(),
            since: order.since,
        }
    }
}

#[rpc(server)]
pub trait MarketApi {
    /// Listed items with ids from `from` (default 0) on, at most `limit` (default 50, at most 100).
    #[method(name = "market_getItems")]
    fn items(
        &self,
        from: Option<u64>,
        limit: Option<u32>,
        at: Option<Hash>,
    ) -> RpcResult<Vec<ItemJson>>;

    #[method(name = "market_getItem")]
    fn item(&self, id: u64, at: Option<Hash>) -> RpcResult<Option<ItemJson>>;

    #[method(name = "market_getOrder")]
    fn order(&self, id: u64, at: Option<Hash>) -> RpcResult<Option<OrderJson>>;

    /// Orders waiting for `seller` to deliver the key.
    #[method(name = "market_getPendingOrders")]
    fn pending_orders(&self, seller: AccountId, at: Option<Hash>) -> RpcResult<Vec<OrderJson>>;

    /// The x25519 public key `who` registered.
    #[method(name = "market_getEncryptionKey")]
    fn encryption_key(&self, who: AccountId, at: Option<Hash>) -> RpcResult<Option<Bytes>>;

    /// `who`'s escrow not committed to orders, a decimal string.
    #[method(name = "market_getFreeEscrow")]
    fn free_escrow(&self, who: AccountId, at: Option<Hash>) -> RpcResult<String>;

    #[method(name = "market_getAgent")]
    fn agent(&self, at: Option<Hash>) -> RpcResult<Option<AccountId>>;
}

pub struct Market<C> {
    client: Arc<C>,
}

impl<C> Market<C> {
    pub fn new(client: Arc<C>) -> Self {
        Self { client }
    }
}

impl<C> MarketApiServer for Market<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: PrivateMarketApi<Block, AccountId, Balance>,
{
    fn items(
        &self,
        from: Option<u64>,
        limit: Option<u32>,
        at: Option<Hash>,
    ) -> RpcResult<Vec<ItemJson>> {
        let items = self
            .client
            .runtime_api()
            .items(
                self.at(at),
                from.unwrap_or(0),
                limit.unwrap_or(DEFAULT_PAGE),
            )
            .map_err(runtime_error)?;
        Ok(items.into_iter().map(Into::into).collect())
    }

    fn item(&self, id: u64, at: Option<Hash>) -> RpcResult<Option<ItemJson>> {
        let item = self
            .client
            .runtime_api()
            .item(self.at(at), id)
            .map_err(runtime_error)?;
        Ok(item.map(Into::into))
    }

    fn order(&self, id: u64, at: Option<Hash>) -> RpcResult<Option<OrderJson>> {
        let order = self
            .client
            .runtime_api()
            .order(self.at(at), id)
            .map_err(runtime_error)?;
        Ok(order.map(Into::into))
    }

    fn pending_orders(&self, seller: AccountId, at: Option<Hash>) -> RpcResult<Vec<OrderJson>> {
        let orders = self
            .client
            .runtime_api()
            .pending_orders(self.at(at), seller)
            .map_err(runtime_error)?;
        Ok(orders.into_iter().map(Into::into).collect())
    }

    fn encryption_key(&self, who: AccountId, at: Option<Hash>) -> RpcResult<Option<Bytes>> {
        let key = self
            .client
            .runtime_api()
            .encryption_key(self.at(at), who)
            .map_err(runtime_error)?;
        Ok(key.map(|key| key.to_vec().into()))
    }

    fn free_escrow(&self, who: AccountId, at: Option<Hash>) -> RpcResult<String> {
        self.client
            .runtime_api()
            .free_escrow(self.at(at), who)
            .map(|amount| amount.to_string())
            .map_err(runtime_error)
    }

    fn agent(&self, at: Option<Hash>) -> RpcResult<Option<AccountId>> {
        self.client
            .runtime_api()
            .agent(self.at(at))
            .map_err(runtime_error)
    }
}

impl<C: HeaderBackend<Block>> Market<C> {
    fn at(&self, at: Option<Hash>) -> Hash {
        at.unwrap_or_else(|| self.client.info().best_hash)
    }
}
