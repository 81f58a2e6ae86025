//! Software prefetch of the rows a model reads next. A large model's rows are scattered over
//! hundreds of megabytes, so each is a cache miss; a prefetch starts the load without making
//! the processor wait for it, so the misses of the next rows overlap the work on this one.

/// Bytes per cache line.
const LINE: usize = 64;

/// Starts loading every cache line of `s` into the cache; returns at once. Nothing on
/// architectures other than x86-64.
#[inline]
pub(crate) fn lines<T>(s: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let bytes = std::mem::size_of_val(s);
        let start = s.as_ptr().cast::<i8>();
        let mut offset = 0;
        while offset < bytes {
            line(start.wrapping_add(offset));
            offset += LINE;
        }
        // A slice that does not start on a line boundary ends in one more line.
        if bytes > 0 {
            line(start.wrapping_add(bytes - 1));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn line(p: *const i8) {
    use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: a prefetch is only a hint: it never faults, whatever the address, and reads
    // nothing into the program. Every address passed here is inside a live slice anyway.
    #[allow(unsafe_code)]
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(p);
    }
}
