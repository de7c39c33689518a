//! Equality with CPython's value semantics, and hashing where CPython allows it.

use crate::items::{ItemCodec, NativeCode};
use crate::{MemoryView, ViewError};
use format_codec::{Struct, Value};
use std::hash::{Hash, Hasher};
use strided::StridedLayout;

/// CPython's `equiv_shape` test of two shapes: equal, ignoring what follows the first 0.
pub(crate) fn equiv_shape(a: &[usize], b: &[usize]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return false;
        }
        if *x == 0 {
            break;
        }
    }
    true
}

/// How the items of one side are unpacked for comparison.
enum Unpacker {
    Native(NativeCode),
    Struct(Box<Struct>),
}

impl Unpacker {
    /// The unpacker `==` uses for a format, or `None` if the struct module rejects it (such
    /// views are unequal to everything).
    fn of(format: &str) -> Option<Unpacker> {
        match native(format) {
            Some(c) => Some(Unpacker::Native(c)),
            None => Struct::new(format).ok().map(|s| Unpacker::Struct(Box::new(s))),
        }
    }

    fn unpack(&self, b: &[u8]) -> Value {
        match self {
            // An item of the wrong size (not reachable: acquisition checks sizes) is unequal.
            Unpacker::Native(c) => c.unpack(b).unwrap_or(Value::Float(f64::NAN)),
            Unpacker::Struct(s) => match s.unpack(b.get(..s.size()).unwrap_or(b)) {
                Ok(mut v) if v.len() == 1 => v.remove(0),
                Ok(v) => Value::from(v),
                // An item the struct module cannot unpack compares unequal, like NaN.
                Err(_) => Value::Float(f64::NAN),
            },
        }
    }
}

fn native(format: &str) -> Option<NativeCode> {
    NativeCode::of_format(format)
}

/// `memoryview.__eq__`: equal shapes (ignoring what follows a 0 extent) and equal items,
/// each side unpacked with its own format (`'i'` `[1]` equals `'q'` `[1]`; `'B'` never
/// equals `'c'`; NaN items are unequal, so a view holding NaN is not equal to itself). A
/// format the struct module rejects makes the views unequal.
///
/// ```
/// use memview::MemoryView;
/// let a = MemoryView::from_bytes(&[1, 0, 0, 0]).cast("i").unwrap();
/// let b = MemoryView::new(&[1u8][..]).unwrap();
/// assert_eq!(a, b);
/// assert_ne!(a, MemoryView::from_bytes(&[1, 0, 0, 0]).cast("c").unwrap().cast("B").unwrap());
/// ```
impl PartialEq for MemoryView<'_> {
    fn eq(&self, other: &MemoryView<'_>) -> bool {
        let (a, b) = (self.live(), other.live());
        if !equiv_shape(a.layout().shape(), b.layout().shape()) {
            return false;
        }
        // Items no codec reads at the view's item size (an unknown format, or one whose size
        // is not the item size) are the struct module's error: unequal, as CPython's.
        if matches!(a.codec, ItemCodec::Unsupported) || matches!(b.codec, ItemCodec::Unsupported) {
            return false;
        }
        let (fa, fb) = (native(a.format()), native(b.format()));
        let unpackers = match (fa, fb) {
            (Some(x), Some(y)) if x == y => (Unpacker::Native(x), Unpacker::Native(y)),
            _ => match (Unpacker::of(a.format()), Unpacker::of(b.format())) {
                (Some(x), Some(y)) => (x, y),
                _ => return false,
            },
        };
        if a.layout().is_empty() || b.layout().is_empty() {
            return true;
        }
        // Identical byte formats compare their bytes (memcmp); numbers of any widths and
        // byte orders compare in typed loops; everything else item by item through `Value`s.
        let same_bytes = matches!((fa, fb), (Some(x), Some(y)) if x == y && x.is_byte());
        let numbers = (numeric(a.format()), numeric(b.format()));
        // Numbers of direct layouts are compared where they lie, run by run, with no copy.
        if let ((Some(na), Some(nb)), Some((ra, la)), Some((rb, lb))) = (numbers, a.view.direct(), b.view.direct()) {
            let r = ra.with_slice(|ma| rb.with_slice(|mb| typed_eq_strided(na, nb, (ma, la), (mb, lb))));
            if let Some(eq) = r {
                return eq;
            }
        }
        let (sa, sb) = (a.layout().itemsize(), b.layout().itemsize());
        let r = self.with_c_bytes(|xa| {
            other.with_c_bytes(|xb| {
                if same_bytes {
                    return xa == xb;
                }
                if let (Some(na), Some(nb)) = numbers {
                    if let Some(eq) = typed_eq(na, nb, xa, xb) {
                        return eq;
                    }
                }
                xa.chunks_exact(sa)
                    .zip(xb.chunks_exact(sb))
                    .all(|(p, q)| unpackers.0.unpack(p) == unpackers.1.unpack(q))
            })
        });
        matches!(r, Ok(Ok(true)))
    }
}

/// A format of single numbers the typed loops compare: the code of the Rust type (native
/// codes: `l` is `i64` here; standard sizes map `l` to `i`), and whether the bytes are in the
/// other byte order.
#[derive(Debug, Clone, Copy)]
struct Numeric {
    code: u8,
    swap: bool,
}

/// The typed-loop description of a format: a native numeric code (`"i"`, `"@d"`), or one
/// numeric code with an explicit byte order and standard size (`"<d"`, `">i"`, `"!H"`, `"=q"`).
fn numeric(format: &str) -> Option<Numeric> {
    if let Some(c) = NativeCode::of_format(format) {
        return Some(Numeric { code: c.char(), swap: false });
    }
    let [order, code] = format.as_bytes() else { return None };
    let little = match order {
        b'<' => true,
        b'>' | b'!' => false,
        b'=' => cfg!(target_endian = "little"),
        _ => return None,
    };
    let code = match code {
        b'b' | b'B' | b'h' | b'H' | b'i' | b'I' | b'q' | b'Q' | b'f' | b'd' => *code,
        // Standard sizes: `l` and `L` are 4 bytes.
        b'l' => b'i',
        b'L' => b'I',
        _ => return None,
    };
    Some(Numeric { code, swap: little != cfg!(target_endian = "little") })
}

/// A number type, read from its bytes (in either byte order) and widened for comparison.
trait Num: Copy {
    const SIZE: usize;
    type Wide: PartialEq + Copy;
    fn read(b: &[u8]) -> Self::Wide;
    fn read_swapped(b: &[u8]) -> Self::Wide;
}

macro_rules! num {
    ($($t:ty => $wide:ty),*) => {$(
        impl Num for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            type Wide = $wide;
            #[inline(always)]
            fn read(b: &[u8]) -> $wide {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                <$wide>::from(<$t>::from_ne_bytes(a))
            }
            #[inline(always)]
            fn read_swapped(b: &[u8]) -> $wide {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                a.reverse();
                <$wide>::from(<$t>::from_ne_bytes(a))
            }
        }
    )*};
}
num!(i8 => i128, u8 => i128, i16 => i128, u16 => i128, i32 => i128, u32 => i128, i64 => i128, u64 => i128,
     f32 => f64, f64 => f64);

/// The integer types whose values all fit an `i64`: pairs of them compare in 64 bits.
#[derive(Clone, Copy)]
struct Narrow<T>(T);

macro_rules! narrow {
    ($($t:ty),*) => {$(
        impl Num for Narrow<$t> {
            const SIZE: usize = std::mem::size_of::<$t>();
            type Wide = i64;
            #[inline(always)]
            fn read(b: &[u8]) -> i64 {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                i64::from(<$t>::from_ne_bytes(a))
            }
            #[inline(always)]
            fn read_swapped(b: &[u8]) -> i64 {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                a.reverse();
                i64::from(<$t>::from_ne_bytes(a))
            }
        }
    )*};
}
narrow!(i8, u8, i16, u16, i32, u32, i64);

/// Runs `$body` with `$T` bound to the [`Narrow`] type of an integer code whose values fit an
/// `i64` (every integer code but the unsigned 64-bit ones).
macro_rules! with_narrow {
    ($code:expr, $T:ident => $body:expr) => {
        match $code {
            b'b' => {
                type $T = Narrow<i8>;
                Some($body)
            }
            b'B' => {
                type $T = Narrow<u8>;
                Some($body)
            }
            b'h' => {
                type $T = Narrow<i16>;
                Some($body)
            }
            b'H' => {
                type $T = Narrow<u16>;
                Some($body)
            }
            b'i' => {
                type $T = Narrow<i32>;
                Some($body)
            }
            b'I' => {
                type $T = Narrow<u32>;
                Some($body)
            }
            b'l' | b'q' | b'n' => {
                type $T = Narrow<i64>;
                Some($body)
            }
            _ => None,
        }
    };
}

/// A reader of one number from its bytes.
type Reader<T> = fn(&[u8]) -> <T as Num>::Wide;

#[inline(never)]
fn eq_loop<A: Num, B: Num<Wide = A::Wide>>(xa: &[u8], xb: &[u8], swap_a: bool, swap_b: bool) -> bool {
    // One loop per pair of byte orders, chosen once.
    let ra: Reader<A> = if swap_a { A::read_swapped } else { A::read };
    let rb: Reader<B> = if swap_b { B::read_swapped } else { B::read };
    match (swap_a, swap_b) {
        (false, false) => pairs::<A, B>(xa, xb, A::read, B::read),
        (true, true) => pairs::<A, B>(xa, xb, A::read_swapped, B::read_swapped),
        _ => pairs::<A, B>(xa, xb, ra, rb),
    }
}

#[inline(always)]
fn pairs<A: Num, B: Num<Wide = A::Wide>>(
    xa: &[u8],
    xb: &[u8],
    ra: impl Fn(&[u8]) -> A::Wide,
    rb: impl Fn(&[u8]) -> B::Wide,
) -> bool {
    xa.chunks_exact(A::SIZE).zip(xb.chunks_exact(B::SIZE)).all(|(p, q)| ra(p) == rb(q))
}

/// Runs `$body` with `$T` bound to the Rust type of an integer (`$ints`) or float code.
macro_rules! with_int {
    ($code:expr, $T:ident => $body:expr) => {
        match $code {
            b'b' => {
                type $T = i8;
                Some($body)
            }
            b'B' => {
                type $T = u8;
                Some($body)
            }
            b'h' => {
                type $T = i16;
                Some($body)
            }
            b'H' => {
                type $T = u16;
                Some($body)
            }
            b'i' => {
                type $T = i32;
                Some($body)
            }
            b'I' => {
                type $T = u32;
                Some($body)
            }
            b'l' | b'q' | b'n' => {
                type $T = i64;
                Some($body)
            }
            b'L' | b'Q' | b'N' | b'P' => {
                type $T = u64;
                Some($body)
            }
            _ => None,
        }
    };
}

macro_rules! with_float {
    ($code:expr, $T:ident => $body:expr) => {
        match $code {
            b'f' => {
                type $T = f32;
                Some($body)
            }
            b'd' => {
                type $T = f64;
                Some($body)
            }
            _ => None,
        }
    };
}

/// `==` of two native numeric formats in a monomorphic loop, or `None` if the pair is not
/// two integer codes or two float codes (Python compares those exactly through `Value`s).
fn typed_eq(a: Numeric, b: Numeric, xa: &[u8], xb: &[u8]) -> Option<bool> {
    let (sa, sb) = (a.swap, b.swap);
    with_int!(a.code, A => with_int!(b.code, B => eq_loop::<A, B>(xa, xb, sa, sb)))
        .flatten()
        .or_else(|| with_float!(a.code, A => with_float!(b.code, B => eq_loop::<A, B>(xa, xb, sa, sb))).flatten())
}

impl MemoryView<'_> {
    /// `hash(m)`: allowed for read-only views of formats `B`, `b`, `c`, and equal to the hash
    /// of their C-order bytes (so equal views hash equally).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abc");
    /// assert!(v.try_hash().is_ok());
    /// let mut data = *b"abc";
    /// assert!(memview::MemoryView::from_mut(&mut data).try_hash().is_err());
    /// // Computed once: bindings that model Python's released state keep `cached_hash`.
    /// let w = memview::MemoryView::from_bytes(b"xy");
    /// let h = w.try_hash().unwrap();
    /// assert_eq!(w.cached_hash(), Some(h));
    /// ```
    pub fn try_hash(&self) -> Result<u64, ViewError> {
        if let Some(h) = self.hash.get() {
            // CPython caches the hash (and answers with it even after `release()`).
            return Ok(h);
        }
        let live = self.live();
        if !live.readonly {
            return Err(ViewError::NotHashable("cannot hash writable memoryview object"));
        }
        if !matches!(format_codec::Format::native_single_code(live.format()), Some(b'B' | b'b' | b'c')) {
            return Err(ViewError::NotHashable("memoryview: hashing is restricted to formats 'B', 'b' or 'c'"));
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.to_bytes()?.hash(&mut h);
        let h = h.finish();
        self.hash.set(Some(h));
        Ok(h)
    }
}

/// Hashes what equal views share: the shape up to its first 0 and the item values (integral
/// floats hash as the integer they equal, as `1.0 == 1`). Consistent with `PartialEq`: equal
/// views hash equally.
impl Hash for MemoryView<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let live = self.live();
        let shape = live.layout().shape();
        shape.len().hash(state);
        for &d in shape {
            d.hash(state);
            if d == 0 {
                return;
            }
        }
        // The items as `==` decodes them (the same unpacker), so equal views hash equally.
        let Some(unpacker) = Unpacker::of(live.format()) else {
            return;
        };
        let size = live.layout().itemsize();
        let _ = self.with_c_bytes(|bytes| {
            for item in bytes.chunks_exact(size) {
                hash_value(&unpacker.unpack(item), state);
            }
        });
    }
}

fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        // Every integer hashes as its `i128`, as equal values of any variant must.
        Value::Int(_) | Value::UInt(_) | Value::Bool(_) => v.as_i128().hash(state),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => Some(*f as i128).hash(state),
        Value::Float(f) => f.to_bits().hash(state),
        Value::Complex(c) if c.1 == 0.0 => hash_value(&Value::Float(c.0), state),
        Value::Complex(c) => (c.0.to_bits(), c.1.to_bits()).hash(state),
        Value::Bytes(b) => b.hash(state),
        Value::BigInt(s) => match v.as_i128() {
            Some(i) => Some(i).hash(state),
            None => s.hash(state),
        },
        Value::List(items) => {
            items.len().hash(state);
            for x in items.iter() {
                hash_value(x, state);
            }
        }
    }
}

/// Items of a direct layout over its memory block.
type Items<'m> = (&'m [u8], &'m StridedLayout);

/// [`typed_eq`] of two direct layouts of one shape over their memory blocks, walked together
/// run by run (no gathered copy); `None` if the pair is not two integer or two float codes.
fn typed_eq_strided(a: Numeric, b: Numeric, xa: Items<'_>, xb: Items<'_>) -> Option<bool> {
    let (sa, sb) = (a.swap, b.swap);
    if let Some(eq) = with_narrow!(a.code, A => with_narrow!(b.code, B => eq_runs::<A, B>(xa, xb, sa, sb))).flatten() {
        return Some(eq);
    }
    with_int!(a.code, A => with_int!(b.code, B => eq_runs::<A, B>(xa, xb, sa, sb)))
        .flatten()
        .or_else(|| with_float!(a.code, A => with_float!(b.code, B => eq_runs::<A, B>(xa, xb, sa, sb))).flatten())
}

#[inline(never)]
fn eq_runs<A: Num, B: Num<Wide = A::Wide>>(xa: Items<'_>, xb: Items<'_>, swap_a: bool, swap_b: bool) -> bool {
    match (swap_a, swap_b) {
        (false, false) => runs::<A, B>(xa, xb, A::read, B::read),
        (true, true) => runs::<A, B>(xa, xb, A::read_swapped, B::read_swapped),
        (true, false) => runs::<A, B>(xa, xb, A::read_swapped, B::read),
        (false, true) => runs::<A, B>(xa, xb, A::read, B::read_swapped),
    }
}

#[inline(always)]
fn runs<A: Num, B: Num<Wide = A::Wide>>(
    (ma, la): Items<'_>,
    (mb, lb): Items<'_>,
    ra: impl Fn(&[u8]) -> A::Wide,
    rb: impl Fn(&[u8]) -> B::Wide,
) -> bool {
    let mut equal = true;
    let walked = strided::for_each_run_pair(la, lb, |fa, fb, n, stride_a, stride_b| {
        if !equal {
            return;
        }
        // Forward runs (the common case): one slice per side, walked in strides.
        if stride_a >= A::SIZE as isize && stride_b >= B::SIZE as isize {
            equal = match (run_span(ma, fa, n, stride_a, A::SIZE), run_span(mb, fb, n, stride_b, B::SIZE)) {
                // Adjacent items on both sides: chunks of a size known at compile time.
                (Some(sa), Some(sb)) if stride_a as usize == A::SIZE && stride_b as usize == B::SIZE => {
                    sa.chunks_exact(A::SIZE).zip(sb.chunks_exact(B::SIZE)).all(|(p, q)| ra(p) == rb(q))
                }
                (Some(sa), Some(sb)) => {
                    sa.chunks(stride_a as usize).zip(sb.chunks(stride_b as usize)).all(|(p, q)| ra(p) == rb(q))
                }
                _ => false,
            };
            return;
        }
        for k in 0..n as isize {
            // Offsets of in-range items of layouts proven against these blocks; `get` keeps
            // even a broken proof from panicking (it reads as unequal).
            let (oa, ob) = (fa + k * stride_a, fb + k * stride_b);
            let pa = usize::try_from(oa).ok().and_then(|o| ma.get(o..o.checked_add(A::SIZE)?));
            let pb = usize::try_from(ob).ok().and_then(|o| mb.get(o..o.checked_add(B::SIZE)?));
            match (pa, pb) {
                (Some(p), Some(q)) if ra(p) == rb(q) => {}
                _ => {
                    equal = false;
                    return;
                }
            }
        }
    });
    walked.is_ok() && equal
}

/// The bytes of a forward run of `n` items from `first`, `stride` apart (`None` if they are
/// not all in `mem`, which a proven layout rules out).
fn run_span(mem: &[u8], first: isize, n: usize, stride: isize, size: usize) -> Option<&[u8]> {
    let first = usize::try_from(first).ok()?;
    let len = n.checked_sub(1)?.checked_mul(usize::try_from(stride).ok()?)?.checked_add(size)?;
    mem.get(first..first.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use crate::{MemoryView, StridedLayout};

    /// Items compared one by one as Python does (integers exactly, floats as floats).
    fn reference(a: &MemoryView<'_>, b: &MemoryView<'_>) -> bool {
        a.shape() == b.shape() && a.to_list().unwrap() == b.to_list().unwrap()
    }

    #[test]
    fn strided_typed_comparison_agrees_with_item_by_item() {
        // 48 bytes of small numbers (and 48 zeros), viewed through many layouts and formats.
        static BYTES: [u8; 48] = {
            let mut a = [0u8; 48];
            let mut i = 0;
            while i < 48 {
                a[i] = (i % 3) as u8;
                i += 1;
            }
            a
        };
        static ZEROS: [u8; 48] = [0; 48];
        let layouts = |size: usize| -> Vec<StridedLayout> {
            let s = size as isize;
            let n = 48 / size;
            let mut v = vec![
                StridedLayout::new(size, &[], &[], 0).unwrap(),
                StridedLayout::new(size, &[1, 1], &[s, s], 0).unwrap(),
                StridedLayout::contiguous(size, &[n]).unwrap(),
                StridedLayout::new(size, &[n / 2], &[2 * s], 0).unwrap(),
                StridedLayout::new(size, &[n], &[-s], (n as isize - 1) * s).unwrap(),
                StridedLayout::new(size, &[4], &[0], 0).unwrap(),
                StridedLayout::new(size, &[2, 3], &[s, 2 * s], 0).unwrap(),
            ];
            if size > 1 {
                // Items that overlap: a stride shorter than the item.
                v.push(StridedLayout::new(size, &[4], &[1], 0).unwrap());
            }
            v
        };
        let formats = ["b", "B", "h", "<H", ">i", "i", "q", "Q", ">q", "f", "d"];
        let views = |mem: &'static [u8]| -> Vec<MemoryView<'static>> {
            let base = MemoryView::from_bytes(mem);
            let mut out = vec![];
            for f in formats {
                let size = format_codec::calcsize(f).unwrap();
                for l in layouts(size) {
                    if let Ok(v) = base.reinterpret(f, l) {
                        out.push(v);
                    }
                }
            }
            out
        };
        let (a, b) = (views(&BYTES), views(&ZEROS));
        let mut compared = 0;
        // Every pair natively; every 31st under Miri (the same paths, in less time).
        let step = if cfg!(miri) { 31 } else { 1 };
        for (k, x) in a.iter().chain(&b).enumerate() {
            for (j, y) in a.iter().chain(&b).enumerate() {
                if (k + j) % step == 0 && x.shape() == y.shape() && !x.shape().contains(&0) {
                    assert_eq!(*x == *y, reference(x, y), "{x:?} == {y:?}");
                    compared += 1;
                }
            }
        }
        assert!(compared * step > 1000, "{compared}");
    }
}
