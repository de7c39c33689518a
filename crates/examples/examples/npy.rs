//! Opens a NumPy `.npy` file memory-mapped, and prints its format, shape and the sum of its
//! items (of each numeric field, for records), as NumPy would:
//!
//! ```python
//! a = np.load(path, mmap_mode='r')
//! print(a.dtype, a.shape, a.sum())            # records: {f: a[f].sum() for f in a.dtype.names}
//! ```
//!
//! Run with `cargo run --example npy -- FILE` (a small file is written and read without one).

use memview::{npy, MemoryView};

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
    let s = examples::npy::summarize(&m)?;
    println!("format {:?}, shape {:?}", s.format, s.shape);
    for (name, sum) in &s.sums {
        let label = if name.is_empty() { "items".to_owned() } else { name.clone() };
        match sum {
            Some(v) => println!("  sum of {label:<10} {v}"),
            None => println!("  {label:<17} (not numeric)"),
        }
    }
    Ok(())
}
