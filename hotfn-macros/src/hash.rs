//! The one hash of the expansion: symbol names and type fingerprints must be the same in every
//! compile of the same source, on every compiler and platform.

/// FNV-1a: stable across compiler versions and platforms, unlike `DefaultHasher`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
