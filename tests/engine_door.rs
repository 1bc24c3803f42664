//! Properties of the gate judgment on the independent door model (`depot::radio::door`),
//! over seeds and front-to-back ratios the engine was never tuned on: what did not cross is
//! never acted on as a passage, and no crossing is acted on in the wrong direction.

use depot::cli::gate_bench::{plan, play};
use depot::radio::door::DoorModel;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        // Each case plays one to two minutes of a dock door; two dozen cover the space
        // well, and `depot bench gate` plays twenty seeds of each at four ratios.
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Trolleys pushed to the door plane (short of it, or their front tags poking through)
    /// and taken back: nothing is issued or returned, at any portal.
    #[test]
    fn turn_backs_are_never_acted_on(seed in 1u64..1_000_000, fb in 4.0f64..=18.0) {
        let s = play(&DoorModel::reference(fb), &plan("turn-backs").unwrap(), seed, None).unwrap();
        prop_assert_eq!(s.crossings, 0);
        prop_assert_eq!(s.false_passages, 0, "{:?}", s);
    }

    /// Tags on a shelf just inside the door are never acted on.
    #[test]
    fn strays_are_never_acted_on(seed in 1u64..1_000_000, fb in 4.0f64..=18.0) {
        let s = play(&DoorModel::reference(fb), &plan("strays").unwrap(), seed, None).unwrap();
        prop_assert_eq!(s.false_passages, 0, "{:?}", s);
    }

    /// Two trolleys crossing each way at once: no tag is acted on in the other's direction,
    /// and no sure passage is lent across the two loads.
    #[test]
    fn loads_crossing_each_way_are_never_swapped(seed in 1u64..1_000_000, fb in 4.0f64..=18.0) {
        let s = play(&DoorModel::reference(fb), &plan("crossing-pair").unwrap(), seed, None).unwrap();
        prop_assert!(s.crossings > 0);
        prop_assert_eq!(s.wrong_direction, 0, "{:?}", s);
        prop_assert_eq!(s.false_passages, 0, "{:?}", s);
    }
}
