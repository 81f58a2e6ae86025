//! Length histograms with half-octave bins: two bins per doubling cover 1 to 2^64 in 129 bins,
//! so a histogram stays tiny whatever the run's size, and bin edges are exact integers.

use serde::{Deserialize, Serialize};

/// Counts per half-octave bin. Bin 0 holds zero; bin `b >= 1` holds `n` with
/// `lower(b) <= n < lower(b + 1)`, where `lower(2e + 1) = 2^e` and `lower(2e + 2)` is the
/// smallest integer at or above `2^e * sqrt(2)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hist {
    /// Counts by bin, trailing empty bins left out.
    pub bins: Vec<u64>,
    /// Values added, and their sum (for the mean).
    pub count: u64,
    pub sum: u64,
}

/// The bin of `n`, by integer arithmetic only (no floating point, so every platform agrees).
pub fn bin(n: u64) -> usize {
    if n == 0 {
        return 0;
    }
    let e = 63 - n.leading_zeros() as usize;
    // n >= 2^e * sqrt(2)  <=>  n^2 >= 2^(2e+1); exact in u128.
    let upper_half = (n as u128) * (n as u128) >= 1u128 << (2 * e + 1);
    2 * e + 1 + usize::from(upper_half)
}

/// The smallest value of bin `b`.
pub fn lower(b: usize) -> u64 {
    if b == 0 {
        return 0;
    }
    let e = (b - 1) / 2;
    if b % 2 == 1 {
        return 1u64 << e;
    }
    // Smallest n with n^2 >= 2^(2e+1): integer square root, rounded up.
    let target = 1u128 << (2 * e + 1);
    // A float estimate, then corrected exactly (f64 is coarse near 2^64).
    let mut n = (target as f64).sqrt() as u128;
    while n > 0 && (n - 1) * (n - 1) >= target {
        n -= 1;
    }
    while n * n < target {
        n += 1;
    }
    n.min(u64::MAX as u128) as u64
}

impl Hist {
    pub fn add(&mut self, n: u64) {
        let b = bin(n);
        if self.bins.len() <= b {
            self.bins.resize(b + 1, 0);
        }
        self.bins[b] += 1;
        self.count += 1;
        self.sum = self.sum.saturating_add(n);
    }

    pub fn merge(&mut self, other: &Hist) {
        if self.bins.len() < other.bins.len() {
            self.bins.resize(other.bins.len(), 0);
        }
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            *a += b;
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
    }

    /// The value below which half the values lie, as the lower edge of its bin.
    pub fn median_bin_lower(&self) -> Option<u64> {
        let half = self.count.div_ceil(2);
        let mut seen = 0;
        for (b, &c) in self.bins.iter().enumerate() {
            seen += c;
            if c > 0 && seen >= half {
                return Some(lower(b));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_half_octaves_with_exact_edges() {
        assert_eq!(bin(0), 0);
        assert_eq!(bin(1), 1);
        assert_eq!(bin(2), 3);
        assert_eq!(bin(3), 4); // 3 >= 2 * sqrt 2 = 2.83
        assert_eq!(bin(4), 5);
        assert_eq!(bin(5), 5);
        assert_eq!(bin(6), 6); // 6 >= 5.66
        assert_eq!(bin(u64::MAX), 128);
        // Bin 2 (from 1.41 up to 2) holds no integer.
        assert_eq!(lower(2), 2);
        for b in (1..=128).filter(|&b| b != 2) {
            let lo = lower(b);
            assert_eq!(bin(lo), b, "lower({b}) = {lo}");
            let below = if b == 3 { 1 } else { b - 1 };
            assert_eq!(bin(lo - 1), below, "below lower({b}) = {lo}");
        }
    }

    #[test]
    fn merge_equals_adding_everything_once() {
        let (mut a, mut b, mut all) = (Hist::default(), Hist::default(), Hist::default());
        for n in [0, 1, 7, 1000, 12345] {
            a.add(n);
            all.add(n);
        }
        for n in [3, 1 << 40, 99] {
            b.add(n);
            all.add(n);
        }
        a.merge(&b);
        assert_eq!(a, all);
        // Sorted: 0 1 3 7 | 99 1000 12345 2^40; the 4th of 8 is 7.
        assert_eq!(all.median_bin_lower(), Some(lower(bin(7))));
    }
}
