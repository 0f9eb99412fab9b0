//! A small pseudo-random generator for test data, seeded once per request
//! from the system's generator.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014). Not for secrets: it only varies test data.
pub(crate) struct SampleRandom {
    state: u64,
}

impl SampleRandom {
    /// Seeds the generator with 8 bytes from `getrandom`.
    ///
    /// # Errors
    ///
    /// Returns the generator's error when the system cannot provide random
    /// bytes.
    pub(crate) fn from_system() -> Result<SampleRandom, getrandom::Error> {
        let mut seed = [0_u8; 8];
        getrandom::fill(&mut seed)?;
        Ok(SampleRandom {
            state: u64::from_le_bytes(seed),
        })
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// Returns a number from 0 to `bound - 1`, or 0 when `bound` is 0. The
    /// modulo bias is below 2^-40 for the bounds test data uses.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        match bound {
            0 => 0,
            _ => self.next_u64() % bound,
        }
    }

    /// Returns `true` with a probability of `percent` in 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks an element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[index]
    }
}
