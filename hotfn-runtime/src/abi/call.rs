//! What a prologue needs to call another version and, when that version panics, to call the last
//! good one again with the same arguments; and the boxed future every version of a hot
//! `async fn` returns.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::abi::slot::{Code, Slot};

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

/// The future of a hot `async fn`, boxed, so that every version returns the same type: `Send`
/// when the function's own future is (see [`Boxer`]). A panic while it is polled is reported to
/// the runtime (which rolls a reloaded version back) and continues.
#[repr(C)]
pub struct SendFuture<'a, R> {
    inner: Pin<Box<dyn Future<Output = R> + Send + 'a>>,
    tag: Tag,
}

/// [`SendFuture`] for a function whose future is not `Send`.
#[repr(C)]
pub struct LocalFuture<'a, R> {
    inner: Pin<Box<dyn Future<Output = R> + 'a>>,
    tag: Tag,
}

/// Which version made a future, and whether it is `Send`: the same bytes in both kinds.
#[repr(C)]
#[derive(Clone, Copy)]
struct Tag {
    slot: &'static Slot,
    code: Code,
    send: bool,
    /// What a panic in the future's poll goes to: the runtime, which reports it.
    on_panic: OnPanic,
}

/// Reports a panic (its payload) in a call of a slot's function into a version's code, and
/// continues it.
pub type OnPanic = fn(&'static Slot, *const (), Box<dyn std::any::Any + Send>) -> !;

impl<R> Future for SendFuture<'_, R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let tag = self.tag;
        poll_reporting(tag, || self.inner.as_mut().poll(cx))
    }
}

impl<R> Future for LocalFuture<'_, R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let tag = self.tag;
        poll_reporting(tag, || self.inner.as_mut().poll(cx))
    }
}

fn poll_reporting<R>(tag: Tag, poll: impl FnOnce() -> Poll<R>) -> Poll<R> {
    match catch(poll) {
        Ok(poll) => poll,
        Err(payload) => (tag.on_panic)(tag.slot, tag.code.0, payload),
    }
}

/// What a version's prologue checks of the future another version made: it may only stand in
/// for this version's if it is `Send` when this one's is.
pub trait Tagged {
    /// Whether this version's future is `Send`.
    const SEND: bool;
    /// Whether the future at hand, made by whichever version, is.
    fn made_send(&self) -> bool;
}

impl<R> Tagged for SendFuture<'_, R> {
    const SEND: bool = true;
    fn made_send(&self) -> bool {
        self.tag.send
    }
}

impl<R> Tagged for LocalFuture<'_, R> {
    const SEND: bool = false;
    fn made_send(&self) -> bool {
        self.tag.send
    }
}

/// Whether `future`, typed as this version's, was made by a version whose future is not `Send`
/// although this one's is.
pub fn send_mismatch<T: Tagged>(future: &T) -> bool {
    T::SEND && !future.made_send()
}

/// Boxes a hot `async fn`'s future, as a [`SendFuture`] when it is `Send` and a [`LocalFuture`]
/// otherwise (autoref specialisation: the generated code calls `(&Boxer::new(f, …)).boxed()`).
/// The lifetime `'a` is the boxed future's: one that every lifetime the future captures outlives
/// (the generated code names it, as a return type must).
pub struct Boxer<'a, F> {
    future: Cell<Option<F>>,
    slot: &'static Slot,
    code: *const (),
    on_panic: OnPanic,
    lifetime: std::marker::PhantomData<&'a ()>,
}

impl<F> Boxer<'_, F> {
    /// `future`, made by the version whose code is `code`, of the function of `slot`; a panic
    /// while it is polled goes to `on_panic`.
    pub fn new(future: F, slot: &'static Slot, code: *const (), on_panic: OnPanic) -> Self {
        Boxer {
            future: Cell::new(Some(future)),
            slot,
            code,
            on_panic,
            lifetime: std::marker::PhantomData,
        }
    }

    fn tag(&self, send: bool) -> Tag {
        Tag {
            slot: self.slot,
            code: Code(self.code),
            send,
            on_panic: self.on_panic,
        }
    }

    fn take(&self) -> F {
        match self.future.take() {
            Some(future) => future,
            None => unreachable!("a Boxer is boxed once"),
        }
    }
}

/// [`Boxer`] for `Send` futures.
pub trait BoxSend<'a, R> {
    /// The boxed future.
    fn boxed(&self) -> SendFuture<'a, R>;
}

impl<'a, R, F: Future<Output = R> + Send + 'a> BoxSend<'a, R> for Boxer<'a, F> {
    fn boxed(&self) -> SendFuture<'a, R> {
        SendFuture {
            inner: Box::pin(self.take()),
            tag: self.tag(true),
        }
    }
}

/// [`Boxer`] for everything else.
pub trait BoxLocal<'a, R> {
    /// The boxed future.
    fn boxed(&self) -> LocalFuture<'a, R>;
}

impl<'a, R, F: Future<Output = R> + 'a> BoxLocal<'a, R> for &Boxer<'a, F> {
    fn boxed(&self) -> LocalFuture<'a, R> {
        LocalFuture {
            inner: Box::pin(self.take()),
            tag: self.tag(false),
        }
    }
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
