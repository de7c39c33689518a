//! The `.npy` example's work: a file's format, shape and the sums NumPy would print.
//!
//! ```python
//! a = np.load(path, mmap_mode='r')
//! a.dtype, a.shape, a.sum()          # records: {f: a[f].sum() for f in a.dtype.names}
//! ```

use memview::{npy, MemoryView, Value};

/// What the example prints about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The format string of the items.
    pub format: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// The sum of the items (`None` for records), or of each numeric field of records (`None`
    /// for fields that are not numbers).
    pub sums: Vec<(String, Option<f64>)>,
}

/// Every number of a value, in order.
fn flatten(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::List(items) => items.iter().for_each(|x| flatten(x, out)),
        other => out.push(other.clone()),
    }
}

/// NumPy's pairwise summation of floats (its `pairwise_sum`: eight accumulators over blocks
/// of up to 128 items, halves above that), so a float file's sum is NumPy's to the last digit.
fn pairwise(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 8 {
        return x.iter().fold(-0.0, |acc, v| acc + v);
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&x[..8]);
        let whole = n - n % 8;
        for chunk in x[8..whole].chunks_exact(8) {
            for (acc, v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &x[whole..] {
            res += v;
        }
        return res;
    }
    let half = n / 2 - (n / 2) % 8;
    pairwise(&x[..half]) + pairwise(&x[half..])
}

/// The sum of the numbers of a value as NumPy's `sum()` gives it: exact for integers and
/// bools, pairwise for floats (the items in memory order).
fn sum(v: &Value) -> f64 {
    let mut items = Vec::new();
    flatten(v, &mut items);
    if items.iter().all(|x| matches!(x, Value::Int(_) | Value::UInt(_) | Value::Bool(_))) {
        let total: i128 = items.iter().filter_map(Value::as_i128).sum();
        return total as f64;
    }
    let floats: Vec<f64> = items
        .iter()
        .map(|x| match x {
            Value::Int(i) => *i as f64,
            Value::UInt(u) => *u as f64,
            Value::Float(f) => *f,
            Value::Bool(b) => f64::from(u8::from(*b)),
            _ => 0.0,
        })
        .collect();
    0.0 + pairwise(&floats)
}

/// The items of a view in memory order (NumPy sums a Fortran-order array in that order).
fn in_memory_order(m: &MemoryView<'_>) -> Result<Value, npy::NpyError> {
    if m.f_contiguous() && !m.c_contiguous() {
        return Ok(m.transpose()?.to_list()?);
    }
    Ok(m.to_list()?)
}

/// Whether a value holds numbers (byte strings and complex numbers are not summed here).
fn numeric(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Bool(_) => true,
        Value::List(items) => items.first().is_none_or(numeric),
        _ => false,
    }
}

/// The summary of a view of a `.npy` file's items.
///
/// ```
/// let data = [1.0f64, 2.5];
/// let m = memview::MemoryView::new(&data[..]).unwrap();
/// let s = examples::npy::summarize(&m).unwrap();
/// assert_eq!(s.sums, [(String::new(), Some(3.5))]);
/// ```
pub fn summarize(m: &MemoryView<'_>) -> Result<Summary, npy::NpyError> {
    let mut sums = Vec::new();
    match m.field_names() {
        Some(fields) => {
            for name in fields {
                let values = in_memory_order(&m.field(&name)?)?;
                let s = numeric(&values).then(|| sum(&values));
                sums.push((name, s));
            }
        }
        None => {
            let values = in_memory_order(m)?;
            sums.push((String::new(), numeric(&values).then(|| sum(&values))));
        }
    }
    Ok(Summary { format: m.format().to_owned(), shape: m.shape().to_vec(), sums })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_sums_are_numpys_to_the_last_digit() {
        // NumPy: np.array([((i*7919) % 1000) / 7.0 - 50.0 + 1e-3 * i for i in range(1000)]).sum()
        // is 21856.642857142855; adding in order gives 21856.64285714283.
        let x: Vec<f64> = (0..1000).map(|i| f64::from((i * 7919) % 1000) / 7.0 - 50.0 + 1e-3 * f64::from(i)).collect();
        let m = MemoryView::new(&x[..]).unwrap();
        assert_eq!(summarize(&m).unwrap().sums, [(String::new(), Some(21856.642857142855))]);
        // In a Fortran-order file NumPy adds in memory order: the same items, the same sum.
        let f = m.cast("B").unwrap().cast_shape("d", &[50, 20]).unwrap().transpose().unwrap();
        assert_eq!(summarize(&f).unwrap().sums, [(String::new(), Some(21856.642857142855))]);
    }
}
