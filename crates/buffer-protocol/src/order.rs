//! Numbers stored in an explicit byte order: [`Be<T>`] and [`Le<T>`], the items of formats
//! such as `">d"` and `"<i"` (network packets, files written on other machines, NumPy's
//! `>f8`), read and written with one byte swap where the host's order differs.

use crate::Element;

/// A number type that can be byte-swapped: the integers and floats that are [`Element`]s.
///
/// Sealed: implemented here for `u8`..`u64`, `i8`..`i64`, `usize`, `isize`, `f32` and `f64`.
///
/// ```
/// use buffer_protocol::Swappable;
/// assert_eq!(0x0102u16.swapped(), 0x0201);
/// assert_eq!(1.0f64.swapped().swapped(), 1.0);
/// ```
pub trait Swappable: Element + sealed::Sealed {
    /// The big-endian format of the type (`">d"` for `f64`): its code at the standard size.
    const BE_FORMAT: &'static str;
    /// The little-endian format of the type (`"<d"` for `f64`).
    const LE_FORMAT: &'static str;
    /// The value with its bytes in the opposite order.
    fn swapped(self) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

/// One definition per type: its code, and how its bytes swap (`$swap` is applied to `self`).
macro_rules! swappable {
    ($($t:ty => $c:literal, |$x:ident| $swap:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Swappable for $t {
            const BE_FORMAT: &'static str = concat!(">", $c);
            const LE_FORMAT: &'static str = concat!("<", $c);
            #[inline(always)]
            fn swapped(self) -> Self {
                let $x = self;
                $swap
            }
        }
    )*};
}
swappable! {
    u8 => "B", |x| x.swap_bytes();
    i8 => "b", |x| x.swap_bytes();
    u16 => "H", |x| x.swap_bytes();
    i16 => "h", |x| x.swap_bytes();
    u32 => "I", |x| x.swap_bytes();
    i32 => "i", |x| x.swap_bytes();
    u64 => "Q", |x| x.swap_bytes();
    i64 => "q", |x| x.swap_bytes();
    f32 => "f", |x| f32::from_bits(x.to_bits().swap_bytes());
    f64 => "d", |x| f64::from_bits(x.to_bits().swap_bytes());
}

macro_rules! ordered {
    ($name:ident, $prefix:literal, $big:literal, $what:literal, $example_fmt:literal, $example_bytes:expr) => {
        #[doc = concat!("A `T` stored ", $what, ": the item type of `\"", $prefix, "\"`-prefixed formats")]
        /// (`typed::<Be<f64>>()` of a `">d"` view), read with [`get`](Self::get) and made
        /// with [`new`](Self::new). Its memory is the number's bytes in that order, whatever
        /// the host's, so slices of it are files' and packets' records as they are.
        ///
        /// ```
        #[doc = concat!("use buffer_protocol::", stringify!($name), ";")]
        #[doc = concat!("let x = ", stringify!($name), "::new(258u16);")]
        #[doc = concat!("assert_eq!(x.get(), 258);")]
        #[doc = concat!("assert_eq!(x.to_bytes(), ", stringify!($example_bytes), ");")]
        /// ```
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
        #[repr(transparent)]
        pub struct $name<T>(T);

        impl<T: Swappable> $name<T> {
            /// The stored form of `value`.
            ///
            /// ```
            #[doc = concat!("let x = buffer_protocol::", stringify!($name), "::new(1.5f64);")]
            /// assert_eq!(x.get(), 1.5);
            /// ```
            #[inline(always)]
            pub fn new(value: T) -> Self {
                Self(if $big == cfg!(target_endian = "big") { value } else { value.swapped() })
            }

            /// The number.
            ///
            /// ```
            #[doc = concat!("assert_eq!(buffer_protocol::", stringify!($name), "::new(-7i32).get(), -7);")]
            /// ```
            #[inline(always)]
            pub fn get(self) -> T {
                if $big == cfg!(target_endian = "big") {
                    self.0
                } else {
                    self.0.swapped()
                }
            }

            /// The stored bytes, in the type's byte order.
            ///
            /// ```
            #[doc = concat!("assert_eq!(buffer_protocol::", stringify!($name), "::new(1u8).to_bytes(), vec![1]);")]
            /// ```
            pub fn to_bytes(self) -> Vec<u8> {
                let size = std::mem::size_of::<T>();
                let mut out = vec![0u8; size];
                // SAFETY: `Self` is `repr(transparent)` over a `T: Element`, a plain number of
                // `size` bytes with no padding; `out` holds exactly `size` bytes, and the copy
                // reads the value's bytes, which are all initialised.
                unsafe {
                    std::ptr::copy_nonoverlapping(std::ptr::from_ref(&self).cast::<u8>(), out.as_mut_ptr(), size);
                }
                out
            }
        }

        impl<T: Swappable> From<T> for $name<T> {
            fn from(value: T) -> Self {
                Self::new(value)
            }
        }

        impl<T: Swappable + std::fmt::Debug> std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.get())
            }
        }

        // SAFETY: `repr(transparent)` over a `T: Element` (a plain number: `Copy`, no padding,
        // every bit pattern valid), so the same holds for the wrapper; the format is `T`'s
        // standard code with this byte order's prefix, whose standard size is `T`'s size for
        // every `Swappable` type (the 1, 2, 4 and 8-byte codes; `n`/`N` have no standard size
        // and are not `Swappable`).
        unsafe impl<T: Swappable> Element for $name<T> {
            const FORMAT: &'static str = if $big { T::BE_FORMAT } else { T::LE_FORMAT };
        }
    };
}

ordered!(Be, ">", true, "big-endian", ">H", vec![1u8, 2]);
ordered!(Le, "<", false, "little-endian", "<H", vec![2u8, 1]);
