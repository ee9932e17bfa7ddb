//! What the compiler knows about the types in a signature: the part of a function's fingerprint
//! that the signature's text cannot show (a struct that gained a field keeps its name).
//!
//! Generated code probes each type with [`Probe`] (autoref specialisation tells sized from
//! unsized types where the type is written); types that name `Self` are probed through
//! [`layout_of`] and [`type_name_of`], whose instances a method's `asm!` table points at.

use std::marker::PhantomData;

/// Size and alignment of one type of a signature, as compiled into one binary.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeLayout {
    /// `std::any::type_name`.
    pub name: &'static str,
    /// `size_of`, or `usize::MAX` for unsized types (`str`, slices, trait objects).
    pub size: usize,
    /// `align_of`, or 0 for unsized types.
    pub align: usize,
}

impl std::fmt::Display for TypeLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.size == usize::MAX {
            write!(f, "{} (unsized)", self.name)
        } else {
            write!(
                f,
                "{}: {} bytes, align {}",
                self.name, self.size, self.align
            )
        }
    }
}

/// Asks for the layout of `T`, sized or not (autoref specialisation: the generated code calls
/// `(&Probe::<T>::new()).layout()` with [`SizedProbe`] and [`UnsizedProbe`] in scope).
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// A probe for `T`.
    pub const fn new() -> Probe<T> {
        Probe(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// [`Probe`] for sized types.
pub trait SizedProbe {
    /// The layout.
    fn layout(&self) -> TypeLayout;
}

impl<T> SizedProbe for Probe<T> {
    fn layout(&self) -> TypeLayout {
        layout_of::<T>()
    }
}

/// [`Probe`] for unsized types.
pub trait UnsizedProbe {
    /// The name only.
    fn layout(&self) -> TypeLayout;
}

impl<T: ?Sized> UnsizedProbe for &Probe<T> {
    fn layout(&self) -> TypeLayout {
        TypeLayout {
            name: std::any::type_name::<T>(),
            size: usize::MAX,
            align: 0,
        }
    }
}

/// The layout of a sized `T`: what a method's table of `Self`-dependent layouts points at.
pub fn layout_of<T>() -> TypeLayout {
    TypeLayout {
        name: std::any::type_name::<T>(),
        size: size_of::<T>(),
        align: align_of::<T>(),
    }
}

/// The name of `T`: the first entry of a method's table, for messages.
pub fn type_name_of<T: ?Sized>() -> &'static str {
    std::any::type_name::<T>()
}

/// How two lists of layouts differ, in words (empty when they agree).
pub fn differences(running: &[TypeLayout], built: &[TypeLayout]) -> Vec<String> {
    let mut differences = Vec::new();
    for (old, new) in running.iter().zip(built) {
        if old != new {
            differences.push(format!("{old}  →  {new}"));
        }
    }
    if running.len() != built.len() {
        differences.push(format!("{} types  →  {} types", running.len(), built.len()));
    }
    differences
}

// The explicit borrows in these tests are the autoref specialisation under test.
#[cfg(test)]
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    #[allow(dead_code)]
    struct Small(u8);
    #[allow(dead_code)]
    struct Big(u64, u64);

    #[test]
    fn sized_and_unsized_types() {
        let small = (&Probe::<Small>::new()).layout();
        assert_eq!((small.size, small.align), (1, 1));
        assert!(small.name.ends_with("Small"));
        let text = (&Probe::<str>::new()).layout();
        assert_eq!((text.name, text.size), ("str", usize::MAX));
        let slice = (&Probe::<[u32]>::new()).layout();
        assert_eq!(slice.size, usize::MAX);
    }

    #[test]
    fn a_grown_struct_is_a_difference() {
        let before = [
            (&Probe::<u32>::new()).layout(),
            (&Probe::<Small>::new()).layout(),
        ];
        let mut after = before;
        after[1].size = 16;
        assert!(differences(&before, &before).is_empty());
        let found = differences(&before, &after);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("1 bytes, align 1  →  ") && found[0].contains("16 bytes"),
            "{found:?}"
        );
        assert_eq!(differences(&before, &before[..1]).len(), 1);
    }
}
