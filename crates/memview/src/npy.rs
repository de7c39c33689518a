//! NumPy's `.npy` files (feature `npy`): read one as a typed N-D view (memory-mapped, or
//! copied into memory), and write one.
//!
//! The header's `descr` becomes a format string: `<f8` is `<d`, `|u1` is `<B`, `>i4` is
//! `>i`, `<c16` is `<Zd`, `|S3` is `3s`, and a structured dtype
//! `[('id', '<i4'), ('price', '<f8')]` is `T{<i:id:<d:price:}` (sub-arrays as `(2)<f`).
//! `fortran_order` gives Fortran strides. Items are never aligned in a `.npy` file, so the
//! formats carry explicit byte orders (standard sizes, no padding).
//!
//! ```
//! use memview::npy;
//! let data = [1.5f64, 2.5, -1.0, 0.0];
//! let grid = memview::MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[2, 2]).unwrap();
//! let mut file = Vec::new();
//! npy::write(&mut file, &grid).unwrap();
//! let back = npy::from_bytes(file).unwrap();
//! assert_eq!((back.format(), back.shape()), ("<d", &[2, 2][..]));
//! assert_eq!(back.to_list().unwrap(), grid.to_list().unwrap());
//! ```

use crate::{MemoryView, ViewError};
use buffer_protocol::ByteArray;
use std::io::Write;
use std::path::Path;
use strided::{Order, StridedLayout};

/// Why a `.npy` file could not be read or written.
///
/// ```
/// let err = memview::npy::from_bytes(b"not numpy".to_vec()).unwrap_err();
/// assert_eq!(err.to_string(), "not a .npy file: no magic string");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpyError {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not a `.npy` file this reader understands.
    #[error("not a .npy file: {0}")]
    Header(String),
    /// The header's dtype has no format-string equivalent (object arrays, datetimes, ...).
    #[error("unsupported dtype {0:?}")]
    Dtype(String),
    /// The view could not be made or read.
    #[error(transparent)]
    View(#[from] ViewError),
}

/// A parsed `.npy` header.
///
/// ```
/// let h = memview::npy::Header::parse(b"\x93NUMPY\x01\x00\x46\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }          \n").unwrap();
/// assert_eq!((h.format.as_str(), h.shape.as_slice(), h.fortran_order), ("<d", &[2, 3][..], false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// NumPy's dtype description, as written (`"<f8"`, or a list for structured dtypes).
    pub descr: String,
    /// The equivalent format string.
    pub format: String,
    /// The item size in bytes.
    pub itemsize: usize,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Where the data starts in the file.
    pub data_offset: usize,
}

impl Header {
    /// Parses the magic string, version and header dictionary at the start of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Header, NpyError> {
        let bad = |why: &str| NpyError::Header(why.to_owned());
        let rest = bytes.strip_prefix(b"\x93NUMPY").ok_or_else(|| bad("no magic string"))?;
        let (&major, rest) = rest.split_first().ok_or_else(|| bad("no version"))?;
        let (_minor, rest) = rest.split_first().ok_or_else(|| bad("no version"))?;
        let (len, start) = match major {
            1 => {
                let n = rest.get(..2).ok_or_else(|| bad("no header length"))?;
                (usize::from(u16::from_le_bytes([n[0], n[1]])), 10usize)
            }
            2 | 3 => {
                let n = rest.get(..4).ok_or_else(|| bad("no header length"))?;
                (u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize, 12)
            }
            v => return Err(bad(&format!("version {v} is not 1, 2 or 3"))),
        };
        let end = start.checked_add(len).ok_or_else(|| bad("header length"))?;
        let text = bytes.get(start..end).ok_or_else(|| bad("header shorter than its length"))?;
        let text = std::str::from_utf8(text).map_err(|_| bad("header is not UTF-8"))?;
        let dict = Literal::parse(text)?;
        let Literal::Dict(entries) = dict else { return Err(bad("header is not a dict")) };
        let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let descr = get("descr").ok_or_else(|| bad("no 'descr'"))?;
        let fortran_order = match get("fortran_order") {
            Some(Literal::Bool(b)) => *b,
            _ => return Err(bad("no boolean 'fortran_order'")),
        };
        let shape = match get("shape") {
            Some(Literal::Tuple(dims)) => dims
                .iter()
                .map(|d| match d {
                    Literal::Int(n) => usize::try_from(*n).map_err(|_| bad("negative dimension")),
                    _ => Err(bad("a dimension that is not an integer")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(bad("no tuple 'shape'")),
        };
        let (format, itemsize) = descr_format(descr)?;
        Ok(Header { descr: descr.to_string(), format, itemsize, fortran_order, shape, data_offset: end })
    }

    /// The layout of the data within the file.
    pub fn layout(&self) -> Result<StridedLayout, NpyError> {
        let order = if self.fortran_order { Order::F } else { Order::C };
        let l = StridedLayout::contiguous_in(self.itemsize, &self.shape, order).map_err(ViewError::from)?;
        let offset = isize::try_from(self.data_offset).map_err(|_| NpyError::Header("data offset".into()))?;
        Ok(StridedLayout::new(l.itemsize(), l.shape(), l.strides(), offset).map_err(ViewError::from)?)
    }
}

/// Reads a `.npy` file into memory and views it (a copy of the file; no `unsafe`).
///
/// ```no_run
/// let m = memview::npy::read("weights.npy").unwrap();
/// println!("{} {:?}", m.format(), m.shape());
/// ```
pub fn read(path: impl AsRef<Path>) -> Result<MemoryView<'static>, NpyError> {
    from_bytes(std::fs::read(path)?)
}

/// Views the `.npy` file held in `bytes` (which the view owns).
///
/// ```
/// let mut file = Vec::new();
/// memview::npy::write(&mut file, &memview::MemoryView::from_bytes(&[7, 8])).unwrap();
/// let m = memview::npy::from_bytes(file).unwrap();
/// assert_eq!((m.format(), m.to_bytes().unwrap()), ("<B", vec![7, 8]));
/// ```
pub fn from_bytes(bytes: Vec<u8>) -> Result<MemoryView<'static>, NpyError> {
    let header = Header::parse(&bytes)?;
    let whole = MemoryView::new(ByteArray::from(bytes))?.to_readonly();
    Ok(whole.reinterpret(&header.format, header.layout()?)?)
}

/// Maps a `.npy` file into memory, read-only, and views it without reading it: a file larger
/// than memory is fine, and only the pages of the items read are loaded.
///
/// # Safety
///
/// The promise of [`memmap2::Mmap::map`]: the file must not be changed or truncated, by this
/// or another process, while any view of it lives (a change would be a data race, a
/// truncation a fault).
///
/// ```no_run
/// // SAFETY: nothing else writes `big.npy` while the view lives.
/// let m = unsafe { memview::npy::map("big.npy") }.unwrap();
/// println!("{}", m.get(0).unwrap_or(memview::Value::Int(0)));
/// ```
#[allow(unsafe_code)]
pub unsafe fn map(path: impl AsRef<Path>) -> Result<MemoryView<'static>, NpyError> {
    let file = std::fs::File::open(path)?;
    // SAFETY: the caller's promise is `Mmap::map`'s.
    let map = unsafe { memmap2::Mmap::map(&file) }?;
    let header = Header::parse(&map)?;
    let layout = header.layout()?;
    let whole = MemoryView::new(map)?;
    Ok(whole.reinterpret(&header.format, layout)?)
}

/// Writes `view` as a `.npy` file (C order; the items' format must have a NumPy dtype).
///
/// ```
/// let data = [1.5f32, -2.0];
/// let mut file = Vec::new();
/// memview::npy::write(&mut file, &memview::MemoryView::new(&data[..]).unwrap()).unwrap();
/// assert!(file.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(file.len() % 64, 8 % 64); // a 64-byte aligned header, then 8 bytes of data
/// let header = memview::npy::Header::parse(&file).unwrap();
/// assert_eq!((header.descr.as_str(), header.shape.as_slice()), ("'<f4'", &[2][..]));
/// ```
pub fn write(out: &mut impl Write, view: &MemoryView<'_>) -> Result<(), NpyError> {
    let descr = format_descr(view.format()).ok_or_else(|| NpyError::Dtype(view.format().to_owned()))?;
    let dims: Vec<String> = view.shape().iter().map(usize::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
    // Pad with spaces so that the data starts on a 64-byte boundary, ending in a newline;
    // version 1 counts the header in 16 bits, version 2 in 32.
    let padded = |prefix: usize| (prefix + dict.len() + 1).div_ceil(64) * 64 - prefix;
    let (version, len) = if padded(10) <= usize::from(u16::MAX) { (1u8, padded(10)) } else { (2u8, padded(12)) };
    dict.push_str(&" ".repeat(len - dict.len() - 1));
    dict.push('\n');
    out.write_all(b"\x93NUMPY")?;
    out.write_all(&[version, 0])?;
    if version == 1 {
        out.write_all(&(dict.len() as u16).to_le_bytes())?;
    } else {
        out.write_all(&(dict.len() as u32).to_le_bytes())?;
    }
    out.write_all(dict.as_bytes())?;
    out.write_all(&view.to_bytes()?)?;
    Ok(())
}

/// The format string and item size of a dtype description.
fn descr_format(descr: &Literal) -> Result<(String, usize), NpyError> {
    match descr {
        Literal::Str(s) => simple_format(s).ok_or_else(|| NpyError::Dtype(s.clone())),
        Literal::List(fields) => {
            let mut out = String::from("T{");
            let mut size = 0usize;
            for f in fields {
                let Literal::Tuple(parts) = f else { return Err(NpyError::Dtype(descr.to_string())) };
                let (name, dtype, dims) = match parts.as_slice() {
                    [Literal::Str(n), d] => (n, d, None),
                    [Literal::Str(n), d, Literal::Tuple(dims)] => (n, d, Some(dims)),
                    _ => return Err(NpyError::Dtype(descr.to_string())),
                };
                let (fmt, fsize) = descr_format(dtype)?;
                let mut count = 1usize;
                if let Some(dims) = dims {
                    let ds: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
                    for d in dims {
                        let Literal::Int(n) = d else { return Err(NpyError::Dtype(descr.to_string())) };
                        count =
                            count.saturating_mul(usize::try_from(*n).map_err(|_| NpyError::Dtype(descr.to_string()))?);
                    }
                    out.push_str(&format!("({})", ds.join(",")));
                }
                let bytes = fsize.saturating_mul(count);
                if name.is_empty() {
                    // Unnamed void fields are padding.
                    out.push_str(&format!("{bytes}x"));
                } else {
                    out.push_str(&fmt);
                    out.push(':');
                    out.push_str(name);
                    out.push(':');
                }
                size = size.saturating_add(bytes);
            }
            out.push('}');
            Ok((out, size))
        }
        other => Err(NpyError::Dtype(other.to_string())),
    }
}

/// The format of a simple dtype string (`<f8`, `|S3`, `>i4`).
fn simple_format(s: &str) -> Option<(String, usize)> {
    let (order, rest) = match s.as_bytes().first()? {
        b'<' | b'|' => ("<", &s[1..]),
        b'>' => (">", &s[1..]),
        b'=' => (if cfg!(target_endian = "little") { "<" } else { ">" }, &s[1..]),
        _ => ("<", s),
    };
    let kind = rest.chars().next()?;
    let size: usize = rest.get(kind.len_utf8()..)?.parse().ok()?;
    let code = match (kind, size) {
        ('f', 2) => "e",
        ('f', 4) => "f",
        ('f', 8) => "d",
        ('i', 1) => "b",
        ('u', 1) => "B",
        ('i', 2) => "h",
        ('u', 2) => "H",
        ('i', 4) => "i",
        ('u', 4) => "I",
        ('i', 8) => "q",
        ('u', 8) => "Q",
        ('b', 1) => "?",
        ('c', 8) => "Zf",
        ('c', 16) => "Zd",
        ('S', n) => return Some((format!("{n}s"), n)),
        ('V', n) => return Some((format!("{n}x"), n)),
        _ => return None,
    };
    Some((format!("{order}{code}"), size))
}

/// The dtype description (as Python source) of a format, or `None`.
fn format_descr(format: &str) -> Option<String> {
    let (order, code) = match format.as_bytes().first()? {
        b'<' => ('<', &format[1..]),
        b'>' | b'!' => ('>', &format[1..]),
        b'=' | b'@' => (if cfg!(target_endian = "little") { '<' } else { '>' }, &format[1..]),
        _ => (if cfg!(target_endian = "little") { '<' } else { '>' }, format),
    };
    let native_l = std::mem::size_of::<std::ffi::c_long>();
    // An explicit byte order means standard sizes (`<l` is 4 bytes); none or `@`, native.
    let standard = format.len() > code.len() && !format.starts_with('@');
    let d = match code {
        "e" => "f2".to_owned(),
        "f" => "f4".to_owned(),
        "d" => "f8".to_owned(),
        "b" => return Some("'|i1'".into()),
        "B" => return Some("'|u1'".into()),
        "?" => return Some("'|b1'".into()),
        "h" => "i2".to_owned(),
        "H" => "u2".to_owned(),
        "i" => "i4".to_owned(),
        "I" => "u4".to_owned(),
        "l" => format!("i{}", if standard { 4 } else { native_l }),
        "L" => format!("u{}", if standard { 4 } else { native_l }),
        "q" | "n" => "i8".to_owned(),
        "Q" | "N" => "u8".to_owned(),
        "Zf" => "c8".to_owned(),
        "Zd" => "c16".to_owned(),
        _ => return None,
    };
    Some(format!("'{order}{d}'"))
}

/// The Python literals of a `.npy` header: dicts, tuples, lists, strings, ints, bools.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Dict(Vec<(String, Literal)>),
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Str(String),
    Int(i64),
    Bool(bool),
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "'{s}'"),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Literal::Tuple(v) | Literal::List(v) => {
                let parts: Vec<String> = v.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Literal::Dict(_) => f.write_str("{...}"),
        }
    }
}

/// Headers are at most a few kilobytes, but the parser is recursive: bound its depth.
const MAX_DEPTH: usize = 32;

impl Literal {
    fn parse(text: &str) -> Result<Literal, NpyError> {
        let mut p = Parser { s: text.as_bytes(), pos: 0 };
        let v = p.value(0)?;
        p.ws();
        if p.pos != p.s.len() {
            return Err(NpyError::Header("trailing text after the header dict".into()));
        }
        Ok(v)
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> NpyError {
        NpyError::Header(format!("{what} at byte {}", self.pos))
    }

    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Items up to `close`, separated by commas (a trailing comma allowed).
    fn items(&mut self, close: u8, depth: usize) -> Result<(Vec<Literal>, bool), NpyError> {
        let mut out = Vec::new();
        let mut comma = false;
        loop {
            if self.eat(close) {
                return Ok((out, comma));
            }
            out.push(self.value(depth + 1)?);
            comma = self.eat(b',');
            if !comma && !self.eat(close) {
                return Err(self.err("expected ',' or a closing bracket"));
            } else if !comma {
                return Ok((out, false));
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Literal, NpyError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        match self.s.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    if self.eat(b'}') {
                        return Ok(Literal::Dict(entries));
                    }
                    let Literal::Str(key) = self.value(depth + 1)? else {
                        return Err(self.err("a key that is not a string"));
                    };
                    if !self.eat(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    entries.push((key, self.value(depth + 1)?));
                    if !self.eat(b',') {
                        return if self.eat(b'}') {
                            Ok(Literal::Dict(entries))
                        } else {
                            Err(self.err("expected ',' or '}'"))
                        };
                    }
                }
            }
            Some(b'(') => {
                self.pos += 1;
                Ok(Literal::Tuple(self.items(b')', depth)?.0))
            }
            Some(b'[') => {
                self.pos += 1;
                Ok(Literal::List(self.items(b']', depth)?.0))
            }
            Some(&q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(|&c| c != q) {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.pos])
                    .map_err(|_| self.err("a string that is not UTF-8"))?;
                if !self.eat(q) {
                    return Err(self.err("an unterminated string"));
                }
                Ok(Literal::Str(text.to_owned()))
            }
            Some(b'T') if self.s[self.pos..].starts_with(b"True") => {
                self.pos += 4;
                Ok(Literal::Bool(true))
            }
            Some(b'F') if self.s[self.pos..].starts_with(b"False") => {
                self.pos += 5;
                Ok(Literal::Bool(false))
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.pos;
                self.pos += 1;
                while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                // Python 2 headers may write longs as `3L`.
                let digits = std::str::from_utf8(&self.s[start..self.pos]).map_err(|_| self.err("a number"))?;
                if self.s.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                digits.parse().map(Literal::Int).map_err(|_| self.err("an integer out of range"))
            }
            _ => Err(self.err("unexpected text")),
        }
    }
}
