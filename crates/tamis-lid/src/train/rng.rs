//! The random numbers fastText's trainer draws, reproduced to the bit: `std::minstd_rand` and
//! the libstdc++ (GCC 10, as in the fasttext-numpy2-wheel build) versions of
//! `std::uniform_real_distribution<double>` and `std::uniform_int_distribution`. The C++
//! standard fixes the engine but not the distributions, so these follow libstdc++'s
//! bits/random.tcc (`generate_canonical`, `uniform_int_distribution::operator()`).

/// `std::minstd_rand`: the Lehmer generator `x <- 48271 x mod (2^31 - 1)`, returning x
/// (values in `1..=2^31-2`).
#[derive(Debug, Clone)]
pub(crate) struct MinStd {
    x: u64,
}

const MULTIPLIER: u64 = 48_271;
const MODULUS: u64 = 2_147_483_647;
/// `max() - min()` of the engine: the range the distributions scale from.
const RANGE: u64 = MODULUS - 2;

impl MinStd {
    /// `linear_congruential_engine::seed(s)`: the seed is taken modulo m, and a zero state
    /// (which would stay zero) becomes 1. fastText passes `int`s, so a negative seed arrives
    /// sign-extended to 64 bits (`unsigned long` is the engine's result type).
    pub(crate) fn new(seed: i64) -> MinStd {
        let s = (seed as u64) % MODULUS;
        MinStd {
            x: if s == 0 { 1 } else { s },
        }
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.x = self.x * MULTIPLIER % MODULUS;
        self.x
    }

    /// `std::generate_canonical<double, 53>`: libstdc++ takes `k = max(1, (53 + 30 - 1) / 30)
    /// = 2` draws for a generator of range `r = 2^31 - 2` (`log2 r` truncated to 30), sums
    /// `(x1 - 1) + (x2 - 1) * r` in double and divides by `r * r`; a result that rounds up to 1
    /// is replaced by the largest double below 1.
    pub(crate) fn canonical(&mut self) -> f64 {
        let r = (RANGE + 1) as f64;
        let mut sum = 0.0f64;
        let mut scale = 1.0f64;
        for _ in 0..2 {
            sum += (self.next_u64() - 1) as f64 * scale;
            scale *= r;
        }
        let ret = sum / scale;
        if ret >= 1.0 {
            1.0 - f64::EPSILON / 2.0
        } else {
            ret
        }
    }

    /// `std::uniform_real_distribution<double>(a, b)`: `canonical * (b - a) + a`.
    #[inline]
    pub(crate) fn uniform_real(&mut self, a: f64, b: f64) -> f64 {
        self.canonical() * (b - a) + a
    }

    /// `std::uniform_int_distribution(0, n - 1)` for `n >= 1`, by libstdc++'s downscaling: with
    /// `scaling = range / n`, draws `x - 1` until it is below `n * scaling`, then divides by
    /// `scaling`. It always draws at least once, even for `n == 1`, which matters because the
    /// draws are shared with everything else the thread's generator does.
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        debug_assert!((1..=RANGE).contains(&n));
        let scaling = RANGE / n;
        let past = n * scaling;
        loop {
            let v = self.next_u64() - 1;
            if v < past {
                return v / scaling;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values printed by a C++ program built with g++ (libstdc++): `minstd_rand r(s);
    /// r()`, `uniform_real_distribution<>(-0.1f, 0.1f)` and `uniform_int_distribution<size_t>`.
    #[test]
    fn matches_libstdcxx() {
        assert_eq!(MinStd::new(0).next_u64(), 48271);
        assert_eq!(MinStd::new(-3).next_u64(), 48271);
        assert_eq!(MinStd::new(7).next_u64(), 337_897);

        let mut u = MinStd::new(5);
        let a = f64::from(0.1f32);
        let expect = [
            -0.014_967_551_133_071_189,
            -0.008_388_723_099_540_918,
            0.089_689_773_236_125_65,
        ];
        for e in expect {
            let x = u.uniform_real(-a, a);
            assert_eq!(x, e, "{x:e} vs {e:e}");
        }

        let mut v = MinStd::new(11);
        for (n, e) in [
            (1, 0),
            (2, 1),
            (3, 1),
            (7, 5),
            (75, 48),
            (10_000_000, 868_902),
        ] {
            assert_eq!(v.below(n), e, "n = {n}");
        }
    }
}
