//! Format parse + pack/unpack round trip, struct and PEP 3118 grammars: any input is a
//! format (and bytes); nothing may panic, abort or run away, and what unpacks packs back.
#![no_main]

use format_codec::{Layout, Struct};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (fmt, rest) = data.split_at(split);
    let Ok(fmt) = std::str::from_utf8(fmt) else { return };
    let bytes = rest.get(1..).unwrap_or(&[]);
    if let Ok(s) = Struct::new(fmt) {
        if s.size() <= bytes.len() {
            let record = &bytes[..s.size()];
            if let Ok(values) = s.unpack(record) {
                // What unpacks packs back to the same bytes, except where packing normalises
                // (bools, pad bytes, Pascal strings, NaN payloads): repacking is idempotent.
                if let Ok(packed) = s.pack(&values) {
                    let again = s.unpack(&packed).expect("packed bytes unpack");
                    assert_eq!(s.pack(&again).expect("repack"), packed);
                }
            }
        }
    }
    if let Ok(l) = Layout::parse(fmt) {
        if l.itemsize() <= bytes.len() && l.itemsize() <= 1 << 16 {
            if let Ok(v) = l.unpack(bytes) {
                let _ = l.pack(&v);
            }
        }
        // Re-parsing the canonical spelling never panics.
        let _ = Layout::parse(&l.to_format());
    }
});
