//! Decodes fixed-size binary records with a struct format string, three ways:
//! into dynamic values, into typed tuples, and through a PEP 3118 record layout.
//!
//! Run with `cargo run --example records`.

use memview::{Layout, Struct, Value};

fn main() -> Result<(), memview::CodecError> {
    // A little-endian record: u32 id, i16 delta, f64 reading, u64 timestamp (22 bytes).
    let record = Struct::new("<IhdQ")?;
    let mut data = Vec::new();
    for i in 0..3u32 {
        let values = [
            Value::Int(i.into()),
            Value::Int(-(i as i64) * 10),
            Value::Float(20.5 + f64::from(i)),
            Value::Int(1_700_000_000 + i64::from(i)),
        ];
        data.extend(record.pack(&values)?);
    }
    println!("format {:?}: {} bytes per record, {} bytes in all", record.format(), record.size(), data.len());

    for row in record.iter_unpack(&data)? {
        let row = row?;
        let shown: Vec<String> = row.iter().map(Value::to_string).collect();
        println!("  values: ({})", shown.join(", "));
    }

    let typed = record.typed::<(u32, i16, f64, u64)>()?;
    let total: f64 = typed.iter(&data)?.map(|(_, _, reading, _)| reading).sum();
    println!("  typed path: sum of readings = {total}");

    // The same record as NumPy would export it in a buffer: a named PEP 3118 struct.
    let layout = Layout::parse("T{<I:id:<h:delta:<d:reading:<Q:time:}")?;
    let reading = layout.field("reading").map(|f| f.offset);
    println!("  PEP 3118 layout: itemsize {}, field 'reading' at offset {reading:?}", layout.itemsize());
    println!("  first record as a struct: {}", layout.unpack(&data[..layout.itemsize()])?);
    Ok(())
}
