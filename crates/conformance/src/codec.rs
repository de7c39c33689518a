//! The `struct` and `pep3118` groups: the format codec against CPython and NumPy.

use super::json::{from_value, to_value, unhex};
use super::Outcome;
use format_codec::{CodecError, Layout, Struct, Value};
use serde_json::{json, Value as Json};

fn field<'a>(case: &'a Json, key: &str) -> Result<&'a Json, String> {
    case.get(key).ok_or_else(|| format!("case has no {key:?}"))
}

fn str_field<'a>(case: &'a Json, key: &str) -> Result<&'a str, String> {
    field(case, key)?.as_str().ok_or_else(|| format!("{key:?} is not a string"))
}

fn values(case: &Json) -> Result<Vec<Value>, String> {
    match field(case, "values")? {
        Json::Array(a) => a.iter().map(to_value).collect(),
        other => Ok(vec![to_value(other)?]),
    }
}

fn tuple(v: Vec<Value>) -> Json {
    Json::Array(v.iter().map(from_value).collect())
}

fn err(e: CodecError) -> Outcome {
    Outcome::Error(e.python_exception().name().to_string())
}

/// Runs one case of the `struct` group.
pub(crate) fn run_struct(case: &Json) -> Result<Outcome, String> {
    let format = str_field(case, "format")?;
    let op = str_field(case, "op")?;
    let s = match Struct::new(format) {
        Ok(s) => s,
        Err(e) => return Ok(err(e)),
    };
    let r: Result<Json, CodecError> = match op {
        "calcsize" => Ok(json!(s.size())),
        "pack" => s.pack(&values(case)?).map(|b| json!({ "bytes": super::json::hex(&b) })),
        "unpack" => s.unpack(&unhex(str_field(case, "bytes")?)?).map(tuple),
        "iter_unpack" => {
            let bytes = unhex(str_field(case, "bytes")?)?;
            s.iter_unpack(&bytes)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map(|rows| Json::Array(rows.into_iter().map(tuple).collect()))
        }
        "unpack_from" => {
            let bytes = unhex(str_field(case, "bytes")?)?;
            let offset = case.get("offset").and_then(Json::as_i64).unwrap_or(0);
            s.unpack_from(&bytes, offset as isize).map(tuple)
        }
        "pack_into" => {
            let mut buf = unhex(str_field(case, "buffer")?)?;
            let offset = case.get("offset").and_then(Json::as_i64).unwrap_or(0);
            s.pack_into(&mut buf, offset as isize, &values(case)?).map(|()| json!({ "bytes": super::json::hex(&buf) }))
        }
        other => return Err(format!("unknown struct op {other:?}")),
    };
    Ok(match r {
        Ok(j) => Outcome::Ok(j),
        Err(e) => err(e),
    })
}

fn layout_json(l: &Layout) -> Json {
    let fields = l.fields().map(|fs| {
        Json::Array(
            fs.iter()
                .map(|f| {
                    let inner = layout_json(&f.layout);
                    json!({
                        "name": f.name,
                        "offset": f.offset,
                        "itemsize": f.layout.itemsize(),
                        "shape": f.layout.shape(),
                        "fields": inner["fields"],
                    })
                })
                .collect(),
        )
    });
    json!({ "itemsize": l.itemsize(), "shape": l.shape(), "fields": fields.unwrap_or(Json::Null) })
}

/// Runs one case of the `pep3118` group (any error kind passes an expected error).
pub(crate) fn run_pep3118(case: &Json) -> Result<Outcome, String> {
    let format = str_field(case, "format")?;
    let op = str_field(case, "op")?;
    let l = match Layout::parse(format) {
        Ok(l) => l,
        Err(_) => return Ok(Outcome::Error("any".into())),
    };
    let r = match op {
        "layout" => Ok(layout_json(&l)),
        "unpack" => l.unpack(&unhex(str_field(case, "bytes")?)?).map(|v| from_value(&v)),
        "pack" => {
            let v = to_value(field(case, "values")?)?;
            l.pack(&v).map(|b| json!({ "bytes": super::json::hex(&b) }))
        }
        other => return Err(format!("unknown pep3118 op {other:?}")),
    };
    Ok(match r {
        Ok(j) => Outcome::Ok(j),
        Err(_) => Outcome::Error("any".into()),
    })
}
