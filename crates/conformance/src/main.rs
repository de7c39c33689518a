//! `conformance [--report FILE] [--group G]... [--all-groups] [PATH...]`: replays the
//! conformance cases and prints the totals (see the library's documentation).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if conformance::main_with_args(&args) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
