//! Sets PyO3's configuration flags (`Py_GIL_DISABLED` on a free-threaded CPython), which
//! choose how a family of views is locked (`src/family.rs`).
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
