//! [`NdArray`]: an exporter of any layout, like CPython's `_testbuffer.ndarray`.

use crate::{BufferError, BufferInfo, Exporter, Flags};
use std::cell::{Cell, UnsafeCell};
use std::ptr::NonNull;
use strided::StridedLayout;

/// An owned block of memory exported with any format, shape, strides and offset, optionally
/// in the indirect PIL layout (a first dimension of pointers to sub-arrays); what
/// `_testbuffer.ndarray` is to CPython's tests, for tests and for users with unusual layouts.
///
/// ```
/// use buffer_protocol::{Exporter, Flags, NdArray};
/// // Two rows of three bytes, exported with the rows reversed.
/// let nd = NdArray::new((0..6).collect(), "B", 1, &[2, 3], &[-3, 1], 3, false).unwrap();
/// let info = nd.get_buffer(Flags::STRIDED).unwrap();
/// assert_eq!(info.strides(), Some(&[-3, 1][..]));
/// assert!(nd.get_buffer(Flags::CONTIG).is_err()); // not C-contiguous
/// // SAFETY: `info` came from `nd.get_buffer` and is released once.
/// unsafe { nd.release_buffer(&info) };
/// ```
#[derive(Debug)]
pub struct NdArray {
    memory: UnsafeCell<Vec<u8>>,
    format: String,
    layout: StridedLayout,
    readonly: bool,
    /// The pointer table of the PIL layout, one pointer per index of the first dimension.
    pointers: Option<PointerTable>,
    exports: Cell<usize>,
}

/// Row pointers into the array's own heap block, stored as pointers (not addresses) so
/// that consumers load them with their provenance (Miri's strict provenance holds).
#[derive(Debug)]
struct PointerTable(Vec<*mut u8>);

// SAFETY: the pointers point into the `NdArray`'s own heap block (`memory`), which moves with
// the array and is never resized; sending the array sends the block and its table together,
// and `NdArray` is not `Sync`, so no two threads use them at once.
unsafe impl Send for PointerTable {}

impl NdArray {
    /// An exporter of `memory` with the given layout (`offset` is the byte offset of the item
    /// at index 0); the layout must lie within the memory.
    ///
    /// ```
    /// let nd = buffer_protocol::NdArray::new(vec![0; 8], "<i", 4, &[2], &[4], 0, true).unwrap();
    /// assert_eq!(nd.layout().shape(), &[2]);
    /// assert!(buffer_protocol::NdArray::new(vec![0; 7], "<i", 4, &[2], &[4], 0, true).is_err());
    /// ```
    pub fn new(
        memory: Vec<u8>,
        format: &str,
        itemsize: usize,
        shape: &[usize],
        strides: &[isize],
        offset: isize,
        readonly: bool,
    ) -> Result<NdArray, BufferError> {
        let layout = StridedLayout::new(itemsize, shape, strides, offset)?;
        layout.check_within(memory.len())?;
        Ok(NdArray {
            memory: UnsafeCell::new(memory),
            format: format.to_owned(),
            layout,
            readonly,
            pointers: None,
            exports: Cell::new(0),
        })
    }

    /// A builder of an array over `memory` with items of `format`: by default one
    /// C-contiguous dimension of as many items as fit, item size from the format, offset 0,
    /// read-only. Set what differs: [`shape`](NdArrayBuilder::shape),
    /// [`strides`](NdArrayBuilder::strides) (bytes), [`offset`](NdArrayBuilder::offset),
    /// [`itemsize`](NdArrayBuilder::itemsize), [`writable`](NdArrayBuilder::writable).
    ///
    /// ```
    /// use buffer_protocol::NdArray;
    /// // Two rows of three `<h` items, rows reversed: NumPy's a[::-1] of a (2, 3) array.
    /// let nd = NdArray::builder(vec![0; 12], "<h").shape(&[2, 3]).strides(&[-6, 2]).offset(6).build().unwrap();
    /// assert_eq!((nd.layout().itemsize(), nd.layout().strides()), (2, &[-6, 2][..]));
    /// let flat = NdArray::builder(vec![0; 12], "<i").writable().build().unwrap();
    /// assert_eq!(flat.layout().shape(), &[3]);
    /// assert!(NdArray::builder(vec![0; 12], "<i").shape(&[4]).build().is_err()); // 16 bytes > 12
    /// ```
    pub fn builder(memory: Vec<u8>, format: &str) -> NdArrayBuilder {
        NdArrayBuilder {
            memory,
            format: format.to_owned(),
            itemsize: None,
            shape: None,
            strides: None,
            offset: 0,
            readonly: true,
        }
    }

    /// Presents the same logical array in the PIL layout: the first dimension becomes an
    /// array of pointers, one to each sub-array, with `suboffsets = [0, -1, ...]` and a
    /// pointer-sized first stride (negative if the first dimension runs backwards).
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags, NdArray};
    /// let nd = NdArray::new(vec![1, 2, 3, 4], "B", 1, &[2, 2], &[2, 1], 0, true).unwrap().into_pil().unwrap();
    /// assert!(nd.get_buffer(Flags::STRIDED_RO).is_err()); // needs INDIRECT
    /// let info = nd.get_buffer(Flags::FULL_RO).unwrap();
    /// assert_eq!(info.suboffsets(), Some(&[0, -1][..]));
    /// assert_eq!(info.strides(), Some(&[8, 1][..]));
    /// ```
    pub fn into_pil(mut self) -> Result<NdArray, BufferError> {
        let l = &self.layout;
        if l.ndim() == 0 {
            return Err(BufferError::Layout(strided::LayoutError::Indirect("a 0-dimensional PIL layout")));
        }
        let n = l.shape()[0];
        let base = self.memory.get_mut().as_mut_ptr();
        let s0 = l.strides()[0];
        let mut table = vec![std::ptr::null_mut::<u8>(); n];
        for i in 0..n {
            // Row `i` of the direct layout; in bounds, as `new` checked the layout.
            let row = base.wrapping_offset(l.offset() + i as isize * s0);
            let slot = if s0 < 0 { n - 1 - i } else { i };
            table[slot] = row;
        }
        let ptr = std::mem::size_of::<usize>() as isize;
        let mut shape = l.shape().to_vec();
        let mut strides = l.strides().to_vec();
        shape[0] = n;
        strides[0] = if s0 < 0 { -ptr } else { ptr };
        let offset = if s0 < 0 { ptr * (n as isize - 1).max(0) } else { 0 };
        let mut subs = vec![-1isize; l.ndim()];
        subs[0] = 0;
        self.layout = StridedLayout::new(l.itemsize(), &shape, &strides, offset)?.with_suboffsets(&subs)?;
        self.pointers = Some(PointerTable(table));
        Ok(self)
    }

    /// The number of live exports.
    ///
    /// ```
    /// use buffer_protocol::{get_buffer, Flags, NdArray};
    /// let nd = NdArray::new(vec![0; 2], "B", 1, &[2], &[1], 0, true).unwrap();
    /// let held = get_buffer(&nd, Flags::SIMPLE).unwrap();
    /// assert_eq!(nd.exports(), 1);
    /// drop(held);
    /// ```
    pub fn exports(&self) -> usize {
        self.exports.get()
    }

    /// A copy of the whole memory block (the direct data, not the pointer table).
    ///
    /// ```
    /// let nd = buffer_protocol::NdArray::new(vec![1, 2, 3], "B", 1, &[2], &[-1], 2, true).unwrap();
    /// assert_eq!(nd.memory(), [1, 2, 3]);
    /// ```
    pub fn memory(&self) -> Vec<u8> {
        crate::exporter::copy_heap(&self.memory)
    }

    /// The exported layout.
    ///
    /// ```
    /// let nd = buffer_protocol::NdArray::new(vec![0; 4], "B", 1, &[2, 2], &[2, 1], 0, true).unwrap();
    /// assert!(nd.layout().is_c_contiguous());
    /// ```
    pub fn layout(&self) -> &StridedLayout {
        &self.layout
    }
}

// SAFETY: the memory Vec and the pointer table are never resized or moved after
// construction, so every descriptor's region stays valid while the `NdArray` lives; the
// direct layout was checked against the memory in `new`, and every pointer of the table is a
// row start within it whose sub-array lies within it too (promise 2); the memory is writable
// unless `readonly`.
unsafe impl Exporter for NdArray {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        let (region, len) = match &self.pointers {
            Some(PointerTable(table)) => (
                NonNull::new(table.as_ptr().cast_mut().cast::<u8>()).unwrap_or(NonNull::dangling()),
                std::mem::size_of_val(table.as_slice()),
            ),
            None => crate::exporter::heap_of(&self.memory),
        };
        // SAFETY: see the impl's argument above.
        let info =
            unsafe { BufferInfo::new(region, len, self.layout.clone(), self.format.clone(), self.readonly, flags)? };
        self.exports.set(self.exports.get() + 1);
        Ok(info)
    }

    unsafe fn release_buffer(&self, _info: &BufferInfo) {
        self.exports.set(self.exports.get().saturating_sub(1));
    }
}

/// The parts of an [`NdArray`] not yet given: see [`NdArray::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct NdArrayBuilder {
    memory: Vec<u8>,
    format: String,
    itemsize: Option<usize>,
    shape: Option<Vec<usize>>,
    strides: Option<Vec<isize>>,
    offset: isize,
    readonly: bool,
}

impl NdArrayBuilder {
    /// The extent of each dimension (default: one dimension of as many items as fit).
    ///
    /// ```
    /// let nd = buffer_protocol::NdArray::builder(vec![0; 6], "B").shape(&[2, 3]).build().unwrap();
    /// assert_eq!(nd.layout().strides(), &[3, 1]);
    /// ```
    pub fn shape(mut self, shape: &[usize]) -> Self {
        self.shape = Some(shape.to_vec());
        self
    }

    /// Byte strides, one per dimension (default: C-contiguous).
    ///
    /// ```
    /// // Fortran order.
    /// let nd = buffer_protocol::NdArray::builder(vec![0; 6], "B").shape(&[2, 3]).strides(&[1, 2]).build().unwrap();
    /// assert!(nd.layout().is_f_contiguous());
    /// ```
    pub fn strides(mut self, strides: &[isize]) -> Self {
        self.strides = Some(strides.to_vec());
        self
    }

    /// The byte offset of the item at index 0 (default 0).
    ///
    /// ```
    /// let nd = buffer_protocol::NdArray::builder(vec![0; 4], "B").shape(&[2]).offset(2).build().unwrap();
    /// assert_eq!(nd.layout().offset(), 2);
    /// ```
    pub fn offset(mut self, offset: isize) -> Self {
        self.offset = offset;
        self
    }

    /// The item size (default: the format's size, as `struct.calcsize` or PEP 3118 give it).
    ///
    /// ```
    /// // An opaque format nothing reads: say how big its items are.
    /// let nd = buffer_protocol::NdArray::builder(vec![0; 8], "X").itemsize(4).build().unwrap();
    /// assert_eq!(nd.layout().shape(), &[2]);
    /// ```
    pub fn itemsize(mut self, itemsize: usize) -> Self {
        self.itemsize = Some(itemsize);
        self
    }

    /// Lends the memory for writing (default: read-only).
    ///
    /// ```
    /// use buffer_protocol::{Exporter, Flags, NdArray};
    /// let nd = NdArray::builder(vec![0; 2], "B").writable().build().unwrap();
    /// assert!(nd.get_buffer(Flags::WRITABLE).is_ok());
    /// ```
    pub fn writable(mut self) -> Self {
        self.readonly = false;
        self
    }

    /// The array, or why its layout is refused (an unreadable format with no item size
    /// given, overflowing sizes, a layout outside the memory).
    ///
    /// ```
    /// assert!(buffer_protocol::NdArray::builder(vec![0; 2], "i").shape(&[1]).build().is_err());
    /// ```
    pub fn build(self) -> Result<NdArray, BufferError> {
        let itemsize = match self.itemsize {
            Some(n) => n,
            None => format_codec::Format::parse(&self.format).map_err(BufferError::Format)?.itemsize(),
        };
        let shape = match self.shape {
            Some(s) => s,
            None => vec![self.memory.len().checked_div(itemsize).unwrap_or(0)],
        };
        let strides = match self.strides {
            Some(s) => s,
            None => strided::c_strides(itemsize, &shape)?.to_vec(),
        };
        NdArray::new(self.memory, &self.format, itemsize, &shape, &strides, self.offset, self.readonly)
    }
}
