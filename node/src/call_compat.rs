//! Whether this binary's calls of some pallets encode as a chain's runtime
//! decodes them, when the two runtimes differ.
//!
//! `cpchain-node governance` upgrades a chain that still runs the runtime
//! being replaced. A runtime whose calls changed anywhere raises its
//! `transaction_version` (the `version_lock` test sees to it), so that
//! version alone would stop this binary from signing for the old runtime
//! even when the calls it signs (the council's, the whitelist's and
//! `System`'s) are unchanged. This compares those pallets' calls in the
//! chain's metadata and in this binary's: their pallet index, and each
//! call's index, name and fields, the fields' types described by their
//! structure; and the envelope the signature also covers (the extrinsic's
//! version, address, signature and transaction extensions, with what each
//! adds to the signed payload). A call held inside a call (a council proposal) is the
//! runtime's call type, which stands for itself here: the calls a proposal
//! may hold are compared pallet by pallet, among those named.

use codec::Decode;
use frame_metadata::{v15::RuntimeMetadataV15, RuntimeMetadata, RuntimeMetadataPrefixed};
use scale_info::{form::PortableForm, PortableRegistry, TypeDef};

/// Decodes what `Metadata_metadata_at_version(15)` returns.
pub fn decode_v15(answer: &[u8]) -> Result<RuntimeMetadataV15, String> {
    let bytes = Option::<Vec<u8>>::decode(&mut &answer[..])
        .map_err(|e| format!("not an optional metadata blob: {e}"))?
        .ok_or("the runtime has no metadata version 15")?;
    let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..])
        .map_err(|e| format!("undecodable metadata: {e}"))?;
    match prefixed.1 {
        RuntimeMetadata::V15(metadata) => Ok(metadata),
        _ => Err("the runtime gave metadata of another version than 15".into()),
    }
}

/// This binary's runtime metadata, version 15.
pub fn own_v15() -> Result<RuntimeMetadataV15, String> {
    use codec::Encode;
    // The metadata reads some constants through the host's storage.
    let metadata = sp_io::TestExternalities::new_empty()
        .execute_with(|| cpchain_runtime::Runtime::metadata_at_version(15))
        .ok_or("this binary's runtime has no metadata version 15")?;
    decode_v15(&Some(metadata.to_vec()).encode())
}

/// What differs between `ours` and `theirs` among the calls of `pallets`
/// and the signed envelope around them (the extrinsic's version, address,
/// signature and transaction extensions, which the signature covers too);
/// empty if a transaction with a call of these pallets, signed by this
/// binary, means the same to both.
pub fn differing_pallets(
    ours: &RuntimeMetadataV15,
    theirs: &RuntimeMetadataV15,
    pallets: &[&str],
) -> Vec<String> {
    let mut differing: Vec<String> = pallets
        .iter()
        .filter(|pallet| {
            let ours = pallet_calls(ours, pallet);
            ours.is_none() || ours != pallet_calls(theirs, pallet)
        })
        .map(|pallet| pallet.to_string())
        .collect();
    if envelope(ours) != envelope(theirs) {
        differing.push("the transaction envelope (address, signature or extensions)".into());
    }
    differing
}

/// What a signed transaction's bytes around its call depend on.
fn envelope(metadata: &RuntimeMetadataV15) -> String {
    let extrinsic = &metadata.extrinsic;
    let runtime_call = metadata.outer_enums.call_enum_ty.id;
    let describe = |id: u32| describe(&metadata.types, id, runtime_call, &mut Vec::new());
    let extensions: Vec<String> = extrinsic
        .signed_extensions
        .iter()
        .map(|extension| {
            format!(
                "{}:{}:{}",
                extension.identifier,
                describe(extension.ty.id),
                describe(extension.additional_signed.id)
            )
        })
        .collect();
    format!(
        "v{} {} {} [{}]",
        extrinsic.version,
        describe(extrinsic.address_ty.id),
        describe(extrinsic.signature_ty.id),
        extensions.join(";")
    )
}

/// What the encoding of `pallet`'s calls depends on, in `metadata`.
fn pallet_calls(metadata: &RuntimeMetadataV15, pallet: &str) -> Option<String> {
    let found = metadata.pallets.iter().find(|p| p.name == pallet)?;
    let calls = found.calls.as_ref()?;
    let runtime_call = metadata.outer_enums.call_enum_ty.id;
    Some(format!(
        "{}:{}",
        found.index,
        describe(&metadata.types, calls.ty.id, runtime_call, &mut Vec::new())
    ))
}

fn describe(
    registry: &PortableRegistry,
    id: u32,
    runtime_call: u32,
    stack: &mut Vec<u32>,
) -> String {
    if id == runtime_call {
        return "RuntimeCall".into();
    }
    if stack.contains(&id) {
        return "Recursive".into();
    }
    let Some(ty) = registry.resolve(id) else {
        return format!("Unknown#{id}");
    };
    stack.push(id);
    let mut fields = |fields: &[scale_info::Field<PortableForm>]| -> String {
        fields
            .iter()
            .map(|field| {
                format!(
                    "{}:{}",
                    field.name.as_deref().unwrap_or(""),
                    describe(registry, field.ty.id, runtime_call, stack)
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let described = match &ty.type_def {
        TypeDef::Composite(composite) => format!("{{{}}}", fields(&composite.fields)),
        TypeDef::Variant(variant) => format!(
            "<{}>",
            variant
                .variants
                .iter()
                .map(|v| format!("{}#{}({})", v.index, v.name, fields(&v.fields)))
                .collect::<Vec<_>>()
                .join("|")
        ),
        TypeDef::Sequence(sequence) => format!(
            "[{}]",
            describe(registry, sequence.type_param.id, runtime_call, stack)
        ),
        TypeDef::Array(array) => format!(
            "[{};{}]",
            describe(registry, array.type_param.id, runtime_call, stack),
            array.len
        ),
        TypeDef::Tuple(tuple) => format!(
            "({})",
            tuple
                .fields
                .iter()
                .map(|field| describe(registry, field.id, runtime_call, stack))
                .collect::<Vec<_>>()
                .join(",")
        ),
        TypeDef::Primitive(primitive) => format!("{primitive:?}"),
        TypeDef::Compact(compact) => format!(
            "Compact<{}>",
            describe(registry, compact.type_param.id, runtime_call, stack)
        ),
        TypeDef::BitSequence(bits) => format!(
            "Bits<{},{}>",
            describe(registry, bits.bit_store_type.id, runtime_call, stack),
            describe(registry, bits.bit_order_type.id, runtime_call, stack)
        ),
    };
    stack.pop();
    described
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_agrees_with_itself_and_unknown_pallets_never_match() {
        let ours = own_v15().unwrap();
        assert!(differing_pallets(&ours, &ours, &["System", "Council", "Whitelist"]).is_empty());
        assert_eq!(
            differing_pallets(&ours, &ours, &["NoSuchPallet"]),
            vec!["NoSuchPallet"]
        );
    }

    #[test]
    fn a_changed_call_or_pallet_index_is_seen() {
        let ours = own_v15().unwrap();
        let mut theirs = ours.clone();
        let council = theirs
            .pallets
            .iter_mut()
            .find(|p| p.name == "Council")
            .unwrap();
        council.index = council.index.wrapping_add(1);
        assert_eq!(
            differing_pallets(&ours, &theirs, &["System", "Council", "Whitelist"]),
            vec!["Council"]
        );

        // A call of the whitelist renamed: its variant in the registry.
        let mut theirs = ours.clone();
        let whitelist_calls = theirs
            .pallets
            .iter()
            .find(|p| p.name == "Whitelist")
            .and_then(|p| p.calls.as_ref())
            .unwrap()
            .ty
            .id;
        let ty = theirs
            .types
            .types
            .iter_mut()
            .find(|t| t.id == whitelist_calls)
            .unwrap();
        let TypeDef::Variant(variant) = &mut ty.ty.type_def else {
            panic!("calls are a variant");
        };
        variant.variants[0].index = 99;
        assert_eq!(
            differing_pallets(&ours, &theirs, &["System", "Whitelist"]),
            vec!["Whitelist"]
        );

        // A transaction extension more: signed payloads differ.
        let mut theirs = ours.clone();
        let extra = theirs.extrinsic.signed_extensions[0].clone();
        theirs.extrinsic.signed_extensions.push(extra);
        assert_eq!(
            differing_pallets(&ours, &theirs, &["System"]).len(),
            1,
            "the envelope differs"
        );
    }
}
