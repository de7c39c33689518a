//! Hard question 2: which types cross threads.
//!
//! `MemoryView` is neither `Send` nor `Sync` (see the compile-fail doc tests on
//! `memview::thread_safety`); plain data types are both.

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn plain_data_is_send_and_sync() {
    send_sync::<format_codec::Struct>();
    send_sync::<format_codec::Layout>();
    send_sync::<format_codec::Format>();
    send_sync::<format_codec::Value>();
    send_sync::<strided::StridedLayout>();
    send_sync::<memview::Flags>();
    send_sync::<memview::ViewError>();
    send::<memview::ByteArray>();
    send::<memview::NdArray>();
}

#[test]
fn a_struct_codec_is_shared_across_threads() {
    let s = std::sync::Arc::new(format_codec::Struct::new("<I").unwrap());
    let handles: Vec<_> = (0..2u32)
        .map(|i| {
            let s = s.clone();
            std::thread::spawn(move || s.unpack(&i.to_le_bytes()).unwrap())
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), vec![format_codec::Value::Int(i as i64)]);
    }
}

#[test]
fn read_only_memory_is_shared_by_sharing_the_exporter() {
    // Views stay on their thread; immutable memory crosses threads as its exporter.
    let data: std::sync::Arc<[u8]> = (0..=255).collect::<Vec<u8>>().into();
    let sums: Vec<u64> = (0..2)
        .map(|half| {
            let data = data.clone();
            std::thread::spawn(move || {
                let v = memview::MemoryView::new(data).unwrap();
                let part = v.slice(memview::Slice::new(Some(half * 128), Some(half * 128 + 128), None)).unwrap();
                part.typed::<u8>().unwrap().to_vec().unwrap().iter().map(|&x| u64::from(x)).sum::<u64>()
            })
        })
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(sums.iter().sum::<u64>(), (0..=255u64).sum::<u64>());
}
