//! Output: `tobytes`, `tolist`, `hex`, and the `Debug`/`Display` renderings.

use crate::items::ItemCodec;
use crate::raw::alloc_bytes;
use crate::{MemoryView, ViewError};
use format_codec::Value;
use smallvec::SmallVec;
use std::fmt;
use strided::Order;

const HEX: &[u8; 16] = b"0123456789abcdef";

impl MemoryView<'_> {
    /// `tobytes()`: the items' bytes in C order, whatever the layout (no unpacking).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// assert_eq!(v.slice(memview::Slice::new(None, None, Some(-1))).unwrap().to_bytes().unwrap(), b"dcba");
    /// ```
    #[doc(alias = "tobytes")]
    pub fn to_bytes(&self) -> Result<Vec<u8>, ViewError> {
        self.to_bytes_in(Order::C)
    }

    /// `tobytes(order)`: C order, Fortran order, or `A` (the memory's own order if the view
    /// is contiguous in C or F order, else C).
    ///
    /// ```
    /// use memview::{MemoryView, Order};
    /// let data: Vec<u8> = (0..6).collect();
    /// let v = MemoryView::new(&data).unwrap().cast_shape("B", &[2, 3]).unwrap();
    /// assert_eq!(v.to_bytes_in(Order::F).unwrap(), [0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn to_bytes_in(&self, order: Order) -> Result<Vec<u8>, ViewError> {
        let live = self.live();
        let mut out = alloc_bytes(live.layout().nbytes())?;
        live.view.gather(order, &mut out)?;
        Ok(out)
    }

    /// `tobytes(order)` into a buffer the caller provides (a Python `bytes` object being
    /// filled, a reused scratch buffer): `out` must be exactly [`nbytes`](Self::nbytes) long.
    ///
    /// ```
    /// use memview::{MemoryView, Order, Slice};
    /// let v = MemoryView::from_bytes(b"abcd");
    /// let mut out = [0u8; 2];
    /// v.slice(Slice::new(None, None, Some(-2))).unwrap().to_bytes_into(&mut out, Order::C).unwrap();
    /// assert_eq!(&out, b"db");
    /// assert!(v.to_bytes_into(&mut out, Order::C).is_err()); // 4 bytes do not fit in 2
    /// ```
    pub fn to_bytes_into(&self, out: &mut [u8], order: Order) -> Result<(), ViewError> {
        let live = self.live();
        let l = live.layout();
        let n = l.nbytes();
        if out.len() != n {
            return Err(strided::LayoutError::OutOfBounds { low: 0, high: n as isize, len: out.len() }.into());
        }
        // C (or A) order of a C-contiguous direct view is its memory: one copy, no plan.
        if order != Order::F && !l.is_indirect() && l.is_c_contiguous() {
            return live.view.with_c_bytes(|bytes| out.copy_from_slice(bytes));
        }
        live.view.gather(order, out)
    }

    /// Runs `f` over the view's items as C-order bytes: in place for a C-contiguous direct
    /// view, through a gathered copy otherwise. `f` must not run other views' code.
    pub(crate) fn with_c_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R, ViewError> {
        self.live().view.with_c_bytes(f)
    }

    /// `tolist()`: the items as nested lists of values (the item itself for a 0-dim view).
    ///
    /// ```
    /// use format_codec::Value;
    /// let data = [1.5f64, -2.0];
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// assert_eq!(v.to_list().unwrap(), Value::List(vec![Value::Float(1.5), Value::Float(-2.0)].into()));
    /// ```
    #[doc(alias = "tolist")]
    pub fn to_list(&self) -> Result<Value, ViewError> {
        let live = self.live();
        if matches!(live.codec, ItemCodec::Unsupported) {
            return Err(ViewError::UnsupportedFormat(live.format().to_string()));
        }
        let l = live.layout();
        if l.ndim() == 0 {
            return self.get(());
        }
        let size = l.itemsize();
        let items = self.with_c_bytes(|bytes| -> Result<Vec<Value>, ViewError> {
            let mut items = Vec::new();
            crate::fresh::try_reserve_exact(&mut items, l.len()).map_err(|_| ViewError::NoMemory(l.len()))?;
            match &live.codec {
                ItemCodec::Native(c) if c.size() == size => c.unpack_all(bytes, &mut items),
                // An exporter's item size that is not its format's: no item can be read.
                ItemCodec::Native(_) if !bytes.is_empty() => {
                    return Err(ViewError::UnsupportedFormat(live.format().to_string()));
                }
                ItemCodec::Native(_) => {}
                codec => {
                    for b in bytes.chunks_exact(size) {
                        items.push(codec.unpack(live.format(), b)?);
                    }
                }
            }
            Ok(items)
        })??;
        Ok(nest(items, l.shape()))
    }

    /// `hex()`: the C-order bytes as lower-case hex.
    ///
    /// ```
    /// assert_eq!(memview::MemoryView::from_bytes(&[0xb9, 0x01, 0xef]).hex().unwrap(), "b901ef");
    /// ```
    pub fn hex(&self) -> Result<String, ViewError> {
        self.hex_with(None, 1)
    }

    /// `hex(sep, bytes_per_sep)` into a caller's buffer, reusing its allocation (for hot loops).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 2]);
    /// let mut s = String::from("old");
    /// v.hex_into(&mut s, None, 1).unwrap();
    /// assert_eq!(s, "0102");
    /// ```
    pub fn hex_into(&self, out: &mut String, sep: Option<char>, bytes_per_sep: isize) -> Result<(), ViewError> {
        let sep = ascii_sep(sep)?;
        let mut buf = std::mem::take(out).into_bytes();
        buf.clear();
        self.with_c_bytes(|bytes| hex_bytes(bytes, sep, bytes_per_sep, &mut buf))?;
        *out = ascii_string(buf);
        Ok(())
    }

    /// The length of `hex(sep, bytes_per_sep)` in bytes (ASCII), for a caller that fills its
    /// own buffer with [`hex_to_slice`](Self::hex_to_slice).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[1, 2, 3]);
    /// assert_eq!((v.hex_len(None, 1), v.hex_len(Some(':'), 1), v.hex_len(Some(':'), 2)), (6, 8, 7));
    /// ```
    pub fn hex_len(&self, sep: Option<char>, bytes_per_sep: isize) -> usize {
        hex_size(self.nbytes(), sep.is_some(), bytes_per_sep)
    }

    /// `hex(sep, bytes_per_sep)` written as ASCII into `out` (a Python `str` being filled),
    /// which must be exactly [`hex_len`](Self::hex_len) long.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0xb9, 0x01, 0xef]);
    /// let mut out = [0u8; 7];
    /// v.hex_to_slice(&mut out, Some(':'), 2).unwrap();
    /// assert_eq!(&out, b"b9:01ef");
    /// ```
    pub fn hex_to_slice(&self, out: &mut [u8], sep: Option<char>, bytes_per_sep: isize) -> Result<(), ViewError> {
        let sep_byte = ascii_sep(sep)?;
        let n = self.hex_len(sep, bytes_per_sep);
        if out.len() != n {
            return Err(strided::LayoutError::OutOfBounds { low: 0, high: n as isize, len: out.len() }.into());
        }
        self.with_c_bytes(|bytes| hex_bytes_into(bytes, sep_byte, bytes_per_sep, out))
    }

    /// `hex(sep, bytes_per_sep)`: hex with a one-character ASCII separator between groups of
    /// `|bytes_per_sep|` bytes, counted from the right when positive and from the left when
    /// negative (0 means no separator).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(&[0xb9, 0x01, 0xef]);
    /// assert_eq!(v.hex_with(Some(':'), 2).unwrap(), "b9:01ef");
    /// assert_eq!(v.hex_with(Some(':'), -2).unwrap(), "b901:ef");
    /// assert!(v.hex_with(Some('é'), 1).is_err());
    /// ```
    pub fn hex_with(&self, sep: Option<char>, bytes_per_sep: isize) -> Result<String, ViewError> {
        let sep = ascii_sep(sep)?;
        self.with_c_bytes(|bytes| hex_string(bytes, sep, bytes_per_sep))
    }
}

/// A `hex` separator as a byte: it must be ASCII, as CPython requires.
fn ascii_sep(sep: Option<char>) -> Result<Option<u8>, ViewError> {
    match sep {
        Some(c) if !c.is_ascii() => Err(ViewError::BadSeparator("sep must be ASCII.")),
        Some(c) => Ok(Some(c as u8)),
        None => Ok(None),
    }
}

/// The two hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 15]];
        i += 1;
    }
    t
};

/// Hex with separators, as CPython's `_Py_strhex_impl`.
pub(crate) fn hex_string(bytes: &[u8], sep: Option<u8>, bytes_per_sep: isize) -> String {
    let mut out = Vec::new();
    hex_bytes(bytes, sep, bytes_per_sep, &mut out);
    ascii_string(out)
}

/// A `String` of the bytes `hex_bytes` wrote: ASCII hex digits and an ASCII separator, so
/// the (vectorised) UTF-8 check always passes.
fn ascii_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the hex of `bytes` to `out` (see [`hex_string`]). The output is reserved once and
/// appended from a small stack buffer filled through the pair table, so fresh memory is
/// written once (never zero-filled first) while the writes stay in cache.
pub(crate) fn hex_bytes(bytes: &[u8], sep: Option<u8>, bytes_per_sep: isize, out: &mut Vec<u8>) {
    out.reserve_exact(hex_size(bytes.len(), sep.is_some(), bytes_per_sep));
    crate::fresh::advise_vec(out);
    hex_pieces(bytes, sep, bytes_per_sep, |piece| out.extend_from_slice(piece));
}

/// The hex of `bytes` into `dst`, which the caller made exactly `hex_size` long (a shorter
/// `dst` gets what fits, never a panic).
fn hex_bytes_into(bytes: &[u8], sep: Option<u8>, bytes_per_sep: isize, dst: &mut [u8]) {
    let mut rest = dst;
    hex_pieces(bytes, sep, bytes_per_sep, |piece| {
        let taken = piece.len().min(rest.len());
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(taken);
        head.copy_from_slice(&piece[..head.len()]);
        rest = tail;
    });
}

/// The length of the hex of `n` bytes, with or without a separator.
fn hex_size(n: usize, sep: bool, bytes_per_sep: isize) -> usize {
    let group = bytes_per_sep.unsigned_abs();
    2 * n + if sep && group > 0 && n > 0 { (n - 1) / group } else { 0 }
}

/// Input bytes per piece of [`hex_pieces`]: the piece (hex and separators) stays in L1.
const PIECE: usize = 2048;

/// The one definition of `hex(sep, bytes_per_sep)`, as CPython's `_Py_strhex_impl` lays it
/// out: `emit` is called with consecutive pieces of the output, each at most `3 × PIECE`
/// bytes, built in a stack buffer. Groups of `|bytes_per_sep|` bytes are counted from the
/// right when it is positive (the short group first) and from the left when negative (the
/// short group last), a separator before every group but the first.
fn hex_pieces(bytes: &[u8], sep: Option<u8>, bytes_per_sep: isize, mut emit: impl FnMut(&[u8])) {
    let n = bytes.len();
    // A group of at least `n` bytes holds them all (and `2 × group + 1` cannot overflow).
    let group = bytes_per_sep.unsigned_abs().min(n);
    let mut buf = [0u8; 3 * PIECE];
    let Some(sep) = sep.filter(|_| group > 0) else {
        hex_plain(bytes, &mut buf, &mut emit);
        return;
    };
    let first = if bytes_per_sep < 0 { group } else { n - (n - 1) / group * group };
    let (head, rest) = bytes.split_at(first);
    hex_plain(head, &mut buf, &mut emit);
    let tail = rest.chunks_exact(group).remainder();
    let whole = &rest[..rest.len() - tail.len()];
    let width = 2 * group + 1;
    if width <= buf.len() {
        // Many groups per piece.
        for batch in whole.chunks(buf.len() / width * group) {
            let dst = &mut buf[..batch.len() / group * width];
            hex_groups(batch, group, sep, dst);
            emit(dst);
        }
    } else {
        // Groups longer than a piece: each separator, then the group's hex in pieces.
        for g in whole.chunks_exact(group) {
            emit(&[sep]);
            hex_plain(g, &mut buf, &mut emit);
        }
    }
    if !tail.is_empty() {
        emit(&[sep]);
        hex_plain(tail, &mut buf, &mut emit);
    }
}

/// The hex of `src` without separators, emitted in pieces built in `buf`.
fn hex_plain(src: &[u8], buf: &mut [u8; 3 * PIECE], emit: &mut impl FnMut(&[u8])) {
    for chunk in src.chunks(PIECE) {
        let dst = &mut buf[..2 * chunk.len()];
        hex_pairs(chunk, dst);
        emit(dst);
    }
}

/// Writes `sep` and the hex of each group of `group` bytes of `src` (whole groups only) into
/// `dst` (`src.len() / group × (2 × group + 1)` bytes). The usual group sizes are passed as
/// constants, so their loops are compiled for that size.
fn hex_groups(src: &[u8], group: usize, sep: u8, dst: &mut [u8]) {
    match group {
        1 => hex_groups_of(src, 1, sep, dst),
        2 => hex_groups_of(src, 2, sep, dst),
        4 => hex_groups_of(src, 4, sep, dst),
        8 => hex_groups_of(src, 8, sep, dst),
        g => hex_groups_of(src, g, sep, dst),
    }
}

/// [`hex_groups`], inlined into each of its arms.
#[inline(always)]
fn hex_groups_of(src: &[u8], group: usize, sep: u8, dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(2 * group + 1).zip(src.chunks_exact(group)) {
        if let Some((first_byte, hex)) = d.split_first_mut() {
            *first_byte = sep;
            hex_pairs(s, hex);
        }
    }
}

/// Writes the two hex digits of each byte of `src` into `dst` (`2 × src.len()` bytes).
#[inline]
fn hex_pairs(src: &[u8], dst: &mut [u8]) {
    for (o, &b) in dst.chunks_exact_mut(2).zip(src) {
        o.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
}

/// Nests a flat C-order list of items into lists of lists by shape.
fn nest(items: Vec<Value>, shape: &[usize]) -> Value {
    if shape.len() <= 1 {
        return Value::from(items);
    }
    let inner: usize = shape[1..].iter().product();
    let mut rows = Vec::with_capacity(shape[0]);
    let mut it = items.into_iter();
    for _ in 0..shape[0] {
        let chunk: Vec<Value> = it.by_ref().take(inner).collect();
        rows.push(nest(chunk, &shape[1..]));
    }
    Value::from(rows)
}

pub(crate) fn debug(v: &MemoryView<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let l = v.layout();
    let mut s = f.debug_struct("MemoryView");
    s.field("format", &v.format())
        .field("itemsize", &l.itemsize())
        .field("shape", &l.shape())
        .field("strides", &l.strides());
    if let Some(subs) = l.suboffsets() {
        s.field("suboffsets", &subs);
    }
    s.field("readonly", &v.readonly()).finish()
}

/// Views with more items than this print only the first and last [`EDGE_ITEMS`] of each
/// long dimension.
const DISPLAY_ITEMS: usize = 64;
/// How many items are kept at each end of an abbreviated dimension (NumPy's `edgeitems`).
const EDGE_ITEMS: usize = 3;

impl fmt::Display for MemoryView<'_> {
    /// `<memory format='i' shape=(2, 3) readonly>` followed by the items, as a user reads them;
    /// a long view shows the first and last three entries of each long dimension, keeping the
    /// nesting, as NumPy's repr abbreviates.
    ///
    /// ```
    /// let data: Vec<u8> = (0..100).collect();
    /// let v = memview::MemoryView::new(&data).unwrap();
    /// assert_eq!(v.to_string(), "<memory format='B' shape=(100,) readonly> [0, 1, 2, ..., 97, 98, 99]");
    /// let grid = v.cast_shape("B", &[10, 10]).unwrap();
    /// assert_eq!(
    ///     grid.to_string(),
    ///     "<memory format='B' shape=(10, 10) readonly> [[0, 1, 2, ..., 7, 8, 9], [10, 11, 12, ..., 17, 18, 19], \
    ///      [20, 21, 22, ..., 27, 28, 29], ..., [70, 71, 72, ..., 77, 78, 79], [80, 81, 82, ..., 87, 88, 89], \
    ///      [90, 91, 92, ..., 97, 98, 99]]"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = self.layout();
        let dims: Vec<String> = l.shape().iter().map(usize::to_string).collect();
        let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
        write!(
            f,
            "<memory format='{}' shape={}{}>",
            self.format(),
            shape,
            if self.readonly() { " readonly" } else { "" }
        )?;
        if self.check_item_format().is_err() {
            return match self.hex() {
                Ok(h) => write!(f, " hex {h}"),
                Err(_) => Ok(()),
            };
        }
        f.write_str(" ")?;
        let abbreviate = l.len() > DISPLAY_ITEMS;
        let mut index: SmallVec<[isize; 8]> = SmallVec::new();
        self.write_nested(f, &mut index, abbreviate)
    }
}

impl MemoryView<'_> {
    /// Writes the items under `index` (a prefix of a full index) as nested lists.
    fn write_nested(
        &self,
        f: &mut fmt::Formatter<'_>,
        index: &mut SmallVec<[isize; 8]>,
        abbreviate: bool,
    ) -> fmt::Result {
        let d = index.len();
        if d == self.ndim() {
            return match self.read_item(index) {
                Ok(v) => write!(f, "{v}"),
                Err(_) => f.write_str("?"),
            };
        }
        let n = self.shape()[d];
        f.write_str("[")?;
        let skip = abbreviate && n > 2 * EDGE_ITEMS;
        for i in 0..n {
            if skip && i == EDGE_ITEMS {
                f.write_str(", ...")?;
            }
            if skip && (EDGE_ITEMS..n - EDGE_ITEMS).contains(&i) {
                continue;
            }
            if i > 0 {
                f.write_str(", ")?;
            }
            index.push(i as isize);
            self.write_nested(f, index, abbreviate)?;
            index.pop();
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::for_each_index;

    #[test]
    fn hex_groups_from_the_right_or_the_left() {
        let b = [0xb9, 0x01, 0xef];
        assert_eq!(hex_string(&b, Some(b':'), 2), "b9:01ef");
        assert_eq!(hex_string(&b, Some(b':'), -2), "b901:ef");
        assert_eq!(hex_string(&b, Some(b':'), 0), "b901ef");
        assert_eq!(hex_string(&b, Some(b':'), 5), "b901ef");
        assert_eq!(hex_string(&b, Some(b'-'), 1), "b9-01-ef");
        assert_eq!(hex_string(&[], Some(b':'), 1), "");
    }

    /// A plain definition of `hex(sep, bytes_per_sep)`: groups counted from the right (or
    /// the left for a negative count), joined by the separator.
    fn hex_reference(bytes: &[u8], sep: Option<u8>, bytes_per_sep: isize) -> String {
        let digits: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let group = bytes_per_sep.unsigned_abs();
        let Some(sep) = sep.filter(|_| group > 0) else { return digits.concat() };
        let mut groups: Vec<String> = Vec::new();
        if bytes_per_sep > 0 {
            let mut end = digits.len();
            while end > 0 {
                let start = end.saturating_sub(group);
                groups.insert(0, digits[start..end].concat());
                end = start;
            }
        } else {
            groups = digits.chunks(group).map(|c| c.concat()).collect();
        }
        groups.join(&char::from(sep).to_string())
    }

    #[test]
    #[cfg_attr(miri, ignore = "slow under Miri; safe code, covered there by the short cases above")]
    fn hex_pieces_agree_with_the_in_place_writer_and_the_definition() {
        // Lengths and groups around the piece size, where the stack buffer is flushed.
        let bytes: Vec<u8> = (0..3 * PIECE + 7).map(|i| (i * 37 % 256) as u8).collect();
        for n in [0, 1, 2, 5, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE + 3, bytes.len()] {
            for bps in [
                0,
                1,
                -1,
                2,
                -2,
                3,
                7,
                -7,
                1000,
                -1000,
                PIECE as isize + 5,
                -(PIECE as isize) - 5,
                isize::MAX,
                isize::MIN,
            ] {
                for sep in [None, Some(b':')] {
                    let src = &bytes[..n];
                    let got = hex_string(src, sep, bps);
                    assert_eq!(got, hex_reference(src, sep, bps), "n={n} bps={bps} sep={sep:?}");
                    let mut dst = vec![0u8; hex_size(n, sep.is_some(), bps)];
                    hex_bytes_into(src, sep, bps, &mut dst);
                    assert_eq!(dst, got.as_bytes(), "in place: n={n} bps={bps} sep={sep:?}");
                }
            }
        }
    }

    #[test]
    fn indices_run_in_c_and_f_order() {
        let mut c = vec![];
        for_each_index(&[2, 2], Order::C, |i| {
            c.push(i.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(c, [[0, 0], [0, 1], [1, 0], [1, 1]]);
        let mut f = vec![];
        for_each_index(&[2, 2], Order::F, |i| {
            f.push(i.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(f, [[0, 0], [1, 0], [0, 1], [1, 1]]);
        let mut n = 0;
        for_each_index(&[], Order::C, |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 1, "a 0-dimensional shape has one index");
    }

    #[test]
    fn nesting_follows_the_shape() {
        let items: Vec<Value> = (0..6).map(Value::from).collect();
        assert_eq!(nest(items, &[2, 3]).to_string(), "[[0, 1, 2], [3, 4, 5]]");
    }
}
