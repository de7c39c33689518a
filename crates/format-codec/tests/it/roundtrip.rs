//! `Layout::to_format` spells a layout so that parsing it again gives the same layout, byte
//! orders on padding and before `}` included (they decide a struct's rounding).

use format_codec::Layout;
use proptest::prelude::*;

fn item(depth: u32) -> BoxedStrategy<String> {
    let prefix = prop::sample::select(vec!["", "", "@", "=", "<", ">", "!", "^"]);
    let code =
        prop::sample::select(vec!["b", "B", "h", "i", "l", "q", "d", "f", "e", "?", "c", "3s", "2x", "x", "Zd", "0x"]);
    let dims = prop::sample::select(vec!["", "", "(2)", "(2,3)", "(0)"]);
    let leaf = (dims.clone(), prefix.clone(), code).prop_map(|(d, p, c)| format!("{d}{p}{c}"));
    if depth == 0 {
        return leaf.boxed();
    }
    let nested = (dims, prefix.clone(), prop::collection::vec(item(depth - 1), 0..4), prefix)
        .prop_map(|(d, p, items, tail)| format!("{d}{p}T{{{}{tail}0x}}", items.join("")));
    prop_oneof![3 => leaf, 1 => nested].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 2000 }))]

    #[test]
    fn to_format_round_trips(items in prop::collection::vec(item(2), 1..5)) {
        let f = items.join("");
        if let Ok(l) = Layout::parse(&f) {
            let spelled = l.to_format();
            let again = Layout::parse(&spelled);
            prop_assert!(again.is_ok(), "{f} -> {spelled}: {again:?}");
            prop_assert_eq!(again.unwrap(), l, "{} -> {}", f, spelled);
        }
    }
}
