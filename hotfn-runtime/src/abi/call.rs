//! What a prologue needs to call another version and, when that version panics, to call the last
//! good one again with the same arguments.

/// Keeps what a repeated call needs: `Some(copy)` for `Copy` arguments, `None` otherwise
/// (autoref specialisation: the generated code calls `(&Replay(&arg)).kept()`).
pub struct Replay<'a, T>(pub &'a T);

/// [`Replay`] for `Copy` arguments.
pub trait KeepCopy<T> {
    /// A copy of the argument.
    fn kept(&self) -> Option<T>;
}

impl<T: Copy> KeepCopy<T> for Replay<'_, T> {
    #[inline(always)]
    fn kept(&self) -> Option<T> {
        Some(*self.0)
    }
}

/// [`Replay`] for everything else: an owned argument is consumed by the first call.
pub trait KeepNone<T> {
    /// Nothing.
    fn kept(&self) -> Option<T>;
}

impl<T> KeepNone<T> for &Replay<'_, T> {
    #[inline(always)]
    fn kept(&self) -> Option<T> {
        None
    }
}

/// Runs `call`, catching a panic (a call into another version).
#[inline(always)]
pub fn catch<R>(call: impl FnOnce() -> R) -> std::thread::Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
}

// The explicit borrows in these tests are the autoref specialisation under test.
#[cfg(test)]
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    #[test]
    fn copy_arguments_are_kept_owned_ones_are_not() {
        let number = 7u32;
        let text = String::from("owned");
        let borrowed: &str = &text;
        assert_eq!((&Replay(&number)).kept(), Some(7));
        assert_eq!((&Replay(&borrowed)).kept(), Some("owned"));
        assert_eq!((&Replay(&text)).kept(), None);
    }
}
