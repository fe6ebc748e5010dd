fn main() {
    // A try-runtime build is native only (runtime/try-runtime). Its wasm
    // would land where the node's runtime is built and be embedded by the
    // next node build, so none is built.
    #[cfg(feature = "try-runtime")]
    std::env::set_var("SKIP_WASM_BUILD", "1");

    #[cfg(all(feature = "std", feature = "metadata-hash"))]
    substrate_wasm_builder::WasmBuilder::init_with_defaults()
        .enable_metadata_hash(
            cpchain_primitives_symbol::SYMBOL,
            cpchain_primitives_symbol::DECIMALS,
        )
        .build();

    #[cfg(all(feature = "std", not(feature = "metadata-hash")))]
    substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(all(feature = "std", feature = "metadata-hash"))]
mod cpchain_primitives_symbol {
    // Must match `cpchain_primitives::currency`; build scripts cannot depend on the crate itself.
    pub const SYMBOL: &str = "CPC";
    pub const DECIMALS: u8 = 18;
}
