//! Integration tests of buffer-protocol: the request matrix and export counting.

mod exporters;
mod requests;
