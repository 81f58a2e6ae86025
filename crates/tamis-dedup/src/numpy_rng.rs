//! The random numbers numpy's legacy `RandomState(seed).randint(low, high, dtype=np.uint64)`
//! draws, so the MinHash permutations equal datatrove's bit for bit.
//!
//! datatrove 0.10.1 (`src/datatrove/pipeline/dedup/minhash.py`, `MinhashDedupSignature.parameters`)
//! derives its 2 x 112 permutation parameters from `np.random.RandomState(seed)`. That is the
//! Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998) seeded with the reference
//! `init_genrand` recurrence; `randint` for 64-bit ranges joins two 32-bit outputs (first one
//! high) and rejects values above the range after masking to the next power of two minus one
//! (numpy `random_bounded_uint64_fill` with `use_masked`).

const N: usize = 624;
const M: usize = 397;

/// MT19937 with numpy's legacy integer seeding.
pub struct Mt19937 {
    state: [u32; N],
    pos: usize,
}

impl Mt19937 {
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { state, pos: N }
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut next = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                next ^= 0x9908_b0df;
            }
            self.state[i] = next;
        }
        self.pos = 0;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.twist();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// `randint(low, high, dtype=np.uint64)` (high exclusive) for ranges wider than 32 bits,
    /// the only ones MinHash uses.
    pub fn randint_u64(&mut self, low: u64, high: u64) -> u64 {
        let range = high - low - 1;
        assert!(
            range > u64::from(u32::MAX),
            "numpy draws ranges of 32 bits or less differently; not needed here"
        );
        let mask = u64::MAX >> range.leading_zeros();
        loop {
            let v = self.next_u64() & mask;
            if v <= range {
                return low + v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_mt19937_stream() {
        // `np.random.RandomState(5489).randint(0, 2**32, dtype=np.uint64)`-independent check:
        // the first outputs of MT19937 seeded 5489 are published with the algorithm.
        let mut mt = Mt19937::new(5489);
        let first: Vec<u32> = (0..3).map(|_| mt.next_u32()).collect();
        assert_eq!(first, [3_499_211_612, 581_869_302, 3_890_346_734]);
    }
}
