//! Opens a NumPy `.npy` file memory-mapped, and prints its format, shape and the sum of its
//! items (of each numeric field, for records), as NumPy would:
//!
//! ```python
//! a = np.load(path, mmap_mode='r')
//! print(a.dtype, a.shape, a.sum())            # records: {f: a[f].sum() for f in a.dtype.names}
//! ```
//!
//! Run with `cargo run --example npy -- FILE` (a small file is written and read without one).

use memview::{npy, MemoryView, Value};

fn sum(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::List(items) => items.iter().map(sum).sum(),
        _ => 0.0,
    }
}

/// Whether a value holds numbers (byte strings are not summed, as NumPy would refuse).
fn numeric(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => true,
        Value::List(items) => items.first().is_none_or(numeric),
        _ => false,
    }
}

fn report(m: &MemoryView<'_>) -> Result<(), npy::NpyError> {
    println!("format {:?}, shape {:?}", m.format(), m.shape());
    match m.field_names() {
        Some(fields) => {
            for name in fields {
                let values = m.field(&name)?.to_list()?;
                if numeric(&values) {
                    println!("  sum of {name:<10} {}", sum(&values));
                } else {
                    println!("  {name:<17} (not numeric)");
                }
            }
        }
        None => println!("  sum {}", sum(&m.to_list()?)),
    }
    Ok(())
}

fn main() -> Result<(), npy::NpyError> {
    let path = match std::env::args().nth(1) {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            let data: Vec<f64> = (0..12).map(|i| f64::from(i) / 4.0).collect();
            let grid = MemoryView::new(&data)?.cast("B")?.cast_shape("d", &[3, 4])?;
            let path = std::env::temp_dir().join("memview-example.npy");
            let mut file = std::fs::File::create(&path)?;
            npy::write(&mut file, &grid)?;
            println!("wrote {}", path.display());
            path
        }
    };
    // SAFETY: nothing else writes the file while its view lives.
    let m = unsafe { npy::map(&path) }?;
    report(&m)
}
