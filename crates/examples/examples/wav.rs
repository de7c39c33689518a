//! Reads a WAV header and the left channel of a 16-bit stereo file, without copying the
//! samples. Run with `cargo run --example wav [FILE]` (a built-in synthetic file without one).

fn main() {
    let file = match std::env::args().nth(1) {
        Some(path) => match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        },
        None => examples::wav::synthetic(),
    };
    match examples::wav::read(&file) {
        Ok(s) => {
            let h = &s.header;
            println!("header: {h:?}");
            println!(
                "{} Hz, {} channels, {} bits; {} left samples",
                h.sample_rate,
                h.channels,
                h.bits_per_sample,
                s.left.len()
            );
            let shown: Vec<String> = s.left.iter().take(16).map(i16::to_string).collect();
            println!("left[:16] = [{}]", shown.join(", "));
            println!("peak = {}, sum = {}", s.peak, s.total);
        }
        Err(e) => {
            eprintln!("not read: {e:?}");
            std::process::exit(1);
        }
    }
}
