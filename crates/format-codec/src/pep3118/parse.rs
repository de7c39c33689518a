//! The PEP 3118 reader: a cursor over the format, and the struct body parser that places,
//! aligns and names fields with NumPy's rules (see the parent module).

use super::*;
use std::collections::HashSet;

/// The parser's cursor over the format bytes, with the byte-order setting of the whole string.
pub(super) struct Stream<'a> {
    pub(super) s: &'a [u8],
    pub(super) pos: usize,
    pub(super) order: ByteOrder,
    /// How many `T{` are open.
    pub(super) depth: usize,
}

impl Stream<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Moves past `n` bytes (never beyond the end, which `pos` cannot reach `usize::MAX` before).
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    /// The bytes not read yet.
    fn rest(&self) -> &[u8] {
        self.s.get(self.pos..).unwrap_or(&[])
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.advance(1);
            true
        } else {
            false
        }
    }

    fn err(&self, reason: &'static str) -> CodecError {
        CodecError::Pep3118 { position: self.pos, reason }
    }

    fn number(&mut self) -> Result<Option<usize>, CodecError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.advance(1);
        }
        if start == self.pos {
            return Ok(None);
        }
        let digits = self.s.get(start..self.pos).ok_or_else(|| self.err("bad number"))?;
        let digits = std::str::from_utf8(digits).map_err(|_| self.err("bad number"))?;
        digits.parse::<usize>().map(Some).map_err(|_| self.err("number too large"))
    }
}

/// A field while its struct is being read: its name may still be missing.
pub(super) struct Pending {
    pub(super) field: Field,
    pub(super) unnamed: bool,
}

/// Gives each unnamed field the lowest `fK` not used by any name of the struct: one pass
/// with a set of the names taken, so a struct of n fields is named in O(n) expected time
/// (each candidate `fK` is tried once, as K only grows).
pub(super) fn name_fields(pending: Vec<Pending>) -> Vec<Field> {
    let mut taken: HashSet<String> = pending.iter().filter(|p| !p.unnamed).map(|p| p.field.name.clone()).collect();
    let mut k = 0usize;
    pending
        .into_iter()
        .map(|mut p| {
            if p.unnamed {
                let name = loop {
                    let cand = format!("f{k}");
                    k = k.saturating_add(1);
                    if !taken.contains(&cand) {
                        break cand;
                    }
                };
                taken.insert(name.clone());
                p.field.name = name;
            }
            p.field
        })
        .collect()
}

/// Reads the items of a struct body (or of the whole string when `nested` is false) up to its
/// `}`; returns the fields, the size and the struct's alignment.
pub(super) fn parse_struct(st: &mut Stream<'_>, nested: bool) -> Result<(Vec<Pending>, usize, usize), CodecError> {
    let overflow = |st: &Stream<'_>| st.err("size overflows");
    let mut fields: Vec<Pending> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut offset = 0usize;
    let mut common_align = 1usize;
    loop {
        match st.peek() {
            None if nested => return Err(st.err("missing '}'")),
            None => break,
            Some(b'}') if nested => {
                st.advance(1);
                break;
            }
            Some(b'}') => return Err(st.err("'}' without 'T{'")),
            _ => {}
        }
        // Sub-array shape.
        let mut shape = Vec::new();
        if st.eat(b'(') {
            loop {
                let d = st.number()?.ok_or_else(|| st.err("expected a dimension"))?;
                shape.push(d);
                if shape.len() > MAX_SUBARRAY_DIMS {
                    return Err(CodecError::TooDeep("sub-array dimensions"));
                }
                if st.eat(b')') {
                    break;
                }
                if !st.eat(b',') {
                    return Err(st.err("expected ',' or ')'"));
                }
            }
        }
        // Byte order.
        if let Some(o) = st.peek().and_then(ByteOrder::from_prefix) {
            st.advance(1);
            // `!` and `>` mean the same: one setting, so equal layouts compare equal.
            st.order = if o == ByteOrder::Network { ByteOrder::Big } else { o };
        }
        let count = st.number()?;
        let order = st.order;
        // The item itself: (element, element size, alignment, is unnamed padding).
        let mut close = order;
        let (element, mut elem_size, align, padding) = if st.rest().starts_with(b"T{") {
            st.advance(2);
            if st.depth >= MAX_NESTING {
                return Err(CodecError::TooDeep("nested structs"));
            }
            st.depth = st.depth.saturating_add(1);
            let (inner, size, align) = parse_struct(st, true)?;
            st.depth = st.depth.saturating_sub(1);
            close = st.order;
            (Element::Struct(name_fields(inner)), size, align, false)
        } else {
            match st.peek() {
                Some(b's') => {
                    st.advance(1);
                    (Element::Bytes(count.unwrap_or(1)), count.unwrap_or(1), 1, false)
                }
                Some(b'x') => {
                    st.advance(1);
                    (Element::Bytes(count.unwrap_or(1)), count.unwrap_or(1), 1, true)
                }
                Some(b'c') => {
                    st.advance(1);
                    (Element::Bytes(1), 1, 1, false)
                }
                Some(b'w') => {
                    st.advance(1);
                    let n = count.unwrap_or(1);
                    let size = n.checked_mul(4).ok_or_else(|| overflow(st))?;
                    let sc = Scalar::Opaque(Opaque::Ucs4);
                    (Element::Scalar { scalar: sc, code: "w", little: order.is_little_endian() }, size, 4, false)
                }
                Some(b'u' | b'&' | b't' | b'X') => return Err(st.err("format code not supported by NumPy's reader")),
                _ => {
                    let (sc, align, code, len) =
                        pep_scalar(st.rest(), order).ok_or_else(|| st.err("unknown type code"))?;
                    st.advance(len);
                    (Element::Scalar { scalar: sc, code, little: order.is_little_endian() }, sc.size(), align, false)
                }
            }
        };
        // A count repeats the item as a sub-array, except for `s`, `x` and `w`, where it is a length.
        let count_dims = match (&element, count) {
            (_, None) | (_, Some(1)) => None,
            (Element::Bytes(_), _) if !matches!(st.pos.checked_sub(1).and_then(|p| st.s.get(p)), Some(b'c')) => None,
            (Element::Scalar { code: "w", .. }, _) => None,
            (_, Some(n)) => Some(n),
        };
        let mut extra_offset = 0usize;
        if st.order == ByteOrder::Native {
            let start_pad = pad_to(offset, align);
            let intra_pad = pad_to(elem_size, align);
            offset = offset.checked_add(start_pad).ok_or_else(|| overflow(st))?;
            if intra_pad != 0 {
                let repeated = count_dims.is_some() || product(&shape).is_some_and(|p| p > 1);
                if repeated {
                    elem_size = elem_size.checked_add(intra_pad).ok_or_else(|| overflow(st))?;
                } else {
                    extra_offset = intra_pad;
                }
            }
            common_align = common_align
                .checked_div(gcd(common_align, align))
                .and_then(|x| x.checked_mul(align))
                .ok_or_else(|| overflow(st))?;
        }
        let mut full_shape = shape;
        if let Some(n) = count_dims {
            full_shape.push(n);
        }
        let itemsize = product(&full_shape).and_then(|p| p.checked_mul(elem_size)).ok_or_else(|| overflow(st))?;
        let layout = Layout::closed(full_shape, element, elem_size, itemsize, order, close);
        // Field name.
        let mut name = None;
        if st.eat(b':') {
            let rest = st.rest();
            let end = rest.iter().position(|&c| c == b':').ok_or_else(|| st.err("field name without closing ':'"))?;
            let text =
                std::str::from_utf8(rest.get(..end).unwrap_or(&[])).map_err(|_| st.err("field name is not UTF-8"))?;
            let text = text.to_owned();
            st.advance(end.saturating_add(1));
            name = Some(text);
        }
        if !(padding && name.is_none()) {
            if let Some(n) = &name {
                if !names.insert(n.clone()) {
                    return Err(st.err("duplicate field name"));
                }
            }
            fields.push(Pending {
                unnamed: name.is_none(),
                field: Field { name: name.unwrap_or_default(), offset, layout: layout.clone() },
            });
        }
        offset = offset
            .checked_add(layout.itemsize)
            .and_then(|o| o.checked_add(extra_offset))
            .filter(|&o| o <= isize::MAX as usize)
            .ok_or_else(|| overflow(st))?;
    }
    let mut size = offset;
    if st.order == ByteOrder::Native {
        // The rounded size is a size too: at most `isize::MAX`, like every offset before it
        // (else `to_format` would write a padding count that does not parse again).
        size = size
            .checked_add(pad_to(offset, common_align))
            .filter(|&s| s <= isize::MAX as usize)
            .ok_or_else(|| overflow(st))?;
    }
    Ok((fields, size, common_align))
}

/// The padding that brings `offset` up to a multiple of `align` (none for an alignment of 0).
fn pad_to(offset: usize, align: usize) -> usize {
    // `r < align`, so `align - r` cannot wrap.
    offset.checked_rem(align).filter(|&r| r != 0).map_or(0, |r| align.wrapping_sub(r))
}
