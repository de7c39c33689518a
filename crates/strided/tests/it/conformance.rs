//! The `view` conformance cases that only slice, index and observe the layout: answered by
//! the layout math alone, before any view type exists.

use serde_json::Value as Json;
use strided::{copy_to_contiguous, Index, Order, Slice, StridedLayout};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn entry(j: &Json) -> Option<Index> {
    match j {
        Json::Number(n) => n.as_i64().map(|i| Index::At(i as isize)),
        Json::String(s) if s == "..." => Some(Index::Ellipsis),
        Json::Object(o) => {
            let p = o.get("slice")?.as_array()?;
            let part = |k: usize| p.get(k).and_then(Json::as_i64).map(|x| x as isize);
            Some(Index::Slice(Slice::new(part(0), part(1), part(2))))
        }
        _ => None,
    }
}

/// memoryview's contiguity flags (its 1-D rule differs from `PyBuffer_IsContiguous`).
fn flags(l: &StridedLayout) -> (bool, bool) {
    match l.ndim() {
        0 => (true, true),
        1 => {
            let c = l.shape()[0] == 1 || l.strides()[0] == l.itemsize() as isize;
            (c, c)
        }
        _ => (l.is_c_contiguous(), l.is_f_contiguous()),
    }
}

const LAYOUT_OBSERVATIONS: &[&str] = &[
    "shape",
    "strides",
    "ndim",
    "nbytes",
    "itemsize",
    "len",
    "c_contiguous",
    "f_contiguous",
    "contiguous",
    "tobytes",
    "tobytes:C",
    "tobytes:F",
    "tobytes:A",
];

#[test]
fn layout_only_view_cases() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/view.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        let case: Json = serde_json::from_str(line).unwrap();
        let src = &case["source"];
        if src.get("memory").is_none() || src.get("pil").and_then(Json::as_bool) == Some(true) {
            continue;
        }
        let ops = case["ops"].as_array().unwrap();
        let obs: Vec<&str> = case["observe"].as_array().unwrap().iter().filter_map(Json::as_str).collect();
        let expect = case.get("expect_extended").unwrap_or(&case["expect"]);
        let Some(want) = expect.get("ok") else { continue };
        if !ops.iter().all(|op| op[0] == "getitem") || !obs.iter().all(|o| LAYOUT_OBSERVATIONS.contains(o)) {
            continue;
        }
        let shape: Vec<usize> = serde_json::from_value(src["shape"].clone()).unwrap();
        let strides: Vec<isize> = serde_json::from_value(src["strides"].clone()).unwrap();
        let mut l = StridedLayout::new(
            src["itemsize"].as_u64().unwrap() as usize,
            &shape,
            &strides,
            src["offset"].as_i64().unwrap() as isize,
        )
        .unwrap();
        let mut ok = true;
        for op in ops {
            let key: Option<Vec<Index>> = match &op[1] {
                Json::Array(items) => items.iter().map(entry).collect(),
                other => entry(other).map(|e| vec![e]),
            };
            match key.and_then(|k| l.apply(&k).ok()) {
                Some(next) => l = next,
                None => ok = false,
            }
        }
        assert!(ok, "{}: a key the case accepts was refused", case["id"]);
        let mem = unhex(src["memory"].as_str().unwrap());
        let (c, f) = flags(&l);
        for o in &obs {
            let got = match *o {
                "shape" => serde_json::json!(l.shape()),
                "strides" => serde_json::json!(l.strides()),
                "ndim" => serde_json::json!(l.ndim()),
                "nbytes" => serde_json::json!(l.nbytes()),
                "itemsize" => serde_json::json!(l.itemsize()),
                "len" => serde_json::json!(l.shape().first().copied().unwrap_or(1)),
                "c_contiguous" => serde_json::json!(c),
                "f_contiguous" => serde_json::json!(f),
                "contiguous" => serde_json::json!(c || f),
                _ => {
                    let order = match *o {
                        "tobytes:F" => Order::F,
                        "tobytes:A" => Order::A,
                        _ => Order::C,
                    };
                    let mut out = vec![0u8; l.nbytes()];
                    copy_to_contiguous(&mem, &l, order, &mut out).unwrap();
                    serde_json::json!({ "bytes": hex(&out) })
                }
            };
            assert_eq!(&got, &want[*o], "{} observation {o}", case["id"]);
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} layout-only cases found");
}
