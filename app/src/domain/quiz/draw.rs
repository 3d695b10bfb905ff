//! Random question draws and option shuffles that are reproducible from a seed stored with
//! the attempt: a reload or another device sees the same questions in the same order.

/// SplitMix64: tiny, fast, and identical on every platform (server and browser).
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0), without modulo bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % bound;
            }
        }
    }
}

/// Fisher–Yates shuffle in place.
pub fn shuffle<T>(items: &mut [T], rng: &mut SeededRng) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// A question in the bank, as the draw sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankEntry {
    pub id: i64,
    pub tags: Vec<String>,
}

/// Picks `count` distinct questions, only from those carrying one of `tags` when given,
/// in random order. Fewer are returned when the pool is smaller.
pub fn draw(bank: &[BankEntry], count: usize, tags: &[String], seed: u64) -> Vec<i64> {
    let mut pool: Vec<i64> = bank
        .iter()
        .filter(|entry| tags.is_empty() || entry.tags.iter().any(|t| tags.contains(t)))
        .map(|entry| entry.id)
        .collect();
    let mut rng = SeededRng::new(seed);
    shuffle(&mut pool, &mut rng);
    pool.truncate(count);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn bank(n: i64) -> Vec<BankEntry> {
        (0..n)
            .map(|id| BankEntry {
                id,
                tags: vec![if id % 2 == 0 {
                    "even".into()
                } else {
                    "odd".into()
                }],
            })
            .collect()
    }

    proptest! {
        #[test]
        fn shuffle_is_a_permutation(items in proptest::collection::vec(any::<u16>(), 0..60), seed in any::<u64>()) {
            let mut shuffled = items.clone();
            shuffle(&mut shuffled, &mut SeededRng::new(seed));
            let mut a = items.clone();
            let mut b = shuffled.clone();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        }

        #[test]
        fn draws_are_distinct_bounded_and_reproducible(n in 0i64..80, count in 0usize..100, seed in any::<u64>()) {
            let bank = bank(n);
            let drawn = draw(&bank, count, &[], seed);
            prop_assert_eq!(drawn.len(), count.min(n as usize));
            prop_assert_eq!(drawn.iter().collect::<BTreeSet<_>>().len(), drawn.len());
            prop_assert!(drawn.iter().all(|id| (0..n).contains(id)));
            prop_assert_eq!(draw(&bank, count, &[], seed), drawn);
        }

        #[test]
        fn tag_filters_are_respected(n in 0i64..80, count in 0usize..100, seed in any::<u64>()) {
            let drawn = draw(&bank(n), count, &["even".to_string()], seed);
            prop_assert!(drawn.iter().all(|id| id % 2 == 0));
            prop_assert_eq!(drawn.len(), count.min(((n + 1) / 2) as usize));
        }

        #[test]
        fn below_stays_in_range(bound in 1u64..1000, seed in any::<u64>()) {
            let mut rng = SeededRng::new(seed);
            for _ in 0..20 {
                prop_assert!(rng.below(bound) < bound);
            }
        }
    }

    #[test]
    fn every_position_is_reachable() {
        // Over many seeds each item lands in each slot: the shuffle is not biased to a fixed order.
        let mut seen = [[false; 4]; 4];
        for seed in 0..400 {
            let mut items = [0usize, 1, 2, 3];
            shuffle(&mut items, &mut SeededRng::new(seed));
            for (slot, item) in items.iter().enumerate() {
                seen[*item][slot] = true;
            }
        }
        assert!(seen.iter().flatten().all(|s| *s));
    }

    #[test]
    fn different_seeds_give_different_orders() {
        let bank = bank(30);
        assert_ne!(draw(&bank, 30, &[], 1), draw(&bank, 30, &[], 2));
    }
}
