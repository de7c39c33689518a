//! Pure shape, strides and offset math for N-dimensional strided memory (strides in bytes).
#![forbid(unsafe_code)]
