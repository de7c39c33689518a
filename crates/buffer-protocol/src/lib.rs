//! The buffer protocol: exporters, consumers, request flags and the buffer descriptor.
#![forbid(unsafe_code)]
