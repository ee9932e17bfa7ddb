//! Which allocator serves a binary's `std::alloc` calls, as far as can be told: a `String` made by
//! reloaded code and freed by the host (or the reverse) is sound only if both sides allocate from
//! the same heap. Without a `#[global_allocator]`, both use the C library's `malloc`, which the
//! process has once; a `#[global_allocator]` in the program's binary does not serve the library,
//! and one in the library's crate is a second instance with a heap of its own.

/// What serves this binary's allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Allocator {
    /// Cannot tell on this platform.
    Unknown = 0,
    /// The C library's `malloc` (std's `System`, or an allocator that wraps it).
    Malloc = 1,
    /// Something else: a `#[global_allocator]` with a heap of its own.
    Other = 2,
}

impl Allocator {
    pub fn from_u8(value: u8) -> Allocator {
        match value {
            1 => Allocator::Malloc,
            2 => Allocator::Other,
            _ => Allocator::Unknown,
        }
    }
}

/// This binary's allocator: allocates a block through `std::alloc` and sees whether `malloc`'s
/// count of bytes in use grew by that much (a few tries, in case other threads allocate or free
/// at the same time).
pub fn this_binary() -> Allocator {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::alloc::Layout;
        const SIZE: usize = 4 << 20;
        let in_use = || {
            // SAFETY: `mallinfo2` only reads malloc's statistics.
            let info = unsafe { libc::mallinfo2() };
            info.uordblks + info.hblkhd
        };
        let layout = Layout::from_size_align(SIZE, 16).expect("a valid layout");
        for _ in 0..3 {
            let before = in_use();
            // SAFETY: `layout` has a non-zero size; the block is freed right below.
            let block = unsafe { std::alloc::alloc(layout) };
            // In an optimised build the compiler may remove an allocation that nothing uses,
            // together with its deallocation: make the block escape, so malloc really runs.
            let block = std::hint::black_box(block);
            if block.is_null() {
                return Allocator::Unknown;
            }
            let after = in_use();
            // SAFETY: `block` was allocated just above with `layout`.
            unsafe { std::alloc::dealloc(block, layout) };
            if (SIZE..SIZE + SIZE / 4).contains(&after.wrapping_sub(before)) {
                return Allocator::Malloc;
            }
        }
        Allocator::Other
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    Allocator::Unknown
}

/// The host's allocator, found once.
pub fn host() -> Allocator {
    static HOST: std::sync::OnceLock<Allocator> = std::sync::OnceLock::new();
    *HOST.get_or_init(this_binary)
}

/// Why a host using `host` cannot exchange allocations with a library using `library`, if it
/// cannot.
pub fn mismatch(host: Allocator, library: Allocator) -> Option<String> {
    let who = match (host, library) {
        (Allocator::Other, _) => {
            "the program has a #[global_allocator] that reloaded code cannot share"
        }
        (_, Allocator::Other) => {
            "the reloaded library has a #[global_allocator] of its own (a second heap)"
        }
        _ => return None,
    };
    Some(format!(
        "{who}: a String or Vec made on one side and freed on the other would corrupt memory. Use \
         the system allocator in hot mode: put `#[cfg_attr(not(feature = \"hot\"), \
         global_allocator)]` on the allocator's static instead of `#[global_allocator]`, and \
         restart the program"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_test_binary_uses_malloc() {
        assert_eq!(this_binary(), Allocator::Malloc);
    }

    #[test]
    fn only_malloc_on_both_sides_or_unknown_is_accepted() {
        use Allocator::*;
        assert_eq!(mismatch(Malloc, Malloc), None);
        assert_eq!(mismatch(Unknown, Malloc), None);
        assert_eq!(mismatch(Malloc, Unknown), None);
        assert!(mismatch(Other, Malloc).unwrap().contains("the program has"));
        assert!(mismatch(Other, Other).unwrap().contains("the program has"));
        assert!(mismatch(Malloc, Other).unwrap().contains("library has"));
        assert!(mismatch(Malloc, Other).unwrap().contains("cfg_attr"));
    }
}
