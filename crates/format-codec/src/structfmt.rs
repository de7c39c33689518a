//! The struct-module grammar and the compiled [`Struct`] codec.

use crate::code::{native_align, struct_scalar, ByteOrder, Scalar};
use crate::scalar::{read_scalar, write_scalar};
use crate::{CodecError, Value};
use smallvec::SmallVec;

/// One item of a parsed format: a code with its repeat count, where it starts, and its size.
///
/// ```
/// use format_codec::Struct;
/// let s = Struct::new("@ci").unwrap();
/// let items = s.items();
/// assert_eq!((items[1].code, items[1].offset, items[1].size), ('i', 4, 4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The format code.
    pub code: char,
    /// The repeat count (the length, for `s` and `p`).
    pub count: usize,
    /// Byte offset of the item's first byte (after alignment padding).
    pub offset: usize,
    /// Size in bytes of the whole item (count × code size).
    pub size: usize,
}

/// What one value of a compiled format is stored as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FieldKind {
    /// A scalar code, with the code byte (for error messages).
    Scalar(Scalar, u8),
    /// `Ns`: N bytes, NUL-padded or truncated on pack.
    Bytes(usize),
    /// `Np`: a Pascal string of N bytes in total.
    Pascal(usize),
}

/// A run of values of a compiled format: where the first is, how each is stored, and how
/// many there are (`count` scalars one after another; 1 for `s` and `p`). A repeat count is
/// one run, so memory grows with the format's length, never with its counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Field {
    pub(crate) offset: usize,
    pub(crate) kind: FieldKind,
    pub(crate) count: usize,
}

impl FieldKind {
    /// The bytes one value of this kind takes.
    #[inline]
    fn size(self) -> usize {
        match self {
            FieldKind::Scalar(s, _) => s.size(),
            FieldKind::Bytes(n) | FieldKind::Pascal(n) => n,
        }
    }
}

/// A compiled struct format, like Python's `struct.Struct`: parsed once, reused for every record.
///
/// It is immutable after construction, so it is `Send + Sync` and can be shared by threads.
///
/// ```
/// use format_codec::{Struct, Value};
/// let s = Struct::new("<Ih2s").unwrap();
/// assert_eq!(s.size(), 8);
/// let bytes = s.pack(&[Value::Int(7), Value::Int(-2), Value::Bytes(b"ok".to_vec().into())]).unwrap();
/// assert_eq!(bytes, b"\x07\x00\x00\x00\xfe\xffok");
/// assert_eq!(s.unpack(&bytes).unwrap()[1], Value::Int(-2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    // Held inline: an ordinary format is parsed without touching the heap.
    format: SmallVec<[u8; 24]>,
    order: ByteOrder,
    size: usize,
    items: SmallVec<[Item; 4]>,
    fields: SmallVec<[Field; 8]>,
    /// The number of values (the sum of the runs' counts).
    values: usize,
    /// The compiled plan: one [`Slot`] per value, byte order and width decided, for a
    /// format of at most [`PLAN_VALUES`] values (none beyond, where the runs are walked
    /// instead: a long repeat count costs no memory per value). Made by the first
    /// [`slots`](Struct::slots) call, so parsing a format pays nothing for it.
    plan: Plan,
}

/// A [`Struct`]'s compiled plan, made once, on first use. It is derived from the runs, so it
/// takes no part in comparisons.
#[derive(Debug, Clone, Default)]
struct Plan(std::sync::OnceLock<Box<[Slot]>>);

impl PartialEq for Plan {
    fn eq(&self, _: &Plan) -> bool {
        true
    }
}

/// The most values a [`Struct`] compiles into a plan of slots (a longer record is walked
/// run by run).
const PLAN_VALUES: usize = 64;

/// The value fields of a record, in order: each value's offset and kind, runs expanded as
/// they are walked. A plain iterator (not a `flat_map`) so that the per-record loops of
/// unpacking and packing inline it.
#[derive(Clone)]
pub(crate) struct ValueFields<'s> {
    fields: std::slice::Iter<'s, Field>,
    kind: FieldKind,
    at: usize,
    step: usize,
    left: usize,
}

impl Iterator for ValueFields<'_> {
    type Item = (usize, FieldKind);

    #[inline]
    fn next(&mut self) -> Option<(usize, FieldKind)> {
        while self.left == 0 {
            let f = self.fields.next()?;
            (self.kind, self.at, self.step, self.left) = (f.kind, f.offset, f.kind.size(), f.count);
        }
        let at = self.at;
        // Inside the record, whose size was computed with checked arithmetic.
        self.at = self.at.saturating_add(self.step);
        self.left = self.left.saturating_sub(1);
        Some((at, self.kind))
    }
}

/// `Py_ISSPACE`: the whitespace the struct parser skips between items.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Struct {
    /// Parses a struct-module format string, with CPython's rules and errors.
    ///
    /// Whitespace may stand between items but not between a count and its code; a byte-order
    /// prefix may only be the first character; `@` aligns each item to its native alignment and
    /// adds no trailing padding.
    ///
    /// ```
    /// use format_codec::Struct;
    /// assert_eq!(Struct::new("@qi").unwrap().size(), 12);
    /// assert_eq!(Struct::new("@iq").unwrap().size(), 16);
    /// assert_eq!(Struct::new("ci0l").unwrap().size(), 8);
    /// assert!(Struct::new("<n").is_err());
    /// ```
    pub fn new(format: &str) -> Result<Struct, CodecError> {
        let b = format.as_bytes();
        if let Some(position) = b.iter().position(|c| !c.is_ascii()) {
            return Err(CodecError::NonAscii { position });
        }
        if b.contains(&0) {
            return Err(CodecError::EmbeddedNul);
        }
        let (order, mut pos) = match b.first().and_then(|&c| ByteOrder::from_prefix(c)) {
            Some(ByteOrder::NativeUnaligned) | None => (ByteOrder::Native, 0),
            Some(o) => (o, 1),
        };
        let mut size = 0usize;
        let mut items = SmallVec::new();
        let mut fields = SmallVec::new();
        let mut values = 0usize;
        const MAX: usize = isize::MAX as usize;
        while let Some(&first) = b.get(pos) {
            let mut c = first;
            pos = pos.saturating_add(1);
            if is_space(c) {
                continue;
            }
            let mut num = 1usize;
            if c.is_ascii_digit() {
                num = usize::from(c.wrapping_sub(b'0')); // an ASCII digit
                loop {
                    let Some(&d) = b.get(pos) else {
                        return Err(CodecError::RepeatWithoutCode);
                    };
                    pos = pos.saturating_add(1);
                    if !d.is_ascii_digit() {
                        c = d;
                        break;
                    }
                    num = num
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(usize::from(d.wrapping_sub(b'0'))))
                        .filter(|&n| n <= MAX)
                        .ok_or(CodecError::SizeTooLong)?;
                }
            }
            let scalar = struct_scalar(c, order);
            if scalar.is_none() && !matches!(c, b'x' | b's' | b'p') {
                return Err(CodecError::BadChar { position: pos.saturating_sub(1) });
            }
            let itemsize = scalar.map_or(1, Scalar::size);
            if order.is_aligned() {
                let align = native_align(c);
                // `r < align`: no wrap; an alignment of 0 (none) pads nothing.
                let extra = size.checked_rem(align).filter(|&r| r != 0).map_or(0, |r| align.wrapping_sub(r));
                size = size.checked_add(extra).filter(|&s| s <= MAX).ok_or(CodecError::SizeTooLong)?;
            }
            // `size <= MAX` throughout and `itemsize >= 1`.
            if num > MAX.saturating_sub(size).checked_div(itemsize).unwrap_or(0) {
                return Err(CodecError::SizeTooLong);
            }
            let offset = size;
            let bytes = num.saturating_mul(itemsize); // at most `MAX - size` (checked above)
            size = size.saturating_add(bytes);
            items.push(Item { code: char::from(c), count: num, offset, size: bytes });
            let run = match (c, scalar) {
                (b's', _) => Some(Field { offset, kind: FieldKind::Bytes(num), count: 1 }),
                (b'p', _) => Some(Field { offset, kind: FieldKind::Pascal(num), count: 1 }),
                (_, Some(s)) if num > 0 => Some(Field { offset, kind: FieldKind::Scalar(s, c), count: num }),
                _ => None,
            };
            if let Some(run) = run {
                // At most one value per byte of the record (or per `s`/`p`): no overflow.
                values = values.saturating_add(run.count);
                fields.push(run);
            }
        }
        Ok(Struct { format: SmallVec::from_slice(b), order, size, items, fields, values, plan: Plan::default() })
    }

    /// The format string as given.
    ///
    /// ```
    /// assert_eq!(format_codec::Struct::new("<i").unwrap().format(), "<i");
    /// ```
    pub fn format(&self) -> &str {
        // The format was checked to be ASCII when parsed.
        std::str::from_utf8(&self.format).unwrap_or_default()
    }

    /// The byte-order setting of the whole format.
    ///
    /// ```
    /// assert_eq!(format_codec::Struct::new("!i").unwrap().byte_order(), format_codec::ByteOrder::Network);
    /// ```
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// The size in bytes of one record (`struct.calcsize`).
    ///
    /// ```
    /// assert_eq!(format_codec::Struct::new("@bi").unwrap().size(), 8);
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// The items of the format, in order, with their offsets (padding `x` items included).
    ///
    /// ```
    /// let s = format_codec::Struct::new("<2s h").unwrap();
    /// assert_eq!(s.items().len(), 2);
    /// ```
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The number of values a record packs and unpacks.
    ///
    /// ```
    /// assert_eq!(format_codec::Struct::new("3x2s4i").unwrap().value_count(), 5);
    /// ```
    pub fn value_count(&self) -> usize {
        self.values
    }

    /// The single scalar code of a one-value format (e.g. `"<i"`, `"@d"`, `"3x?"`), if it is one.
    ///
    /// ```
    /// assert!(format_codec::Struct::new("x?").unwrap().single_scalar().is_some());
    /// assert!(format_codec::Struct::new("2?").unwrap().single_scalar().is_none());
    /// ```
    pub fn single_scalar(&self) -> Option<(Scalar, usize)> {
        match self.fields.as_slice() {
            [Field { offset, kind: FieldKind::Scalar(s, _), count: 1 }] => Some((*s, *offset)),
            _ => None,
        }
    }

    /// Every value's offset and kind, in order (the runs expanded lazily).
    pub(crate) fn each_value(&self) -> ValueFields<'_> {
        ValueFields { fields: self.fields.iter(), kind: FieldKind::Bytes(0), at: 0, step: 0, left: 0 }
    }

    /// Unpacks one record from a buffer of exactly [`size`](Self::size) bytes.
    ///
    /// ```
    /// let s = format_codec::Struct::new(">H").unwrap();
    /// assert_eq!(s.unpack(b"\x01\x02").unwrap(), vec![format_codec::Value::Int(258)]);
    /// assert!(s.unpack(b"\x01").is_err());
    /// ```
    pub fn unpack(&self, bytes: &[u8]) -> Result<Vec<Value>, CodecError> {
        if bytes.len() != self.size {
            return Err(CodecError::UnpackSize { size: self.size });
        }
        self.unpack_record(bytes)
    }

    /// Unpacks one record (exactly [`size`](Self::size) bytes) into `out`, replacing its
    /// contents: the `Value` path without an allocation per record.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<hh").unwrap();
    /// let mut row = Vec::new();
    /// for rec in [[1, 0, 2, 0], [3, 0, 4, 0]] {
    ///     s.unpack_into(&rec, &mut row).unwrap();
    /// }
    /// assert_eq!(row, vec![3.into(), 4.into()]);
    /// ```
    pub fn unpack_into(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), CodecError> {
        if bytes.len() != self.size {
            return Err(CodecError::UnpackSize { size: self.size });
        }
        if out.len() == self.values {
            // Reusing a row of the right length: overwrite the values in place.
            let slots = self.slots();
            if let Some(plan) = slots.as_slice() {
                // The compiled plan, read in place: one dispatch per number.
                for (value, slot) in out.iter_mut().zip(plan) {
                    overwrite(value, slot.unpack_number(bytes).map_or_else(|| slot.unpack(bytes), Value::from));
                }
            } else {
                let little = self.order.is_little_endian();
                for (value, (at, kind)) in out.iter_mut().zip(self.each_value()) {
                    overwrite(value, field_value(at, kind, bytes, little));
                }
            }
            return Ok(());
        }
        out.clear();
        self.unpack_fields(bytes, out)
    }

    /// Unpacks one record (the caller has checked the length).
    pub(crate) fn unpack_record(&self, bytes: &[u8]) -> Result<Vec<Value>, CodecError> {
        let mut out = Vec::new();
        self.unpack_fields(bytes, &mut out)?;
        Ok(out)
    }

    fn unpack_fields(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), CodecError> {
        let little = self.order.is_little_endian();
        out.try_reserve_exact(self.values).map_err(|_| CodecError::NoMemory)?;
        out.extend(self.each_value().map(|(at, kind)| field_value(at, kind, bytes, little)));
        Ok(())
    }

    /// Unpacks one record at `offset` of a longer buffer (`struct.unpack_from`); a negative
    /// offset counts from the end.
    ///
    /// ```
    /// let s = format_codec::Struct::new("B").unwrap();
    /// assert_eq!(s.unpack_from(b"abc", -1).unwrap(), vec![format_codec::Value::Int(99)]);
    /// ```
    pub fn unpack_from(&self, bytes: &[u8], offset: isize) -> Result<Vec<Value>, CodecError> {
        let start = self.checked_window(bytes.len(), offset, "unpack_from")?;
        let record = start.checked_add(self.size).and_then(|end| bytes.get(start..end));
        self.unpack_record(record.ok_or(CodecError::UnpackSize { size: self.size })?)
    }

    /// Where `pack_into` at `offset` of a buffer of `len` bytes puts the record: its start
    /// index, with CPython's checks and errors (a negative offset counts from the end).
    ///
    /// ```
    /// let s = format_codec::Struct::new("<h").unwrap();
    /// assert_eq!(s.pack_window(4, -2).unwrap(), 2);
    /// assert!(s.pack_window(4, 3).is_err());
    /// ```
    pub fn pack_window(&self, len: usize, offset: isize) -> Result<usize, CodecError> {
        self.checked_window(len, offset, "pack_into")
    }

    /// Where `unpack_from` at `offset` of a buffer of `len` bytes reads the record: its
    /// start index, with CPython's checks and errors (a negative offset counts from the end).
    ///
    /// ```
    /// let s = format_codec::Struct::new("<h").unwrap();
    /// assert_eq!(s.unpack_window(4, 1).unwrap(), 1);
    /// assert!(s.unpack_window(4, -5).is_err());
    /// ```
    pub fn unpack_window(&self, len: usize, offset: isize) -> Result<usize, CodecError> {
        self.checked_window(len, offset, "unpack_from")
    }

    /// Resolves an `unpack_from`/`pack_into` offset to a start index, with CPython's checks.
    fn checked_window(&self, len: usize, offset: isize, op: &'static str) -> Result<usize, CodecError> {
        let size = self.size;
        let start = if offset < 0 {
            let back = offset.unsigned_abs();
            // CPython's order: the record must fit before the end, then the offset inside.
            if size > back {
                return Err(if op == "pack_into" {
                    CodecError::NoSpace { size, offset }
                } else {
                    CodecError::NotEnoughData { size, offset }
                });
            }
            if back > len {
                return Err(CodecError::OffsetOutOfRange { offset, len });
            }
            len.saturating_sub(back) // `back <= len`, checked above
        } else {
            offset.unsigned_abs()
        };
        if len.saturating_sub(start) < size || start > len {
            let verb = if op == "pack_into" { "packing" } else { "unpacking" };
            return Err(CodecError::BufferTooSmall { op, verb, need: size.saturating_add(start), size, offset, len });
        }
        Ok(start)
    }

    /// Unpacks consecutive records (`struct.iter_unpack`), lazily.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<h").unwrap();
    /// let rows: Result<Vec<_>, _> = s.iter_unpack(b"\x01\x00\x02\x00").unwrap().collect();
    /// assert_eq!(rows.unwrap().len(), 2);
    /// ```
    pub fn iter_unpack<'a>(&'a self, bytes: &'a [u8]) -> Result<IterUnpack<'a>, CodecError> {
        if self.size == 0 {
            return Err(CodecError::IterZeroSize);
        }
        if !bytes.len().is_multiple_of(self.size) {
            return Err(CodecError::IterNotMultiple { size: self.size });
        }
        Ok(IterUnpack { codec: self, chunks: bytes.chunks_exact(self.size) })
    }

    /// Packs values into a new buffer of [`size`](Self::size) bytes (`struct.pack`); padding is zero.
    ///
    /// ```
    /// use format_codec::{Struct, Value};
    /// let s = Struct::new("3p").unwrap();
    /// assert_eq!(s.pack(&[Value::Bytes(b"abcdef".to_vec().into())]).unwrap(), b"\x02ab");
    /// ```
    pub fn pack(&self, values: &[Value]) -> Result<Vec<u8>, CodecError> {
        self.check_count(values, "pack")?;
        // One spare byte, as CPython's bytes object has its terminator: see `0p` in `pack_record`.
        let mut out = Vec::new();
        let room = self.size.checked_add(1).ok_or(CodecError::NoMemory)?;
        out.try_reserve_exact(room).map_err(|_| CodecError::NoMemory)?;
        out.resize(room, 0);
        self.pack_record(values, &mut out)?;
        out.truncate(self.size);
        Ok(out)
    }

    /// Packs values into `buffer` at `offset` (`struct.pack_into`); a negative offset counts
    /// from the end. Padding bytes of the record are zeroed; nothing outside it is touched.
    ///
    /// ```
    /// use format_codec::{Struct, Value};
    /// let mut buf = [0xaa_u8; 4];
    /// Struct::new("<h").unwrap().pack_into(&mut buf, -2, &[Value::Int(1)]).unwrap();
    /// assert_eq!(buf, [0xaa, 0xaa, 1, 0]);
    /// ```
    pub fn pack_into(&self, buffer: &mut [u8], offset: isize, values: &[Value]) -> Result<(), CodecError> {
        self.check_count(values, "pack_into")?;
        let start = self.checked_window(buffer.len(), offset, "pack_into")?;
        // Pack into a zeroed scratch record first so a failing value leaves the buffer untouched;
        // the byte after the record comes along, as `0p` may write it (see `pack_record`).
        // `checked_window` gave `start + size <= buffer.len()`.
        let end = start.saturating_add(self.size).saturating_add(1).min(buffer.len());
        let window = buffer.get_mut(start..end).ok_or(CodecError::UnpackSize { size: self.size })?;
        let mut rec = Vec::new();
        rec.try_reserve_exact(window.len()).map_err(|_| CodecError::NoMemory)?;
        rec.extend_from_slice(window);
        if let Some(record) = rec.get_mut(..self.size) {
            record.fill(0);
        }
        self.pack_record(values, &mut rec)?;
        window.copy_from_slice(&rec);
        Ok(())
    }

    fn check_count(&self, values: &[Value], op: &'static str) -> Result<(), CodecError> {
        if values.len() != self.values {
            return Err(CodecError::WrongValueCount { op, expected: self.values, got: values.len() });
        }
        Ok(())
    }

    /// Packs one record into `out`, which starts with [`size`](Self::size) zeroed bytes.
    pub(crate) fn pack_record(&self, values: &[Value], out: &mut [u8]) -> Result<(), CodecError> {
        for (slot, v) in self.slots().zip(values) {
            slot.pack(v, out)?;
        }
        Ok(())
    }

    /// The values of a record, one [`Slot`] each, in order: the compiled plan that
    /// [`pack`](Self::pack) and [`unpack`](Self::unpack) run, for callers that convert their
    /// own values one at a time (the Python bridge converts each argument as it packs it, as
    /// CPython does). Runs are expanded lazily: a format of a huge repeat count allocates
    /// nothing here.
    ///
    /// ```
    /// use format_codec::{Struct, Value};
    /// let s = Struct::new("<h2sx?").unwrap();
    /// let codes: Vec<(char, usize)> = s.slots().map(|v| (v.code(), v.offset())).collect();
    /// assert_eq!(codes, [('h', 0), ('s', 2), ('?', 5)]);
    /// let mut record = vec![0u8; s.size()];
    /// for (slot, v) in s.slots().zip([Value::Int(-1), Value::Bytes(b"ok".to_vec().into()), Value::Bool(true)]) {
    ///     slot.pack(&v, &mut record).unwrap();
    /// }
    /// assert_eq!(record, b"\xff\xffok\x00\x01");
    /// assert_eq!(s.slots().next().unwrap().unpack(&record), Value::Int(-1));
    /// ```
    #[inline]
    pub fn slots(&self) -> Slots<'_> {
        if self.values <= PLAN_VALUES {
            let plan = self.plan.0.get_or_init(|| self.walk().collect());
            Slots { inner: SlotsInner::Plan(plan.iter()) }
        } else {
            Slots { inner: SlotsInner::Walk(self.walk()) }
        }
    }

    /// The slots made by walking the runs.
    fn walk(&self) -> Walk<'_> {
        Walk {
            fields: self.each_value(),
            left: self.values,
            little: self.order.is_little_endian(),
            native_cast: self.order == ByteOrder::Native,
        }
    }
}

/// One value of a compiled [`Struct`]'s record: its format code, where it is, and how it is
/// stored, with the format's byte order decided once. Made by [`Struct::slots`].
///
/// ```
/// let s = format_codec::Struct::new(">I").unwrap();
/// let slot = s.slots().next().unwrap();
/// assert_eq!(slot.unpack(b"\x00\x00\x01\x00"), 256.into());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    offset: usize,
    kind: FieldKind,
    /// The number access of `kind` in the order `little`, decided when the slot is made.
    op: Op,
    little: bool,
    native_cast: bool,
}

/// How a slot's number is read and written: its code's width, sign and kind and the
/// record's byte order, decided once, when the slot is made. A record is then read and
/// written with one dispatch per value on this tag, each arm a load or store of a fixed
/// width (as CPython's table of per-code functions does), where the general path decides
/// kind, width, sign and order per value. `Other` for every code that is not an integer of
/// 1, 2, 4 or 8 bytes, an `f` or a `d`: those take the general path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    I8,
    U8,
    I16Le,
    I16Be,
    U16Le,
    U16Be,
    I32Le,
    I32Be,
    U32Le,
    U32Be,
    I64Le,
    I64Be,
    U64Le,
    U64Be,
    F32Le,
    F32Be,
    F64Le,
    F64Be,
    Other,
}

impl Op {
    /// The access of a value of `kind` in a record of byte order `little`.
    fn of(kind: FieldKind, little: bool) -> Op {
        let FieldKind::Scalar(scalar, _) = kind else { return Op::Other };
        let pick = |le: Op, be: Op| if little { le } else { be };
        match scalar {
            Scalar::Int { size: 1, signed: true } => Op::I8,
            Scalar::Int { size: 1, signed: false } => Op::U8,
            Scalar::Int { size: 2, signed: true } => pick(Op::I16Le, Op::I16Be),
            Scalar::Int { size: 2, signed: false } => pick(Op::U16Le, Op::U16Be),
            Scalar::Int { size: 4, signed: true } => pick(Op::I32Le, Op::I32Be),
            Scalar::Int { size: 4, signed: false } => pick(Op::U32Le, Op::U32Be),
            Scalar::Int { size: 8, signed: true } => pick(Op::I64Le, Op::I64Be),
            Scalar::Int { size: 8, signed: false } => pick(Op::U64Le, Op::U64Be),
            Scalar::Float => pick(Op::F32Le, Op::F32Be),
            Scalar::Double => pick(Op::F64Le, Op::F64Be),
            Scalar::Int { .. }
            | Scalar::Bool
            | Scalar::Char
            | Scalar::Half
            | Scalar::Pointer
            | Scalar::ComplexFloat
            | Scalar::ComplexDouble
            | Scalar::Opaque(_) => Op::Other,
        }
    }
}

/// A number read from a record by [`Slot::unpack_number`], without a [`Value`]: what a
/// caller turns into its own number type with one dispatch.
///
/// ```
/// use format_codec::{Number, Struct};
/// let s = Struct::new("<Qd").unwrap();
/// let mut slots = s.slots();
/// let (q, d) = (slots.next().unwrap(), slots.next().unwrap());
/// let record = [u64::MAX.to_le_bytes(), 0.5f64.to_le_bytes()].concat();
/// assert_eq!(q.unpack_number(&record), Some(Number::UInt(u64::MAX)));
/// assert_eq!(d.unpack_number(&record), Some(Number::Float(0.5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer that fits `i64`.
    Int(i64),
    /// An unsigned integer above `i64::MAX` (`Q`, `L`, `N` values of 8 bytes).
    UInt(u64),
    /// A float (`f` widened, or `d`).
    Float(f64),
}

impl From<Number> for Value {
    /// The number as a [`Value`]: an `Int` or a `Float`.
    ///
    /// ```
    /// use format_codec::{Number, Value};
    /// assert_eq!(Value::from(Number::UInt(u64::MAX)), Value::UInt(u64::MAX));
    /// ```
    #[inline(always)]
    fn from(n: Number) -> Value {
        match n {
            Number::Int(i) => Value::Int(i),
            Number::UInt(u) => Value::UInt(u),
            Number::Float(x) => Value::Float(x),
        }
    }
}

impl Number {
    /// An unsigned 64-bit value: `Int` where it fits.
    #[inline(always)]
    fn of_u64(v: u64) -> Number {
        match i64::try_from(v) {
            Ok(i) => Number::Int(i),
            Err(_) => Number::UInt(v),
        }
    }
}

impl Slot {
    /// The format code of this value (`'s'` and `'p'` for a whole byte string).
    ///
    /// ```
    /// let s = format_codec::Struct::new("3s").unwrap();
    /// assert_eq!(s.slots().next().unwrap().code(), 's');
    /// ```
    pub fn code(&self) -> char {
        match self.kind {
            FieldKind::Scalar(_, c) => char::from(c),
            FieldKind::Bytes(_) => 's',
            FieldKind::Pascal(_) => 'p',
        }
    }

    /// The byte offset of the value inside its record.
    ///
    /// ```
    /// let s = format_codec::Struct::new("@bi").unwrap();
    /// assert_eq!(s.slots().nth(1).unwrap().offset(), 4);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The value stored in `record` (a record of the [`Struct`]'s
    /// [`size`](Struct::size)); bytes outside a shorter slice read as empty, never a panic.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<xh").unwrap();
    /// assert_eq!(s.slots().next().unwrap().unpack(b"\x00\x05\x00"), 5.into());
    /// ```
    #[inline]
    pub fn unpack(&self, record: &[u8]) -> Value {
        field_value(self.offset, self.kind, record, self.little)
    }

    /// Stores an integer without a [`Value`], when it fits: `true` if this is an integer code
    /// (`b B h H i I l L q Q n N`) and `v` lies in its range, and then the record holds it;
    /// `false` (nothing written) otherwise, and [`pack`](Self::pack) gives CPython's error or
    /// its conversion. Every in-range value packs the same through either path.
    ///
    /// ```
    /// let s = format_codec::Struct::new(">h").unwrap();
    /// let slot = s.slots().next().unwrap();
    /// let mut record = [0u8; 2];
    /// assert!(slot.pack_int(-2, &mut record) && record == [0xff, 0xfe]);
    /// assert!(!slot.pack_int(40_000, &mut record));
    /// ```
    #[inline]
    pub fn pack_int(&self, v: i64, record: &mut [u8]) -> bool {
        // One dispatch on the slot's access: the range check and the store of its width.
        macro_rules! st {
            ($t:ty, $little:expr) => {{
                let Ok(x) = <$t>::try_from(v) else { return false };
                put(record, self.offset, if $little { x.to_le_bytes() } else { x.to_be_bytes() })
            }};
        }
        match self.op {
            Op::I8 => st!(i8, true),
            Op::U8 => st!(u8, true),
            Op::I16Le => st!(i16, true),
            Op::I16Be => st!(i16, false),
            Op::U16Le => st!(u16, true),
            Op::U16Be => st!(u16, false),
            Op::I32Le => st!(i32, true),
            Op::I32Be => st!(i32, false),
            Op::U32Le => st!(u32, true),
            Op::U32Be => st!(u32, false),
            Op::I64Le => put(record, self.offset, v.to_le_bytes()),
            Op::I64Be => put(record, self.offset, v.to_be_bytes()),
            Op::U64Le => st!(u64, true),
            Op::U64Be => st!(u64, false),
            Op::F32Le | Op::F32Be | Op::F64Le | Op::F64Be | Op::Other => false,
        }
    }

    /// Stores a float without a [`Value`], when that is exact: `true` for `d`, and for `f`
    /// when the value fits a binary32 (or is not finite, or the format is native, whose
    /// plain C cast CPython uses); `false` (nothing written) otherwise.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<d").unwrap();
    /// let mut record = [0u8; 8];
    /// assert!(s.slots().next().unwrap().pack_f64(1.5, &mut record));
    /// assert_eq!(record, 1.5f64.to_le_bytes());
    /// ```
    #[inline]
    pub fn pack_f64(&self, x: f64, record: &mut [u8]) -> bool {
        let single = || {
            let y = x as f32;
            // A finite value beyond binary32 is CPython's OverflowError, except for the
            // native format, whose plain C cast CPython uses.
            (self.native_cast || !y.is_infinite() || !x.is_finite()).then_some(y)
        };
        match self.op {
            Op::F64Le => put(record, self.offset, x.to_le_bytes()),
            Op::F64Be => put(record, self.offset, x.to_be_bytes()),
            Op::F32Le => single().is_some_and(|y| put(record, self.offset, y.to_le_bytes())),
            Op::F32Be => single().is_some_and(|y| put(record, self.offset, y.to_be_bytes())),
            Op::I8
            | Op::U8
            | Op::I16Le
            | Op::I16Be
            | Op::U16Le
            | Op::U16Be
            | Op::I32Le
            | Op::I32Be
            | Op::U32Le
            | Op::U32Be
            | Op::I64Le
            | Op::I64Be
            | Op::U64Le
            | Op::U64Be
            | Op::Other => false,
        }
    }

    /// The integer stored at this slot, without a [`Value`]: `Some` for the integer codes of
    /// up to 8 bytes that fit an `i64` (all but `Q`/`L`/`N` values past `i64::MAX`).
    ///
    /// ```
    /// let s = format_codec::Struct::new("<H").unwrap();
    /// assert_eq!(s.slots().next().unwrap().unpack_int(&[1, 2]), Some(0x0201));
    /// ```
    #[inline]
    pub fn unpack_int(&self, record: &[u8]) -> Option<i64> {
        match self.unpack_number(record)? {
            Number::Int(i) => Some(i),
            Number::UInt(_) | Number::Float(_) => None,
        }
    }

    /// The float stored at this slot (`f` or `d`), without a [`Value`].
    ///
    /// ```
    /// let s = format_codec::Struct::new(">f").unwrap();
    /// assert_eq!(s.slots().next().unwrap().unpack_f64(&1.5f32.to_be_bytes()), Some(1.5));
    /// ```
    #[inline]
    pub fn unpack_f64(&self, record: &[u8]) -> Option<f64> {
        match self.unpack_number(record)? {
            Number::Float(x) => Some(x),
            Number::Int(_) | Number::UInt(_) => None,
        }
    }

    /// The number stored at this slot, without a [`Value`], read by one dispatch on the
    /// slot's access decided when it was made: `Some` for the integer codes of up to 8 bytes
    /// and for `f` and `d`, `None` for every other code (which [`unpack`](Self::unpack)
    /// reads). Bytes outside a shorter slice read as zeros, never a panic.
    ///
    /// ```
    /// use format_codec::{Number, Struct};
    /// let s = Struct::new(">h?").unwrap();
    /// let mut slots = s.slots();
    /// assert_eq!(slots.next().unwrap().unpack_number(b"\xff\xfe\x01"), Some(Number::Int(-2)));
    /// assert_eq!(slots.next().unwrap().unpack_number(b"\xff\xfe\x01"), None);
    /// ```
    #[inline(always)]
    pub fn unpack_number(&self, record: &[u8]) -> Option<Number> {
        macro_rules! rd {
            ($t:ty, $n:literal, $little:expr) => {{
                let b = arr::<$n>(record, self.offset);
                if $little {
                    <$t>::from_le_bytes(b)
                } else {
                    <$t>::from_be_bytes(b)
                }
            }};
        }
        Some(match self.op {
            Op::I8 => Number::Int(i64::from(rd!(i8, 1, true))),
            Op::U8 => Number::Int(i64::from(rd!(u8, 1, true))),
            Op::I16Le => Number::Int(i64::from(rd!(i16, 2, true))),
            Op::I16Be => Number::Int(i64::from(rd!(i16, 2, false))),
            Op::U16Le => Number::Int(i64::from(rd!(u16, 2, true))),
            Op::U16Be => Number::Int(i64::from(rd!(u16, 2, false))),
            Op::I32Le => Number::Int(i64::from(rd!(i32, 4, true))),
            Op::I32Be => Number::Int(i64::from(rd!(i32, 4, false))),
            Op::U32Le => Number::Int(i64::from(rd!(u32, 4, true))),
            Op::U32Be => Number::Int(i64::from(rd!(u32, 4, false))),
            Op::I64Le => Number::Int(rd!(i64, 8, true)),
            Op::I64Be => Number::Int(rd!(i64, 8, false)),
            Op::U64Le => Number::of_u64(rd!(u64, 8, true)),
            Op::U64Be => Number::of_u64(rd!(u64, 8, false)),
            Op::F32Le => Number::Float(f64::from(rd!(f32, 4, true))),
            Op::F32Be => Number::Float(f64::from(rd!(f32, 4, false))),
            Op::F64Le => Number::Float(rd!(f64, 8, true)),
            Op::F64Be => Number::Float(rd!(f64, 8, false)),
            Op::Other => return None,
        })
    }

    /// Stores `value` in `record` with CPython's checks and messages for this code
    /// (`struct.error` for a value out of range, of the wrong type, ...). `record` should
    /// be the record's [`size`](Struct::size) in bytes, zeroed where not yet written, and one
    /// byte longer where the byte after it may be written (CPython's `0p` writes one length
    /// byte just past its empty field); nothing outside `record` is touched.
    ///
    /// ```
    /// use format_codec::{Struct, Value};
    /// let s = Struct::new("B").unwrap();
    /// let slot = s.slots().next().unwrap();
    /// let mut record = [0u8; 1];
    /// slot.pack(&Value::Int(7), &mut record).unwrap();
    /// assert_eq!(record, [7]);
    /// assert!(slot.pack(&Value::Int(256), &mut record).is_err());
    /// ```
    pub fn pack(&self, v: &Value, out: &mut [u8]) -> Result<(), CodecError> {
        let offset = self.offset;
        match self.kind {
            FieldKind::Scalar(s, code) => write_scalar(s, code, v, out, offset, self.little, self.native_cast)?,
            FieldKind::Bytes(n) => {
                let Value::Bytes(b) = v else {
                    return Err(CodecError::NotBytes { code: 's' });
                };
                let k = b.len().min(n);
                // The field lies inside the record, which `out` holds.
                if let (Some(dst), Some(src)) = (out.get_mut(offset..offset.saturating_add(k)), b.get(..k)) {
                    dst.copy_from_slice(src);
                }
            }
            FieldKind::Pascal(n) => {
                let Value::Bytes(b) = v else {
                    return Err(CodecError::NotBytes { code: 'p' });
                };
                if n == 0 {
                    // CPython stores the length byte min(len, n - 1) = -1 even for `0p`, so
                    // 0xff lands on the byte just past the field (a later field may cover it).
                    if let Some(b) = out.get_mut(offset) {
                        *b = 0xff;
                    }
                    return Ok(());
                }
                let k = b.len().min(n.saturating_sub(1)); // n >= 1 here
                let data = offset.saturating_add(1);
                if let (Some(dst), Some(src)) = (out.get_mut(data..data.saturating_add(k)), b.get(..k)) {
                    dst.copy_from_slice(src);
                }
                if let Some(len) = out.get_mut(offset) {
                    *len = k.min(255) as u8;
                }
            }
        }
        Ok(())
    }
}

/// The iterator of [`Struct::slots`]: one [`Slot`] per value, in order.
///
/// ```
/// assert_eq!(format_codec::Struct::new("3x4i2s").unwrap().slots().len(), 5);
/// ```
#[derive(Clone)]
pub struct Slots<'s> {
    inner: SlotsInner<'s>,
}

/// Where [`Slots`] reads its slots from.
#[derive(Clone)]
enum SlotsInner<'s> {
    /// The compiled plan (a short record).
    Plan(std::slice::Iter<'s, Slot>),
    /// The runs, expanded as they are walked (a long record).
    Walk(Walk<'s>),
}

/// The slots of a record made from its runs, one by one.
#[derive(Clone)]
struct Walk<'s> {
    fields: ValueFields<'s>,
    left: usize,
    little: bool,
    native_cast: bool,
}

impl Iterator for Walk<'_> {
    type Item = Slot;

    #[inline]
    fn next(&mut self) -> Option<Slot> {
        let (offset, kind) = self.fields.next()?;
        self.left = self.left.saturating_sub(1);
        let little = self.little;
        Some(Slot { offset, kind, little, native_cast: self.native_cast, op: Op::of(kind, little) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'s> Slots<'s> {
    /// The slots not yet taken, as a slice, where the [`Struct`] keeps its compiled plan
    /// (records of up to 64 values); `None` where its runs are walked. Looping over the
    /// slice reads each slot in place, where `next` returns a copy.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<Ih").unwrap();
    /// let mut slots = s.slots();
    /// slots.next();
    /// assert_eq!(slots.as_slice().map(|p| p[0].code()), Some('h'));
    /// assert!(format_codec::Struct::new("65b").unwrap().slots().as_slice().is_none());
    /// ```
    pub fn as_slice(&self) -> Option<&'s [Slot]> {
        match &self.inner {
            SlotsInner::Plan(plan) => Some(plan.as_slice()),
            SlotsInner::Walk(_) => None,
        }
    }
}

impl std::fmt::Debug for Slots<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots").field("left", &self.len()).finish_non_exhaustive()
    }
}

impl Iterator for Slots<'_> {
    type Item = Slot;

    #[inline]
    fn next(&mut self) -> Option<Slot> {
        match &mut self.inner {
            SlotsInner::Plan(plan) => plan.next().copied(),
            SlotsInner::Walk(walk) => walk.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            SlotsInner::Plan(plan) => plan.size_hint(),
            SlotsInner::Walk(walk) => walk.size_hint(),
        }
    }
}

impl ExactSizeIterator for Slots<'_> {}

/// The value of one field of a record (the caller has checked the record's length). Struct
/// formats hold only codes with Rust values, so this cannot fail.
#[inline(always)]
fn field_value(at: usize, kind: FieldKind, bytes: &[u8], little: bool) -> Value {
    match kind {
        FieldKind::Scalar(Scalar::Int { size, signed }, _) => Value::int(int_at(bytes, at, size, signed, little)),
        FieldKind::Scalar(Scalar::Double, _) => {
            let b = arr::<8>(bytes, at);
            Value::Float(if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
        }
        FieldKind::Scalar(s, _) => {
            read_scalar(s, bytes, at, little).unwrap_or_else(|_| Value::from(field(bytes, at, s.size())))
        }
        FieldKind::Bytes(n) => Value::from(field(bytes, at, n)),
        FieldKind::Pascal(n) => {
            let data = field(bytes, at, n);
            let len = data.first().map_or(0, |&l| usize::from(l).min(n.saturating_sub(1)));
            Value::from(data.get(1..len.saturating_add(1)).unwrap_or(&[]))
        }
    }
}

/// Replaces a row's value. Numbers held inline own no heap memory, so the out-of-line drop
/// glue is skipped for them (a complex number is boxed, and is dropped).
#[inline(always)]
fn overwrite(slot: &mut Value, new: Value) {
    let old = std::mem::replace(slot, new);
    if matches!(old, Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Bool(_)) {
        std::mem::forget(old);
    }
}

/// The `n` bytes of a field at `at` (inside the record the caller checked; empty otherwise,
/// never a panic).
#[inline(always)]
fn field(bytes: &[u8], at: usize, n: usize) -> &[u8] {
    at.checked_add(n).and_then(|end| bytes.get(at..end)).unwrap_or(&[])
}

#[inline(always)]
fn arr<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    if let Ok(b) = <[u8; N]>::try_from(field(bytes, at, N)) {
        a = b;
    }
    a
}

/// An integer field, decoded with one branch per (size, sign, order) instead of generic
/// shifts: the hot path of reading records into `Value`s.
#[inline(always)]
fn int_at(bytes: &[u8], at: usize, size: u8, signed: bool, little: bool) -> i128 {
    macro_rules! rd {
        ($t:ty, $n:literal) => {{
            let b = arr::<$n>(bytes, at);
            i128::from(if little { <$t>::from_le_bytes(b) } else { <$t>::from_be_bytes(b) })
        }};
    }
    match (size, signed) {
        (1, true) => i128::from(bytes.get(at).copied().unwrap_or(0) as i8),
        (1, false) => i128::from(bytes.get(at).copied().unwrap_or(0)),
        (2, true) => rd!(i16, 2),
        (2, false) => rd!(u16, 2),
        (4, true) => rd!(i32, 4),
        (4, false) => rd!(u32, 4),
        (_, true) => rd!(i64, 8),
        (_, false) => rd!(u64, 8),
    }
}

/// The iterator of [`Struct::iter_unpack`]: one `Vec<Value>` per record.
///
/// ```
/// let s = format_codec::Struct::new("B").unwrap();
/// let mut it = s.iter_unpack(b"ab").unwrap();
/// assert_eq!(it.next().unwrap().unwrap(), vec![97.into()]);
/// ```
#[derive(Debug)]
pub struct IterUnpack<'a> {
    codec: &'a Struct,
    chunks: std::slice::ChunksExact<'a, u8>,
}

impl Iterator for IterUnpack<'_> {
    type Item = Result<Vec<Value>, CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.chunks.next().map(|c| self.codec.unpack_record(c))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for IterUnpack<'_> {}

/// `struct.calcsize`: the size of one record of `format`.
///
/// ```
/// assert_eq!(format_codec::calcsize("=ci").unwrap(), 5);
/// ```
pub fn calcsize(format: &str) -> Result<usize, CodecError> {
    Struct::new(format).map(|s| s.size())
}

/// `struct.pack`: packs values with a format.
///
/// ```
/// use format_codec::{pack, Value};
/// assert_eq!(pack(">h", &[Value::Int(-2)]).unwrap(), b"\xff\xfe");
/// ```
pub fn pack(format: &str, values: &[Value]) -> Result<Vec<u8>, CodecError> {
    Struct::new(format)?.pack(values)
}

/// `struct.unpack`: unpacks a buffer of exactly `calcsize(format)` bytes.
///
/// ```
/// use format_codec::{unpack, Value};
/// assert_eq!(unpack("<?", b"\x02").unwrap(), vec![Value::Bool(true)]);
/// ```
pub fn unpack(format: &str, bytes: &[u8]) -> Result<Vec<Value>, CodecError> {
    Struct::new(format)?.unpack(bytes)
}

/// `struct.unpack_from`: unpacks one record at `offset` (negative counts from the end).
///
/// ```
/// use format_codec::{unpack_from, Value};
/// assert_eq!(unpack_from("B", b"xyz", 1).unwrap(), vec![Value::Int(121)]);
/// ```
pub fn unpack_from(format: &str, bytes: &[u8], offset: isize) -> Result<Vec<Value>, CodecError> {
    Struct::new(format)?.unpack_from(bytes, offset)
}

/// `struct.pack_into`: packs values into `buffer` at `offset` (negative counts from the end).
///
/// ```
/// use format_codec::{pack_into, Value};
/// let mut buf = [0u8; 3];
/// pack_into("B", &mut buf, 1, &[Value::Int(9)]).unwrap();
/// assert_eq!(buf, [0, 9, 0]);
/// ```
pub fn pack_into(format: &str, buffer: &mut [u8], offset: isize, values: &[Value]) -> Result<(), CodecError> {
    Struct::new(format)?.pack_into(buffer, offset, values)
}

/// `struct.iter_unpack`, collected: one `Vec<Value>` per record.
///
/// ```
/// use format_codec::{iter_unpack, Value};
/// assert_eq!(iter_unpack("B", b"ab").unwrap(), vec![vec![Value::Int(97)], vec![Value::Int(98)]]);
/// ```
pub fn iter_unpack(format: &str, bytes: &[u8]) -> Result<Vec<Vec<Value>>, CodecError> {
    Struct::new(format)?.iter_unpack(bytes)?.collect()
}

/// Writes `bytes` at `at` of `record`; `false` (nothing written) if the record is too short.
#[inline(always)]
fn put<const N: usize>(record: &mut [u8], at: usize, bytes: [u8; N]) -> bool {
    match record.get_mut(at..).and_then(<[u8]>::first_chunk_mut::<N>) {
        Some(dst) => {
            *dst = bytes;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compiled plan gives the slots that walking the runs gives, for short records; a
    /// long record keeps no plan (no memory per value) and is walked.
    #[test]
    fn the_plan_is_the_walk() {
        for format in ["", "x", "<IhdQ", ">3s2p?", "@bi0l", "!4H x 2f", "=e?c", "64B", "65B", "3x64i", "1000000000i"] {
            let s = Struct::new(format).unwrap();
            let planned: Vec<Slot> = s.slots().take(1000).collect();
            let walked: Vec<Slot> = s.walk().take(1000).collect();
            assert_eq!(planned, walked, "{format}");
            assert_eq!(planned.len(), s.values.min(1000), "{format}");
            assert_eq!(s.slots().len(), s.values, "{format}");
            let kept = s.plan.0.get().map_or(0, |plan| plan.len());
            assert_eq!(kept, if s.values <= PLAN_VALUES { s.values } else { 0 }, "{format}");
            assert_eq!(s, Struct::new(format).unwrap(), "{format}: the plan takes no part in `==`");
        }
    }
}
