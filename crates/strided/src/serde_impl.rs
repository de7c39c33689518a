//! `serde` for [`StridedLayout`] (feature `serde`): a layout is written as its parts and read
//! back through [`StridedLayout::new`] and [`StridedLayout::with_suboffsets`], so a
//! deserialized layout has passed the same checks as a built one.

use crate::StridedLayout;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The parts of a layout, as written.
#[derive(Serialize, Deserialize)]
struct Parts {
    itemsize: usize,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: isize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suboffsets: Option<Vec<isize>>,
}

impl Serialize for StridedLayout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Parts {
            itemsize: self.itemsize(),
            shape: self.shape().to_vec(),
            strides: self.strides().to_vec(),
            offset: self.offset(),
            suboffsets: self.suboffsets().map(<[isize]>::to_vec),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for StridedLayout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StridedLayout, D::Error> {
        let p = Parts::deserialize(d)?;
        let l = StridedLayout::new(p.itemsize, &p.shape, &p.strides, p.offset).map_err(serde::de::Error::custom)?;
        match p.suboffsets {
            Some(s) => l.with_suboffsets(&s).map_err(serde::de::Error::custom),
            None => Ok(l),
        }
    }
}
