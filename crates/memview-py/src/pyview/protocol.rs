//! The view as an exporter: the buffer protocol (`__getbuffer__`, `__releasebuffer__`), DLPack
//! (`__dlpack__`, `__dlpack_device__`) and Arrow (`__arrow_c_array__`).

use super::*;

#[pymethods]
impl PyMemoryView {
    /// `bf_getbuffer`: exports the view (counted: `release` refuses while exported).
    unsafe fn __getbuffer__(slf: Bound<'_, Self>, view: *mut ffi::Py_buffer, flags: std::ffi::c_int) -> PyResult<()> {
        let flags = Flags::from_bits(u32::try_from(flags).map_err(|_| PyBufferError::new_err("invalid flags"))?);
        let info: BufferInfo = slf.get().live(|v, _| {
            buffer_protocol::Exporter::get_buffer(v, flags)
                .map_err(|e| exc(PyExc::BufferError, format!("memoryview: {e}")))
        })?;
        // SAFETY: PyO3 passes the `Py_buffer` CPython asked to fill; the memory `info`
        // describes stays valid while this view lives, and the view stays alive (the buffer
        // holds a reference to it) and unreleased (`release` refuses while exported) until
        // `__releasebuffer__`.
        let r = unsafe { crate::export::fill(view, info.clone(), slf.as_any()) };
        if r.is_err() {
            let _ = slf.get().live(|v, _| {
                // SAFETY: `info` came from this view's `get_buffer`, released once here.
                unsafe { buffer_protocol::Exporter::release_buffer(v, &info) };
                Ok(())
            });
        }
        r
    }

    /// Export the view as a DLPack capsule, for `numpy.from_dlpack` and the other DLPack
    /// consumers: no copy unless `copy=True` (or unless the strides are not whole items and
    /// `copy` is `None`). A consumer that asks with `max_version` of 1.0 or later gets a
    /// versioned tensor, which carries the read-only flag; an unversioned one cannot, so a
    /// read-only view refuses it (`BufferError`). CPU only: `stream` must be `None`, and
    /// `dl_device`, if given, `(1, 0)`. While the tensor lives the view cannot be released.
    #[pyo3(signature = (*, stream = None, max_version = None, dl_device = None, copy = None))]
    fn __dlpack__<'py>(
        slf: &Bound<'py, Self>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<(i64, i64)>,
        dl_device: Option<(i64, i64)>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if stream.is_some() {
            return Err(PyBufferError::new_err("memview views live on the CPU: stream must be None"));
        }
        if dl_device.is_some_and(|d| d != (1, 0)) {
            return Err(PyBufferError::new_err("memview views live on the CPU (device (1, 0))"));
        }
        let versioned = max_version.is_some_and(|(major, _)| major >= 1);
        let whole_items = slf.get().live(|v, _| {
            let size = v.itemsize() as isize;
            Ok(v.suboffsets().is_empty() && v.strides().iter().all(|s| s % size == 0))
        })?;
        if copy == Some(true) || (copy.is_none() && !whole_items) {
            let owned = slf.get().live(|v, _| v.to_owned_view().map_err(view_err))?;
            let copied = crate::lifecycle::new_object(py, PyMemoryView::from_core(owned, None))?.into_bound(py);
            return crate::dlpack::export(copied.as_any(), true, versioned);
        }
        crate::dlpack::export(slf.as_any(), false, versioned)
    }

    /// Export the view as an Arrow primitive array (the Arrow PyCapsule interface), for
    /// `pyarrow.array(m)`, Polars and the other Arrow consumers: a pair of capsules, the
    /// schema and the array. A 1-D view of numbers in the host's byte order, or of `?`;
    /// no copy when the items are adjacent (the array holds a buffer of the view, so the
    /// view cannot be released while it lives), a copy when the view is strided, and a
    /// bitmap for `?` (Arrow's booleans are bits). `requested_schema` is accepted and may
    /// be answered in the view's own type, as the interface allows.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        slf: &Bound<'py, Self>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let py = slf.py();
        let plan = crate::arrow::plan(py, slf.get(), requested_schema)?;
        let values = match plan.source {
            crate::arrow::Source::Adjacent => Some(slf.clone().into_any()),
            // A strided view is copied into a contiguous one, whose buffer the array holds.
            crate::arrow::Source::Strided => {
                let owned = slf.get().live(|v, _| v.to_owned_view().map_err(view_err))?;
                Some(crate::lifecycle::new_object(py, PyMemoryView::from_core(owned, None))?.into_bound(py).into_any())
            }
            crate::arrow::Source::Bitmap(_) => None,
        };
        crate::arrow::export(py, plan, values.as_ref())
    }

    /// The device of the view's memory for DLPack: `(1, 0)`, the CPU.
    fn __dlpack_device__(&self) -> PyResult<(i32, i32)> {
        self.live(|_, _| Ok(()))?;
        Ok((1, 0))
    }

    /// `bf_releasebuffer`.
    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: CPython releases each buffer `__getbuffer__` filled exactly once.
        if let Some(filled) = unsafe { crate::export::take(view) } {
            let _ = self.member.with(|state, _| {
                if let Some(State::Live(v)) = state {
                    // SAFETY: `filled.info` came from this view's `get_buffer`, released once.
                    unsafe { buffer_protocol::Exporter::release_buffer(&**v, &filled.info) };
                }
            });
        }
    }
}
