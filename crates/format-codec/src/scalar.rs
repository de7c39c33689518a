//! Reading and writing one scalar field: the conversions and range checks of `_struct.c`.

use crate::code::Scalar;
use crate::{CodecError, Value};

/// Copies `N` bytes at `at` of `bytes` into an array, in native order after an optional swap.
#[inline(always)]
fn take<const N: usize>(bytes: &[u8], at: usize, little: bool) -> [u8; N] {
    let mut out = [0u8; N];
    // Every caller checked `at + N <= bytes.len()`; were it not so, the bytes read as zero
    // rather than panic.
    if let Some(src) = at.checked_add(N).and_then(|end| bytes.get(at..end)) {
        out.copy_from_slice(src);
    }
    if little != cfg!(target_endian = "little") {
        out.reverse();
    }
    out
}

/// Reads the unsigned bits of an integer of `size` bytes.
#[inline(always)]
pub(crate) fn read_uint(bytes: &[u8], at: usize, size: usize, little: bool) -> u64 {
    match size {
        1 => bytes.get(at).map_or(0, |&b| u64::from(b)),
        2 => u64::from(u16::from_ne_bytes(take(bytes, at, little))),
        4 => u64::from(u32::from_ne_bytes(take(bytes, at, little))),
        _ => u64::from_ne_bytes(take(bytes, at, little)),
    }
}

/// Reads an integer of `size` bytes, sign-extending it when `signed`.
#[inline(always)]
pub(crate) fn read_int(bytes: &[u8], at: usize, size: usize, signed: bool, little: bool) -> i128 {
    let raw = read_uint(bytes, at, size, little);
    if signed {
        // `size` is 1, 2, 4 or 8: the shift is 56, 48, 32 or 0.
        let shift = 64u32.saturating_sub((size as u32).saturating_mul(8));
        let high = raw.checked_shl(shift).unwrap_or(0) as i64;
        i128::from(high.checked_shr(shift).unwrap_or(0))
    } else {
        i128::from(raw)
    }
}

/// Writes the low `size` bytes of `bits`.
#[inline]
pub(crate) fn write_uint(out: &mut [u8], at: usize, size: usize, bits: u64, little: bool) {
    let le = bits.to_le_bytes();
    // Every caller checked `at + size <= out.len()` (and `size <= 8`); were it not so,
    // nothing would be written rather than panic.
    let (Some(dst), Some(src)) = (at.checked_add(size).and_then(|end| out.get_mut(at..end)), le.get(..size)) else {
        return;
    };
    if little {
        dst.copy_from_slice(src);
    } else {
        for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
            *d = *s;
        }
    }
}

/// Reads one scalar at `at` (the caller has checked `at + s.size() <= bytes.len()`).
#[inline(always)]
pub(crate) fn read_scalar(s: Scalar, bytes: &[u8], at: usize, little: bool) -> Result<Value, CodecError> {
    Ok(match s {
        Scalar::Int { size, signed } => Value::int(read_int(bytes, at, usize::from(size), signed, little)),
        Scalar::Pointer => Value::from(read_uint(bytes, at, 8, little)),
        Scalar::Bool => Value::Bool(bytes.get(at).is_some_and(|&b| b != 0)),
        Scalar::Char => Value::from([bytes.get(at).copied().unwrap_or(0)]),
        Scalar::Half => Value::Float(half_to_f64(read_uint(bytes, at, 2, little) as u16)),
        Scalar::Float => Value::Float(f64::from(f32::from_bits(read_uint(bytes, at, 4, little) as u32))),
        Scalar::Double => Value::Float(f64::from_bits(read_uint(bytes, at, 8, little))),
        Scalar::ComplexFloat => Value::complex(
            f64::from(f32::from_bits(read_uint(bytes, at, 4, little) as u32)),
            f64::from(f32::from_bits(read_uint(bytes, at.saturating_add(4), 4, little) as u32)),
        ),
        Scalar::ComplexDouble => Value::complex(
            f64::from_bits(read_uint(bytes, at, 8, little)),
            f64::from_bits(read_uint(bytes, at.saturating_add(8), 8, little)),
        ),
        Scalar::Opaque(o) => return Err(CodecError::Unsupported { code: o.code(), why: o.why() }),
    })
}

/// Converts binary16 bits to a double (exact).
pub(crate) fn half_to_f64(bits: u16) -> f64 {
    half::f16::from_bits(bits).to_f64()
}

/// 2^k, exactly, for a normal exponent (`-1022 <= k <= 1023`); `powi`'s precision is
/// unspecified, and this conversion must round exactly once.
// `k` is in -1022..=1023 (the callers' exponents), so `1023 + k` is a biased exponent in
// 1..=2046: neither the sum nor the shift can overflow. An argued exception to the crate's
// lint denials, as is the exponent arithmetic of `f64_to_half`.
#[allow(clippy::arithmetic_side_effects)]
fn pow2(k: i32) -> f64 {
    f64::from_bits(((1023 + k) as u64) << 52)
}

/// Rounds a double to binary16 as `PyFloat_Pack2` does: once, to nearest with ties to even
/// (never through `f32`, which would round twice), overflow from 65520 on, infinities kept,
/// NaN kept as a quiet NaN with its sign.
// Exponents stay in -14..=16 and mantissas in 0..=2048 on every path below (each range
// stated where it is established), so the arithmetic cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
pub(crate) fn f64_to_half(x: f64) -> Option<u16> {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a.is_nan() {
        return Some(sign | 0x7e00);
    }
    if a.is_infinite() {
        return Some(sign | 0x7c00);
    }
    if a >= 65520.0 {
        return None;
    }
    // Multiplying by a power of two is exact, so each `round_ties_even` below is the only
    // rounding step.
    if a < pow2(-14) {
        // Subnormal range: units of 2^-24; a result of 1024 is the smallest normal, 0x0400.
        let m = (a * pow2(24)).round_ties_even();
        return Some(sign | m as u16);
    }
    // `a` is a normal double in [2^-14, 65520): its unbiased exponent is in -14..=15.
    let mut e = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let mut m = (a * pow2(10 - e)).round_ties_even();
    if m >= 2048.0 {
        m = 1024.0;
        e += 1;
    }
    Some(sign | (((e + 15) as u16) << 10) | (m as u16 - 1024))
}

/// The integer a value holds for an integer code, or the error CPython gives for it.
fn int_arg(v: &Value) -> Result<Option<i128>, CodecError> {
    if !v.is_int() {
        return Err(CodecError::NotAnInteger);
    }
    // `None`: beyond `i128`, which can only be a range error.
    Ok(v.as_i128())
}

const OUT_OF_RANGE: &str = "argument out of range";

/// Whether CPython packs an integer code of this byte order with its native-table function
/// (`np_*`). It does for native order, for one-byte codes, and, on a little-endian machine,
/// for the little-endian standard codes whose standard size is the native size (`h H i I q Q`:
/// `_struct`'s start-up swaps those in); the others use the standard-table functions
/// (`bp_*`, `lp_*`), whose range checks and messages differ.
pub(crate) fn native_int_packer(code: u8, size: u8, native_order: bool, little: bool) -> bool {
    native_order
        || size == 1
        || (little == cfg!(target_endian = "little") && matches!(code, b'h' | b'H' | b'i' | b'I' | b'q' | b'Q'))
}

/// Checks an integer for a standard-table packer (`bp_int`, `bp_uint`, `bp_longlong`, ...)
/// with CPython 3.11's messages, and returns the bits to store.
fn standard_int_bits(code: u8, size: u8, signed: bool, v: &Value) -> Result<u64, CodecError> {
    let i = int_arg(v)?;
    if size == 8 {
        // `_PyLong_AsByteArray`'s OverflowError, which `s_pack_internal` turns into this.
        return match i {
            Some(i) if signed && i >= i128::from(i64::MIN) && i <= i128::from(i64::MAX) => Ok(i as u64),
            Some(i) if !signed && i >= 0 && i <= i128::from(u64::MAX) => Ok(i as u64),
            _ => Err(CodecError::IntTooLarge),
        };
    }
    // `get_long` / `get_ulong` first: "argument out of range" beyond a C long.
    let fits_long = match i {
        Some(i) if signed => i >= i128::from(i64::MIN) && i <= i128::from(i64::MAX),
        Some(i) => i >= 0 && i <= i128::from(u64::MAX),
        None => false,
    };
    let (Some(i), true) = (i, fits_long) else {
        return Err(CodecError::IntRange(OUT_OF_RANGE.into()));
    };
    let (min, max): (i128, i128) = match (size, signed) {
        (2, true) => (i16::MIN.into(), i16::MAX.into()),
        (2, false) => (0, u16::MAX.into()),
        (4, true) => (i32::MIN.into(), i32::MAX.into()),
        (4, false) => (0, u32::MAX.into()),
        (_, true) => (i64::MIN.into(), i64::MAX.into()),
        (_, false) => (0, u64::MAX.into()),
    };
    if i < min || i > max {
        let c = char::from(code);
        return Err(CodecError::IntRange(format!("'{c}' format requires {min} <= number <= {max}")));
    }
    Ok(i as u64)
}

/// Checks an integer against the range of its code, with CPython 3.11's messages (those of
/// the native-table packers, or of the standard-table ones when `native_fn` is false), and
/// returns the bits to store.
pub(crate) fn int_bits(code: u8, size: u8, signed: bool, v: &Value, native_fn: bool) -> Result<u64, CodecError> {
    if !native_fn {
        return standard_int_bits(code, size, signed, v);
    }
    let range = |m: String| -> Result<(), CodecError> { Err(CodecError::IntRange(m)) };
    let Some(i) = int_arg(v)? else {
        return Err(CodecError::IntRange(OUT_OF_RANGE.into()));
    };
    if signed || size <= 2 {
        // get_long: the value must first fit in a C long.
        if i < i128::from(i64::MIN) || i > i128::from(i64::MAX) {
            return Err(CodecError::IntRange(OUT_OF_RANGE.into()));
        }
    } else if i < 0 || i > i128::from(u64::MAX) {
        return Err(CodecError::IntRange(OUT_OF_RANGE.into()));
    }
    let c = char::from(code);
    let ok = match (size, signed) {
        (1, true) if !(-128..=127).contains(&i) => range("byte format requires -128 <= number <= 127".into()),
        (1, false) if !(0..=255).contains(&i) => range("ubyte format requires 0 <= number <= 255".into()),
        (2, true) if !(-32768..=32767).contains(&i) => range("short format requires -32768 <= number <= 32767".into()),
        (2, false) if !(0..=65535).contains(&i) => range("ushort format requires 0 <= number <= 65535".into()),
        (4, true) if !(-2147483648..=2147483647).contains(&i) => {
            range(format!("'{c}' format requires -2147483648 <= number <= 2147483647"))
        }
        (4, false) if i > 4294967295 => range(format!("'{c}' format requires 0 <= number <= 4294967295")),
        _ => Ok(()),
    };
    ok.map(|()| i as u64)
}

/// Writes one scalar value at `at` (the caller has checked the bounds). `native_float_cast`
/// selects the plain C cast of native `f` (no overflow check).
pub(crate) fn write_scalar(
    s: Scalar,
    code: u8,
    v: &Value,
    out: &mut [u8],
    at: usize,
    little: bool,
    native_float_cast: bool,
) -> Result<(), CodecError> {
    // An OverflowError raised for an int argument becomes `struct.error` in CPython.
    let overflow = |code: char| {
        if v.is_int() {
            CodecError::IntTooLarge
        } else {
            CodecError::FloatTooLarge { code }
        }
    };
    match s {
        Scalar::Int { size, signed } => {
            let bits = int_bits(code, size, signed, v, native_int_packer(code, size, native_float_cast, little))?;
            write_uint(out, at, usize::from(size), bits, little);
        }
        Scalar::Pointer => {
            let i = int_arg(v)?.ok_or(CodecError::IntTooLarge)?;
            if i < i128::from(i64::MIN) || i > i128::from(u64::MAX) {
                return Err(CodecError::IntTooLarge);
            }
            write_uint(out, at, 8, i as u64, little);
        }
        Scalar::Bool => write_uint(out, at, 1, u64::from(v.truthy()), little),
        Scalar::Char => match v.as_bytes() {
            Some(&[b]) => write_uint(out, at, 1, u64::from(b), little),
            _ => return Err(CodecError::BadChar1),
        },
        Scalar::Half => {
            let x = v.float_of().ok_or(CodecError::NotAFloat)?;
            let h = f64_to_half(x).ok_or_else(|| overflow('e'))?;
            write_uint(out, at, 2, u64::from(h), little);
        }
        Scalar::Float => {
            let x = v.float_of().ok_or(CodecError::NotAFloat)?;
            let y = x as f32;
            if !native_float_cast && y.is_infinite() && x.is_finite() {
                return Err(overflow('f'));
            }
            write_uint(out, at, 4, u64::from(y.to_bits()), little);
        }
        Scalar::Double => {
            let x = v.float_of().ok_or(CodecError::NotAFloat)?;
            write_uint(out, at, 8, x.to_bits(), little);
        }
        Scalar::ComplexFloat | Scalar::ComplexDouble => {
            let (re, im) = match v {
                Value::Complex(c) => **c,
                other => (other.float_of().ok_or(CodecError::NotAFloat)?, 0.0),
            };
            if s == Scalar::ComplexFloat {
                let (r, i) = (re as f32, im as f32);
                if (r.is_infinite() && re.is_finite()) || (i.is_infinite() && im.is_finite()) {
                    return Err(CodecError::FloatTooLarge { code: 'f' });
                }
                write_uint(out, at, 4, u64::from(r.to_bits()), little);
                write_uint(out, at.saturating_add(4), 4, u64::from(i.to_bits()), little);
            } else {
                write_uint(out, at, 8, re.to_bits(), little);
                write_uint(out, at.saturating_add(8), 8, im.to_bits(), little);
            }
        }
        Scalar::Opaque(o) => return Err(CodecError::Unsupported { code: o.code(), why: o.why() }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_sign_extend_in_both_byte_orders() {
        let b = [0xff, 0xfe];
        assert_eq!(read_int(&b, 0, 2, true, true), -257);
        assert_eq!(read_int(&b, 0, 2, true, false), -2);
        assert_eq!(read_int(&b, 0, 2, false, false), 0xfffe);
        let mut out = [0u8; 4];
        write_uint(&mut out, 0, 4, 0x0102_0304, false);
        assert_eq!(out, [1, 2, 3, 4]);
    }

    #[test]
    fn half_conversion_is_exact_and_rounds_to_even() {
        assert_eq!(f64_to_half(1.0), Some(0x3c00));
        assert_eq!(f64_to_half(-0.0), Some(0x8000));
        assert_eq!(f64_to_half(f64::NEG_INFINITY), Some(0xfc00));
        assert_eq!(f64_to_half(1e10), None);
        assert_eq!(half_to_f64(0x0001), pow2(-24));
        // 1 + 2^-11 lies halfway between 1 and the next half; it rounds to the even one.
        assert_eq!(f64_to_half(1.0 + pow2(-11)), Some(0x3c00));
        // Just above the tie rounds up, once: through f32 it would round to the tie first.
        assert_eq!(f64_to_half(6.100535392761228e-5), Some(0x03ff));
        assert_eq!(f64_to_half(65504.0), Some(0x7bff));
        assert_eq!(f64_to_half(65519.99), Some(0x7bff));
        assert_eq!(f64_to_half(65520.0), None);
        assert_eq!(f64_to_half(f64::NAN), Some(0x7e00));
    }

    #[test]
    fn half_rounding_matches_an_exact_model_everywhere() {
        // Every finite binary16 value, the midpoints between neighbours and one f64 ulp
        // either side of them; past the largest finite half the midpoint is 65520.
        for bits in 0u16..0x7c00 {
            let lo = half_to_f64(bits);
            let mid = if bits == 0x7bff { 65520.0 } else { (lo + half_to_f64(bits + 1)) / 2.0 };
            let up = if bits == 0x7bff { None } else { Some(bits + 1) };
            let even = if bits % 2 == 0 { Some(bits) } else { up };
            assert_eq!(f64_to_half(lo), Some(bits));
            assert_eq!(f64_to_half(-lo), Some(bits | 0x8000));
            assert_eq!(f64_to_half(mid), even, "{bits:#x}");
            assert_eq!(f64_to_half(f64::from_bits(mid.to_bits() - 1)), Some(bits), "{bits:#x}");
            assert_eq!(f64_to_half(f64::from_bits(mid.to_bits() + 1)), up, "{bits:#x}");
        }
    }
}
