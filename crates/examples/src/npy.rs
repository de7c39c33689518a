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

/// The sum of every number in a value.
fn sum(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::List(items) => items.iter().map(sum).sum(),
        _ => 0.0,
    }
}

/// Whether a value holds numbers (byte strings and complex numbers are not summed here).
fn numeric(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => true,
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
                let values = m.field(&name)?.to_list()?;
                let s = numeric(&values).then(|| sum(&values));
                sums.push((name, s));
            }
        }
        None => {
            let values = m.to_list()?;
            sums.push((String::new(), numeric(&values).then(|| sum(&values))));
        }
    }
    Ok(Summary { format: m.format().to_owned(), shape: m.shape().to_vec(), sums })
}
