//! The `view` and `eq` groups: `MemoryView` against CPython's memoryview (and NumPy where
//! CPython refuses).

use super::json::{from_value, hex, to_value, unhex};
use super::Outcome;
use buffer_protocol::{ByteArray, NdArray};
use memview::{Index, Key, MemoryView, Order, Slice, ViewError};
use serde_json::{json, Value as Json};

/// An exporter built from a case's `source`.
enum Source {
    Nd(Box<NdArray>),
    Bytes(ByteArray),
    ReadOnly(Vec<u8>),
}

fn build_source(j: &Json) -> Result<Source, String> {
    if let Some(b) = j.get("bytes").and_then(Json::as_str) {
        let bytes = unhex(b)?;
        let readonly = j.get("readonly").and_then(Json::as_bool).unwrap_or(false);
        return Ok(if readonly { Source::ReadOnly(bytes) } else { Source::Bytes(ByteArray::from(bytes)) });
    }
    let get = |k: &str| j.get(k).ok_or_else(|| format!("source has no {k:?}"));
    let memory = unhex(get("memory")?.as_str().ok_or("memory is not a string")?)?;
    let format = get("format")?.as_str().ok_or("format is not a string")?;
    let itemsize = get("itemsize")?.as_u64().ok_or("itemsize is not an integer")? as usize;
    let shape: Vec<usize> = serde_json::from_value(get("shape")?.clone()).map_err(|e| e.to_string())?;
    let strides: Vec<isize> = serde_json::from_value(get("strides")?.clone()).map_err(|e| e.to_string())?;
    let offset = get("offset")?.as_i64().ok_or("offset is not an integer")? as isize;
    let readonly = j.get("readonly").and_then(Json::as_bool).unwrap_or(false);
    let nd = NdArray::new(memory, format, itemsize, &shape, &strides, offset, readonly).map_err(|e| e.to_string())?;
    let pil = j.get("pil").and_then(Json::as_bool).unwrap_or(false);
    Ok(Source::Nd(Box::new(if pil { nd.into_pil().map_err(|e| e.to_string())? } else { nd })))
}

fn view_of(src: &Source) -> Result<MemoryView<'_>, ViewError> {
    match src {
        Source::Nd(nd) => MemoryView::new(&**nd),
        Source::Bytes(b) => MemoryView::new(b),
        Source::ReadOnly(v) => MemoryView::new(v.as_slice()),
    }
}

fn memory_of(src: &Source) -> Vec<u8> {
    match src {
        Source::Nd(nd) => nd.memory(),
        Source::Bytes(b) => b.to_vec(),
        Source::ReadOnly(v) => v.clone(),
    }
}

/// A key entry, or the exception kind of a key Python would reject.
fn index_of(j: &Json) -> Result<Index, &'static str> {
    match j {
        Json::Number(n) => match n.as_i64() {
            Some(i) => Ok(Index::At(i as isize)),
            None => Err("IndexError"),
        },
        Json::String(s) if s == "..." => Ok(Index::Ellipsis),
        // An integer beyond isize cannot index anything (`PyNumber_AsSsize_t(key, IndexError)`).
        Json::Object(o) if o.contains_key("int") => Err("IndexError"),
        Json::Object(o) => {
            let parts = o.get("slice").and_then(Json::as_array).ok_or("TypeError")?;
            let part = |k: usize| -> Result<Option<isize>, &'static str> {
                match parts.get(k) {
                    None | Some(Json::Null) => Ok(None),
                    Some(Json::Number(n)) => Ok(Some(match n.as_i64() {
                        Some(i) => i as isize,
                        None if n.as_u64().is_some() => isize::MAX,
                        None => return Err("TypeError"),
                    })),
                    Some(Json::Object(o)) => {
                        // A big integer as a decimal string: PySlice_Unpack clamps it.
                        let s = o.get("int").and_then(Json::as_str).ok_or("TypeError")?;
                        Ok(Some(if s.starts_with('-') { isize::MIN } else { isize::MAX }))
                    }
                    _ => Err("TypeError"),
                }
            };
            Ok(Index::Slice(Slice::new(part(0)?, part(1)?, part(2)?)))
        }
        _ => Err("TypeError"),
    }
}

fn key_of(j: &Json) -> Result<Key, &'static str> {
    match j {
        // A bool is an int to CPython (`m[True]` is `m[1]`), but no basic index to NumPy: it
        // counts as an integer only where every entry is one.
        Json::Bool(b) => Ok(Key::one(isize::from(*b))),
        Json::Array(items) if items.iter().any(Json::is_boolean) => {
            if !items.iter().all(|x| x.is_boolean() || x.is_i64()) {
                return Err("TypeError");
            }
            Ok(Key::tuple(
                items
                    .iter()
                    .map(|x| Index::At(x.as_bool().map_or_else(|| x.as_i64().unwrap_or(0) as isize, isize::from))),
            ))
        }
        Json::Array(items) => {
            let mut entries = Vec::new();
            for it in items {
                if it.is_array() {
                    return Err("TypeError");
                }
                entries.push(index_of(it)?);
            }
            Ok(Key::tuple(entries))
        }
        Json::Object(o) if o.contains_key("int") => Err("IndexError"),
        other => index_of(other).map(Key::one),
    }
}

fn kind(e: &ViewError) -> String {
    e.python_exception().name().to_string()
}

/// A view as Python holds one: live, or released (CPython keeps the object, and with it the
/// hash computed before the release). In Rust `release` consumes the view; this is the state
/// the runner keeps in its place.
#[allow(clippy::large_enum_variant)] // one per case, never in a collection
enum Held<'a> {
    Live(MemoryView<'a>),
    Released,
}

/// CPython's error for any use of a released view.
fn released() -> String {
    kind(&ViewError::Released)
}

/// Applies one step; the new state, or an error kind.
fn step<'a>(held: Held<'a>, op: &Json) -> Result<Held<'a>, String> {
    let op = op.as_array().ok_or("TypeError")?;
    let name = op.first().and_then(Json::as_str).unwrap_or("");
    let v = match held {
        Held::Live(v) => v,
        // `release()` of a released view does nothing; everything else fails first.
        Held::Released if name == "release" => return Ok(Held::Released),
        Held::Released if ["cast", "getitem", "setitem", "toreadonly"].contains(&name) => return Err(released()),
        Held::Released => return Err(format!("runner: unknown op {name:?}")),
    };
    let r = match name {
        "cast" => {
            let fmt = op.get(1).and_then(Json::as_str).ok_or("TypeError")?;
            match op.get(2) {
                None | Some(Json::Null) => v.cast(fmt),
                Some(Json::Array(dims)) => {
                    let mut shape = Vec::new();
                    for d in dims {
                        match d.as_i64() {
                            Some(x) => shape.push(i128::from(x)),
                            None => return Err("TypeError".into()),
                        }
                    }
                    v.cast_to(fmt, Some(&shape))
                }
                Some(_) => return Err("TypeError".into()),
            }
        }
        "getitem" => {
            let key = key_of(op.get(1).unwrap_or(&Json::Null))?;
            match v.subscript(key) {
                Ok(memview::Subscript::View(w)) => Ok(*w),
                Ok(memview::Subscript::Item(_)) => return Err("runner: getitem gave an item".into()),
                Err(e) => Err(e),
            }
        }
        "setitem" => {
            let key = key_of(op.get(1).unwrap_or(&Json::Null))?;
            let value = op.get(2).ok_or("TypeError")?;
            let r = if let Some(src) = value.get("view") {
                let source = build_source(src)?;
                let sv = view_of(&source).map_err(|e| kind(&e))?;
                v.assign(key, &sv)
            } else {
                v.set(key, to_value(value)?)
            };
            r.map(|()| v)
        }
        "toreadonly" => Ok(v.to_readonly()),
        "release" => return v.release().map(|()| Held::Released).map_err(|e| kind(&e.into())),
        other => return Err(format!("runner: unknown op {other:?}")),
    };
    r.map(Held::Live).map_err(|e| kind(&e))
}

/// Evaluates one observation.
fn observe(held: &Held<'_>, src: &Source, name: &str) -> Result<Json, ViewError> {
    if name == "released" {
        return Ok(json!(matches!(held, Held::Released)));
    }
    let v = match held {
        Held::Live(v) => v,
        // Every other observation of a released view fails, before anything else is read.
        Held::Released => return Err(ViewError::Released),
    };
    let bytes = |b: Vec<u8>| json!({ "bytes": hex(&b) });
    Ok(match name {
        "format" => json!(v.format()),
        "itemsize" => json!(v.itemsize()),
        "ndim" => json!(v.ndim()),
        "nbytes" => json!(v.nbytes()),
        "readonly" => json!(v.readonly()),
        "shape" => json!(v.shape()),
        "strides" => json!(v.strides()),
        "suboffsets" => json!(v.suboffsets()),
        "c_contiguous" => json!(v.c_contiguous()),
        "f_contiguous" => json!(v.f_contiguous()),
        "contiguous" => json!(v.contiguous()),
        "len" => json!(v.len()),
        "tolist" => from_value(&v.to_list()?),
        "tobytes" | "tobytes:C" => bytes(v.to_bytes_in(Order::C)?),
        "tobytes:F" => bytes(v.to_bytes_in(Order::F)?),
        "tobytes:A" => bytes(v.to_bytes_in(Order::A)?),
        "hex" => json!(v.hex()?),
        "memory" => bytes(memory_of(src)),
        _ if name.starts_with("hex:") => {
            let rest = &name[4..];
            let mut chars = rest.chars();
            let sep = chars.next().ok_or(ViewError::NotImplemented("bad hex observation"))?;
            let n: isize = chars.as_str().strip_prefix(':').and_then(|s| s.parse().ok()).unwrap_or(1);
            json!(v.hex_with(Some(sep), n)?)
        }
        _ if name.starts_with("item:") => {
            let key_json: Json =
                serde_json::from_str(&name[5..]).map_err(|_| ViewError::NotImplemented("bad item observation"))?;
            let key = key_of(&key_json).map_err(|_| ViewError::InvalidKey("memoryview: invalid slice key"))?;
            match v.subscript(key)? {
                memview::Subscript::Item(x) => from_value(&x),
                memview::Subscript::View(_) => return Err(ViewError::NotImplemented("item observation gave a view")),
            }
        }
        _ => return Err(ViewError::NotImplemented("unknown observation")),
    })
}

/// Runs one case of the `view` group.
pub(crate) fn run_view(case: &Json) -> Result<Outcome, String> {
    let source = build_source(case.get("source").ok_or("case has no source")?)?;
    let mut v = match view_of(&source) {
        Ok(v) => Held::Live(v),
        Err(e) => return Ok(Outcome::ErrorAt(kind(&e), 0)),
    };
    let ops = case.get("ops").and_then(Json::as_array).cloned().unwrap_or_default();
    for (i, op) in ops.iter().enumerate() {
        match step(v, op) {
            Ok(w) => v = w,
            Err(k) if k.starts_with("runner:") => return Err(k),
            Err(k) => return Ok(Outcome::ErrorAt(k, i)),
        }
    }
    let mut out = serde_json::Map::new();
    let names = case.get("observe").and_then(Json::as_array).cloned().unwrap_or_default();
    for (k, name) in names.iter().enumerate() {
        let name = name.as_str().unwrap_or("");
        match observe(&v, &source, name) {
            Ok(j) => {
                out.insert(name.to_string(), j);
            }
            Err(ViewError::NotImplemented(m)) if m.contains("observation") => return Err(format!("runner: {m}")),
            Err(e) => return Ok(Outcome::ErrorAt(kind(&e), ops.len() + k)),
        }
    }
    Ok(Outcome::Ok(Json::Object(out)))
}

/// Runs one case of the `eq` group.
pub(crate) fn run_eq(case: &Json) -> Result<Outcome, String> {
    let side = |k: &str| case.get(k).ok_or_else(|| format!("case has no {k:?}"));
    let (a, b) = (side("a")?, side("b")?);
    let sa = build_source(a.get("source").ok_or("side has no source")?)?;
    let sb = build_source(b.get("source").ok_or("side has no source")?)?;
    fn make<'s>(src: &'s Source, spec: &Json) -> Result<Result<Held<'s>, String>, String> {
        let mut v = match view_of(src) {
            Ok(v) => Held::Live(v),
            Err(e) => return Ok(Err(kind(&e))),
        };
        for op in spec.get("ops").and_then(Json::as_array).cloned().unwrap_or_default() {
            match step(v, &op) {
                Ok(w) => v = w,
                Err(k) if k.starts_with("runner:") => return Err(k),
                Err(k) => return Ok(Err(k)),
            }
        }
        Ok(Ok(v))
    }
    let va = make(&sa, a)?;
    let vb = make(&sb, b)?;
    let outcome = match (va, vb) {
        // A released view equals only itself, and the two sides are different objects.
        (Ok(Held::Live(x)), Ok(Held::Live(y))) => Outcome::Ok(json!(x == y)),
        (Ok(_), Ok(_)) => Outcome::Ok(json!(false)),
        (Err(k), _) | (_, Err(k)) => Outcome::Error(k),
    };
    Ok(outcome)
}
