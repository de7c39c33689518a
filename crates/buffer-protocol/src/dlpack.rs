//! DLPack (feature `dlpack`): the C structs of the DLPack 1.x specification (`dlpack.h`,
//! written out here from the spec: a few `#[repr(C)]` structs need no dependency, where the
//! `dlpark` crate would bring its own tensor types and optional Python), and a managed tensor
//! from another library as an exporter.
//!
//! Strides in DLPack count items; the descriptor made here counts bytes. CPU tensors only.

use crate::{BufferError, BufferInfo, Exporter, Flags};
use std::ffi::c_void;
use std::ptr::NonNull;
use strided::{LayoutError, StridedLayout};

/// `DLDevice`: where the memory is (`device_type` 1 is `kDLCPU`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DLDevice {
    /// `DLDeviceType`.
    pub device_type: i32,
    /// The device's index.
    pub device_id: i32,
}

/// `kDLCPU`.
pub const DL_CPU: i32 = 1;

/// `DLDataType`: an item's kind (`code`), width in bits and lanes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DLDataType {
    /// `kDLInt` 0, `kDLUInt` 1, `kDLFloat` 2, `kDLBfloat` 4, `kDLComplex` 5, `kDLBool` 6.
    pub code: u8,
    /// Bits per lane.
    pub bits: u8,
    /// Lanes (1 for scalars).
    pub lanes: u16,
}

/// `DLTensor`: the memory and layout of a tensor.
#[repr(C)]
#[derive(Debug)]
pub struct DLTensor {
    /// The data pointer (plus `byte_offset`).
    pub data: *mut c_void,
    /// The device.
    pub device: DLDevice,
    /// Dimensions.
    pub ndim: i32,
    /// The item type.
    pub dtype: DLDataType,
    /// `ndim` extents.
    pub shape: *mut i64,
    /// `ndim` strides in items, or null for compact row-major.
    pub strides: *mut i64,
    /// Bytes from `data` to the first item.
    pub byte_offset: u64,
}

/// `DLPackVersion`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DLPackVersion {
    /// Major version (1).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

/// `DLPACK_FLAG_BITMASK_READ_ONLY`.
pub const DLPACK_FLAG_READ_ONLY: u64 = 1;
/// `DLPACK_FLAG_BITMASK_IS_COPIED`.
pub const DLPACK_FLAG_IS_COPIED: u64 = 2;

/// `DLManagedTensorVersioned`: a tensor and who frees it.
#[repr(C)]
#[derive(Debug)]
pub struct DLManagedTensorVersioned {
    /// The version of the struct.
    pub version: DLPackVersion,
    /// The producer's context.
    pub manager_ctx: *mut c_void,
    /// Called once by the consumer when it is done (may be null).
    pub deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    /// `DLPACK_FLAG_*` bits.
    pub flags: u64,
    /// The tensor.
    pub dl_tensor: DLTensor,
}

/// The struct format code of a DLPack data type, if memview reads it.
///
/// ```
/// use buffer_protocol::dlpack::{format_of, DLDataType};
/// assert_eq!(format_of(DLDataType { code: 2, bits: 64, lanes: 1 }), Some("d"));
/// assert_eq!(format_of(DLDataType { code: 2, bits: 64, lanes: 4 }), None);
/// ```
pub fn format_of(t: DLDataType) -> Option<&'static str> {
    if t.lanes != 1 {
        return None;
    }
    Some(match (t.code, t.bits) {
        (0, 8) => "b",
        (0, 16) => "h",
        (0, 32) => "i",
        (0, 64) => "q",
        (1, 8) => "B",
        (1, 16) => "H",
        (1, 32) => "I",
        (1, 64) => "Q",
        (2, 16) => "e",
        (2, 32) => "f",
        (2, 64) => "d",
        (5, 64) => "Zf",
        (5, 128) => "Zd",
        (6, 8) => "?",
        _ => return None,
    })
}

/// The DLPack data type of a native format, if it has one.
///
/// ```
/// use buffer_protocol::dlpack::{dtype_of, DLDataType};
/// assert_eq!(dtype_of("<i"), None);
/// assert_eq!(dtype_of("i"), Some(DLDataType { code: 0, bits: 32, lanes: 1 }));
/// ```
pub fn dtype_of(format: &str) -> Option<DLDataType> {
    let f = format.strip_prefix('@').unwrap_or(format);
    let long = std::mem::size_of::<std::ffi::c_long>() as u8 * 8;
    let (code, bits) = match f {
        "b" => (0, 8),
        "h" => (0, 16),
        "i" => (0, 32),
        "l" => (0, long),
        "q" | "n" => (0, 64),
        "B" => (1, 8),
        "H" => (1, 16),
        "I" => (1, 32),
        "L" => (1, long),
        "Q" | "N" => (1, 64),
        "e" => (2, 16),
        "f" => (2, 32),
        "d" => (2, 64),
        "?" => (6, 8),
        _ => return None,
    };
    Some(DLDataType { code, bits, lanes: 1 })
}

/// A managed tensor from another library (a DLPack producer), as an exporter: its layout in
/// bytes, its format, read-only if its flags say so. Dropping it calls the producer's
/// deleter, once.
#[derive(Debug)]
pub struct DlpackTensor {
    managed: NonNull<DLManagedTensorVersioned>,
    layout: StridedLayout,
    region: NonNull<u8>,
    len: usize,
    format: &'static str,
    readonly: bool,
}

impl DlpackTensor {
    /// Takes ownership of a managed tensor: checks its device (CPU), version (1.x), data
    /// type and layout, and calls its deleter when dropped (also when refused here).
    ///
    /// # Safety
    ///
    /// `managed` is a valid `DLManagedTensorVersioned` from a producer, not used by anyone
    /// else from now on; its memory stays valid, and is not written by others, until its
    /// deleter is called; its shape and strides hold `ndim` entries.
    pub unsafe fn from_raw(managed: NonNull<DLManagedTensorVersioned>) -> Result<DlpackTensor, BufferError> {
        let mut t = DlpackTensor {
            managed,
            layout: StridedLayout::contiguous(1, &[0])?,
            region: NonNull::dangling(),
            len: 0,
            format: "B",
            readonly: true,
        };
        // SAFETY: the caller gives a valid tensor that nobody else uses.
        let m = unsafe { managed.as_ref() };
        let bad = |why: &'static str| BufferError::Layout(LayoutError::Indirect(why));
        if m.version.major != 1 {
            return Err(bad("a DLPack tensor of a major version other than 1"));
        }
        let d = &m.dl_tensor;
        if d.device.device_type != DL_CPU {
            return Err(bad("a DLPack tensor on a device other than the CPU"));
        }
        t.format = format_of(d.dtype).ok_or(bad("a DLPack data type without a format"))?;
        let ndim = usize::try_from(d.ndim).map_err(|_| bad("a negative DLPack ndim"))?;
        if ndim > strided::MAX_NDIM {
            return Err(LayoutError::TooManyDims.into());
        }
        let itemsize = usize::from(d.dtype.bits / 8);
        let read = |p: *mut i64, what: &'static str| -> Result<Vec<i64>, BufferError> {
            if ndim == 0 {
                return Ok(Vec::new());
            }
            let p = NonNull::new(p).ok_or(bad(what))?;
            // SAFETY: the caller promises `ndim` entries behind a non-null shape or strides.
            Ok(unsafe { std::slice::from_raw_parts(p.as_ptr(), ndim) }.to_vec())
        };
        let shape: Vec<usize> = read(d.shape, "a null DLPack shape")?
            .into_iter()
            .map(|n| usize::try_from(n).map_err(|_| bad("a negative DLPack extent")))
            .collect::<Result<_, _>>()?;
        let strides: Vec<isize> = if d.strides.is_null() {
            strided::c_strides(itemsize, &shape)?.to_vec()
        } else {
            read(d.strides, "DLPack strides")?
                .into_iter()
                .map(|s| isize::try_from(s).ok().and_then(|s| s.checked_mul(itemsize as isize)))
                .collect::<Option<_>>()
                .ok_or(LayoutError::Overflow("stride"))?
        };
        // The memory block: from the lowest item to past the highest, which the layout's
        // offset places relative to the first item.
        let probe = StridedLayout::new(itemsize, &shape, &strides, 0)?;
        let (low, high) = probe.extent()?.unwrap_or((0, 0));
        t.layout = StridedLayout::new(itemsize, &shape, &strides, -low)?;
        t.len = usize::try_from(high - low).map_err(|_| LayoutError::Overflow("extent"))?;
        let offset = isize::try_from(d.byte_offset).map_err(|_| LayoutError::Overflow("byte_offset"))?;
        let first = NonNull::new(d.data.cast::<u8>()).ok_or(bad("a null DLPack data pointer"))?;
        // SAFETY: the first item is `byte_offset` bytes past `data`, within the producer's
        // allocation, as the tensor promises every item it reaches is.
        let first = unsafe { first.offset(offset) };
        // SAFETY: the lowest item lies `low` bytes before the first (`low <= 0`), within the
        // same allocation for the same reason.
        t.region = unsafe { first.offset(low) };
        t.readonly = m.flags & DLPACK_FLAG_READ_ONLY != 0;
        Ok(t)
    }
}

impl Drop for DlpackTensor {
    fn drop(&mut self) {
        let ptr = self.managed.as_ptr();
        // SAFETY: the tensor was handed over whole (`from_raw`); its deleter runs once, here.
        if let Some(deleter) = unsafe { (*ptr).deleter } {
            // SAFETY: as above: the producer's deleter, called once with its own tensor.
            unsafe { deleter(ptr) };
        }
    }
}

// SAFETY: the producer keeps the memory valid (and unwritten by others) until the deleter,
// which runs when this value drops, after every view of it (views hold their exporter); the
// layout was checked against the block it spans; read-only tensors export read-only.
unsafe impl Exporter for DlpackTensor {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, BufferError> {
        // SAFETY: promise 1 as argued at the impl; no suboffsets.
        unsafe { BufferInfo::new(self.region, self.len, self.layout.clone(), self.format, self.readonly, flags) }
    }
}
