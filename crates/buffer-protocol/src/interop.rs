//! Exporters and elements of other crates' types, each behind the Cargo feature of the same
//! name: `half` (`f16` items, format `"e"`), `bytes` (`Bytes`, `BytesMut`), `ndarray` (arrays of
//! any layout), `memmap2` (memory-mapped files), `arrow` (Arrow `Buffer`s and `ScalarBuffer`s). Everything they export is read-only: they are
//! exported through shared references, which anyone holding the owner may read meanwhile.

#[cfg(any(feature = "bytes", feature = "memmap2", feature = "arrow"))]
use crate::{BufferError, BufferInfo, Exporter, Flags};

/// Byte memory exported read-only as one dimension of `"B"`.
#[cfg(any(feature = "bytes", feature = "memmap2", feature = "arrow"))]
fn bytes_info(bytes: &[u8], flags: Flags) -> Result<BufferInfo, BufferError> {
    let layout = strided::StridedLayout::contiguous(1, &[bytes.len()])?;
    // SAFETY: every caller passes memory its exporter keeps valid and unmoved while borrowed
    // (promise 1), exported read-only; no suboffsets (promise 2 is vacuous).
    unsafe { BufferInfo::new(std::ptr::NonNull::from(bytes).cast::<u8>(), bytes.len(), layout, "B", true, flags) }
}

// SAFETY: `half::f16` is a `#[repr(transparent)]` wrapper of a `u16`: `Copy`, no padding,
// every bit pattern a valid value; `"e"` is binary16, 2 bytes.
#[cfg(feature = "half")]
unsafe impl crate::Element for half::f16 {
    const FORMAT: &'static str = "e";
}

// SAFETY: the bytes behind a `Bytes` are immutable and live while the handle does (the
// consumer borrows or owns it); exported read-only.
#[cfg(feature = "bytes")]
unsafe impl Exporter for bytes::Bytes {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        bytes_info(self, flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: a `BytesMut` borrowed shared cannot grow, shrink or be written; its bytes are
// exported read-only. (For writes, lend `&mut bytes[..]` through `MutSlice`.)
#[cfg(feature = "bytes")]
unsafe impl Exporter for bytes::BytesMut {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        bytes_info(self, flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: a mapping stays mapped, at the same address, while the `Mmap` lives (the consumer
// borrows or owns it); it is exported read-only. That no other process changes the file is
// the promise of the `unsafe` `Mmap::map` that made it.
#[cfg(feature = "memmap2")]
unsafe impl Exporter for memmap2::Mmap {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        bytes_info(self, flags)
    }
}

// SAFETY: as for `Mmap`; a writable mapping borrowed shared is exported read-only. (For
// writes, lend `&mut map[..]` through `MutSlice`.)
#[cfg(feature = "memmap2")]
unsafe impl Exporter for memmap2::MmapMut {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        bytes_info(self, flags)
    }
}

// SAFETY: an Arrow `Buffer` is immutable and shared (reference-counted); its bytes live and
// stay unwritten while the handle does (the consumer borrows or owns it); exported read-only.
#[cfg(feature = "arrow")]
unsafe impl Exporter for arrow_buffer::Buffer {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        bytes_info(self.as_slice(), flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

// SAFETY: as for `Buffer`: a `ScalarBuffer` is an immutable typed window of one; its items
// are exported read-only with their format.
#[cfg(feature = "arrow")]
unsafe impl<T: crate::Element + arrow_buffer::ArrowNativeType> Exporter for arrow_buffer::ScalarBuffer<T> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        let items: &[T] = self;
        items.get_buffer(flags)
    }
    fn frozen(&self) -> bool {
        true
    }
}

#[cfg(feature = "ndarray")]
mod arrays {
    use crate::{BufferError, BufferInfo, Element, Exporter, Flags};
    use ::ndarray::{ArrayBase, Data, Dimension};
    use std::ptr::NonNull;
    use strided::{LayoutError, StridedLayout};

    // SAFETY: the elements of an array borrowed shared (`Data`: owned, shared or viewed
    // storage, never written through `&self`) stay valid, unmoved and unwritten while it is
    // borrowed; the descriptor covers exactly the bytes from the lowest to the highest element
    // the array's shape and strides reach, and is read-only.
    unsafe impl<A: Element, S: Data<Elem = A>, D: Dimension> Exporter for ArrayBase<S, D> {
        fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
            let size = std::mem::size_of::<A>() as isize;
            let shape = self.shape();
            let mut strides = Vec::with_capacity(shape.len());
            // ndarray counts strides in elements; the buffer protocol in bytes.
            for &s in self.strides() {
                strides.push(s.checked_mul(size).ok_or(LayoutError::Overflow("stride"))?);
            }
            let empty = shape.contains(&0);
            // The lowest element the layout reaches, relative to the first one.
            let low: isize = if empty {
                0
            } else {
                shape.iter().zip(&strides).map(|(&n, &s)| if s < 0 { (n as isize - 1) * s } else { 0 }).sum()
            };
            let layout = StridedLayout::new(size as usize, shape, &strides, -low)?;
            let len = if empty { 0 } else { layout.extent()?.map_or(0, |(lo, hi)| (hi - lo) as usize) };
            let first = NonNull::new(self.as_ptr().cast_mut()).ok_or(BufferError::Released)?;
            // The lowest element: `low` bytes before the first (in bounds: the array reaches it).
            let region = if empty { first.cast::<u8>() } else { unsafe_offset(first.cast::<u8>(), low) };
            // SAFETY: promise 1 as argued at the impl; no suboffsets (promise 2 is vacuous).
            unsafe { BufferInfo::new(region, len, layout, A::FORMAT, true, flags) }
        }
        fn frozen(&self) -> bool {
            true
        }
    }

    /// `ptr` moved by `delta` bytes within the same array.
    fn unsafe_offset(ptr: NonNull<u8>, delta: isize) -> NonNull<u8> {
        // SAFETY: callers move to the lowest element an array's own layout reaches, which lies
        // in the array's allocation.
        unsafe { ptr.offset(delta) }
    }
}
