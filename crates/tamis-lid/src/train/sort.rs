//! libstdc++'s `std::sort` (bits/stl_algo.h: introsort with median-of-three pivots, heapsort
//! below the depth limit, then a final insertion sort over runs of 16), move for move.
//!
//! fastText sorts its vocabulary with `std::sort` (src/dictionary.cc, `Dictionary::threshold`)
//! by type then decreasing count. `std::sort` is not stable, so words of equal count come out
//! in an order decided by the algorithm's exact comparisons and moves; since that order is the
//! word ids, the input matrix rows and the saved file, it has to be reproduced exactly. The
//! algorithm only ever looks at elements through `less`, so it is run here on a slice of
//! `Copy` handles (indices) and the caller permutes its data afterwards.

/// `_S_threshold`: partitions at most this long are left to the final insertion sort.
const THRESHOLD: usize = 16;

/// Sorts `v` exactly as libstdc++'s `std::sort(v.begin(), v.end(), less)` would.
pub(crate) fn sort_by<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let n = v.len();
    if n == 0 {
        return;
    }
    // `std::__lg(n) * 2`
    let depth = 2 * (usize::BITS - 1 - n.leading_zeros()) as usize;
    introsort_loop(v, depth, less);
    final_insertion_sort(v, less);
}

fn introsort_loop<T: Copy>(v: &mut [T], mut depth: usize, less: &impl Fn(&T, &T) -> bool) {
    let mut last = v.len();
    while last > THRESHOLD {
        if depth == 0 {
            // `std::__partial_sort(first, last, last)`: make_heap then sort_heap.
            make_heap(&mut v[..last], less);
            sort_heap(&mut v[..last], less);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(&mut v[..last], less);
        introsort_loop(&mut v[cut..last], depth, less);
        last = cut;
    }
}

/// `std::__unguarded_partition_pivot`: the median of `v[1]`, `v[mid]`, `v[last - 1]` is moved
/// to `v[0]` and used as the pivot for an unguarded Hoare partition of `v[1..]`.
fn partition_pivot<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) -> usize {
    let n = v.len();
    let mid = n / 2;
    move_median_to_first(v, 1, mid, n - 1, less);
    // `std::__unguarded_partition(first + 1, last, first)`
    let (mut lo, mut hi) = (1, n);
    loop {
        while less(&v[lo], &v[0]) {
            lo += 1;
        }
        hi -= 1;
        while less(&v[0], &v[hi]) {
            hi -= 1;
        }
        if lo >= hi {
            return lo;
        }
        v.swap(lo, hi);
        lo += 1;
    }
}

/// `std::__move_median_to_first(result = 0, a, b, c)`.
fn move_median_to_first<T: Copy>(
    v: &mut [T],
    a: usize,
    b: usize,
    c: usize,
    less: &impl Fn(&T, &T) -> bool,
) {
    let median = if less(&v[a], &v[b]) {
        if less(&v[b], &v[c]) {
            b
        } else if less(&v[a], &v[c]) {
            c
        } else {
            a
        }
    } else if less(&v[a], &v[c]) {
        a
    } else if less(&v[b], &v[c]) {
        c
    } else {
        b
    };
    v.swap(0, median);
}

/// `std::__final_insertion_sort`: a guarded insertion sort of the first 16 elements, then an
/// unguarded one of the rest (the minimum is known to be in the first 16).
fn final_insertion_sort<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    if v.len() > THRESHOLD {
        insertion_sort(&mut v[..THRESHOLD], less);
        for i in THRESHOLD..v.len() {
            unguarded_linear_insert(v, i, less);
        }
    } else {
        insertion_sort(v, less);
    }
}

/// `std::__insertion_sort`: an element smaller than the first is moved to the front in one
/// `move_backward`; the others sink with `__unguarded_linear_insert`.
fn insertion_sort<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        if less(&v[i], &v[0]) {
            let val = v[i];
            v.copy_within(0..i, 1);
            v[0] = val;
        } else {
            unguarded_linear_insert(v, i, less);
        }
    }
}

fn unguarded_linear_insert<T: Copy>(v: &mut [T], mut last: usize, less: &impl Fn(&T, &T) -> bool) {
    let val = v[last];
    while less(&val, &v[last - 1]) {
        v[last] = v[last - 1];
        last -= 1;
    }
    v[last] = val;
}

/// `std::__make_heap`.
fn make_heap<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let len = v.len();
    if len < 2 {
        return;
    }
    let mut parent = (len - 2) / 2;
    loop {
        let value = v[parent];
        adjust_heap(v, parent, len, value, less);
        if parent == 0 {
            return;
        }
        parent -= 1;
    }
}

/// `std::__sort_heap`: repeated `__pop_heap(first, last, last)`.
fn sort_heap<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let mut last = v.len();
    while last > 1 {
        last -= 1;
        let value = v[last];
        v[last] = v[0];
        adjust_heap(v, 0, last, value, less);
    }
}

/// `std::__adjust_heap` followed by its `std::__push_heap`.
fn adjust_heap<T: Copy>(
    v: &mut [T],
    mut hole: usize,
    len: usize,
    value: T,
    less: &impl Fn(&T, &T) -> bool,
) {
    let top = hole;
    let mut second = hole;
    while second < (len - 1) / 2 {
        second = 2 * (second + 1);
        if less(&v[second], &v[second - 1]) {
            second -= 1;
        }
        v[hole] = v[second];
        hole = second;
    }
    if len & 1 == 0 && second == (len - 2) / 2 {
        second = 2 * (second + 1);
        v[hole] = v[second - 1];
        hole = second - 1;
    }
    while hole > top {
        let parent = (hole - 1) / 2;
        if !less(&v[parent], &value) {
            break;
        }
        v[hole] = v[parent];
        hole = parent;
    }
    v[hole] = value;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::rng::MinStd;

    /// Keys 0..=3 drawn with `std::uniform_int_distribution<int>(0, 3)` from `minstd_rand(42)`,
    /// sorted by decreasing key with `std::sort`; the expected permutations were printed by the
    /// same program built with g++ (libstdc++). Heavy ties make every move visible.
    #[test]
    fn same_permutation_as_libstdcxx() {
        let expected: [&[usize]; 3] = [
            &[1, 4, 2, 3, 0],
            &[0, 16, 5, 12, 11, 9, 1, 14, 13, 6, 2, 10, 7, 15, 8, 4, 3],
            &[
                0, 2, 39, 4, 27, 17, 30, 10, 16, 15, 14, 22, 28, 18, 29, 12, 11, 37, 31, 34, 35,
                26, 1, 8, 3, 7, 23, 9, 21, 19, 13, 20, 32, 33, 25, 6, 36, 5, 38, 24,
            ],
        ];
        let mut rng = MinStd::new(42);
        for (n, want) in [5usize, 17, 40].into_iter().zip(expected) {
            let keys: Vec<u64> = (0..n).map(|_| rng.below(4)).collect();
            let mut idx: Vec<usize> = (0..n).collect();
            sort_by(&mut idx, &|a: &usize, b: &usize| keys[*a] > keys[*b]);
            assert_eq!(idx, want, "n = {n}");
        }
        // 300 elements reach the partitioning; checked by a digest of the permutation.
        let keys: Vec<u64> = (0..300).map(|_| rng.below(4)).collect();
        let mut idx: Vec<usize> = (0..300).collect();
        sort_by(&mut idx, &|a: &usize, b: &usize| keys[*a] > keys[*b]);
        assert_eq!(
            &idx[..12],
            [68, 149, 153, 82, 155, 156, 284, 76, 162, 163, 70, 169]
        );
        assert_eq!(
            &idx[288..],
            [241, 172, 171, 170, 138, 137, 133, 132, 131, 128, 127, 125]
        );
    }

    #[test]
    fn heapsort_fallback_sorts() {
        // depth 0 forces make_heap + sort_heap
        let mut v: Vec<u32> = (0..100).map(|i| (i * 37) % 101).collect();
        let last = v.len();
        introsort_loop(&mut v[..last], 0, &|a: &u32, b: &u32| a < b);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
    }
}
