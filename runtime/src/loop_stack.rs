//! Where a loop's forward sweep keeps the values its reverse sweep restores, with or without
//! the heap.
//!
//! Generated code names these through `__loop_stack!`, which the runtime defines once per
//! feature set, so the macro does not need to know whether `alloc` is enabled:
//!
//! | loop | with `alloc` | without `alloc` |
//! |---|---|---|
//! | trip count a compile-time constant (`for _ in 0..64`, `0..N`) | a `Vec` of the trip count | an array of that length |
//! | trip count known when it starts | a `Vec` of the trip count | compile error: enable `alloc` or give `max_iterations` |
//! | trip count unknown (`while`, `break`), or nested in another loop | a growing `Vec` | the same compile error |
//! | `#[differentiate(max_iterations = N)]` | [`BoundedStack`] / [`fixed_capacity`]: `N` values in place, a panic beyond | the same |

/// The stack of a loop under `#[differentiate(max_iterations = M)]`, whose length does not
/// depend on a trip count known at its start: `N = M + 1` values in place (no heap), one per
/// iteration and one for the exit test of a `while` loop.
///
/// # Panics
///
/// [`push`](Self::push) panics when the loop saves more than `N` values (the loop ran more
/// than `max_iterations` times, or, for a loop nested in another, its iterations over all the
/// outer iterations did); the message names `M`.
pub struct BoundedStack<T, const N: usize> {
    items: [Option<T>; N],
    len: usize,
}

impl<T, const N: usize> BoundedStack<T, N> {
    /// An empty stack.
    #[inline(always)]
    pub fn new() -> Self {
        BoundedStack {
            items: core::array::from_fn(|_| None),
            len: 0,
        }
    }

    /// Saves one value.
    ///
    /// # Panics
    ///
    /// If the stack already holds `N` values.
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        if self.len == N {
            exceeded(N.saturating_sub(1));
        }
        self.items[self.len] = Some(value);
        self.len += 1;
    }

    /// Takes the value saved last.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<T> {
        self.len = self.len.checked_sub(1)?;
        self.items[self.len].take()
    }

    /// The value saved last, left in place: a reverse sweep that runs more than once from
    /// one forward sweep (`f_jacobian`'s rows) reads each value saved once this way.
    #[inline(always)]
    pub fn peek(&self) -> Option<&T> {
        self.items[..self.len].last()?.as_ref()
    }
}

impl<T, const N: usize> Default for BoundedStack<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The stack of a loop whose trip count `trips` is known when it starts, kept in an array
/// of `N` values (no heap): `N` is the constant trip count, or the `max_iterations` bound.
///
/// # Panics
///
/// If `trips > N` (the loop would run more than `max_iterations` times).
#[inline(always)]
pub fn fixed_capacity<T: Default, const N: usize>(trips: usize) -> [T; N] {
    if trips > N {
        exceeded(N);
    }
    core::array::from_fn(|_| T::default())
}

/// The number of iterations of `start..end` (`start..=end` if `inclusive`), at compile time.
pub const fn range_len(start: i128, end: i128, inclusive: bool) -> usize {
    let end = if inclusive { end + 1 } else { end };
    if end > start {
        (end - start) as usize
    } else {
        0
    }
}

#[cold]
#[inline(never)]
fn exceeded(capacity: usize) -> ! {
    panic!(
        "tapeless: a differentiated loop ran more than max_iterations = {capacity} iterations \
         (its reverse sweep keeps at most that many values per loop, in place); raise \
         `#[differentiate(max_iterations = ..)]`, or remove it and enable the `alloc` feature"
    )
}

/// The stack of a loop (see the module documentation): `__loop_stack!()` for a loop of
/// unknown trip count, `__loop_stack!(trips)` for one whose trip count `trips` is known when
/// it starts, `__loop_stack!(trips, len)` when it is also the constant `len`.
#[cfg(feature = "alloc")]
#[doc(hidden)]
#[macro_export]
macro_rules! __loop_stack {
    () => {
        $crate::__alloc::vec::Vec::new()
    };
    ($trips:expr $(, $len:expr)?) => {
        $crate::__alloc::vec![::core::default::Default::default(); $trips]
    };
}

/// The stack of a loop (see the module documentation); without `alloc`, only a loop of
/// constant trip count has one.
#[cfg(not(feature = "alloc"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __loop_stack {
    ($trips:expr, $len:expr) => {
        $crate::loop_stack::fixed_capacity::<_, { $len }>($trips)
    };
    ($($trips:expr)?) => {
        ::core::compile_error!(
            "tapeless: without the `alloc` feature, this loop needs a bound: the number of values its reverse sweep restores is not a compile-time constant (its trip count is not a constant, it can stop early, or it is nested in another loop), so they need a stack that grows; enable tapeless's `alloc` feature, or write `#[differentiate(max_iterations = N)]` on the function (a stack of N values in place; more iterations panic)"
        )
    };
}

/// Pushes a copy of `array` on `stack`: the state of an array a loop's iteration rewrote,
/// for its reverse iteration ([`restore_snapshot`]), where copying the array costs less than
/// running the iteration again.
#[cfg(feature = "alloc")]
#[inline(always)]
pub fn push_snapshot<T: Clone>(stack: &mut crate::__alloc::vec::Vec<T>, array: &[T]) {
    stack.extend_from_slice(array);
}

/// Pops the copy [`push_snapshot`] pushed last into `array`, which has the same length.
#[cfg(feature = "alloc")]
#[inline(always)]
pub fn restore_snapshot<T: Clone>(array: &mut [T], stack: &mut crate::__alloc::vec::Vec<T>) {
    let start = stack.len() - array.len();
    array.clone_from_slice(&stack[start..]);
    stack.truncate(start);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "alloc")]
    #[test]
    fn snapshots_come_back_last_first() {
        let mut stack = crate::__alloc::vec::Vec::new();
        let mut a = [1.0, 2.0];
        push_snapshot(&mut stack, &a);
        a = [3.0, 4.0];
        push_snapshot(&mut stack, &a);
        a = [0.0, 0.0];
        restore_snapshot(&mut a, &mut stack);
        assert_eq!(a, [3.0, 4.0]);
        restore_snapshot(&mut a, &mut stack);
        assert_eq!(a, [1.0, 2.0]);
        assert!(stack.is_empty());
    }

    #[test]
    fn range_lengths() {
        assert_eq!(range_len(0, 64, false), 64);
        assert_eq!(range_len(1, 5, true), 5);
        assert_eq!(range_len(-3, 3, false), 6);
        assert_eq!(range_len(5, 2, false), 0);
        assert_eq!(range_len(4, 4, false), 0);
        assert_eq!(range_len(4, 4, true), 1);
    }

    #[test]
    fn a_bounded_stack_is_last_in_first_out_up_to_its_capacity() {
        let mut stack = BoundedStack::<f64, 3>::new();
        assert_eq!(stack.pop(), None);
        for v in [1.0, 2.0, 3.0] {
            stack.push(v);
        }
        assert_eq!(stack.pop(), Some(3.0));
        stack.push(4.0);
        assert_eq!(
            [stack.pop(), stack.pop(), stack.pop(), stack.pop()],
            [Some(4.0), Some(2.0), Some(1.0), None]
        );
    }

    #[test]
    #[should_panic(expected = "ran more than max_iterations = 2 iterations")]
    fn a_full_bounded_stack_panics_with_its_bound() {
        // max_iterations = 2: three slots (two iterations and the exit test).
        let mut stack = BoundedStack::<u8, 3>::new();
        for v in 0..4 {
            stack.push(v);
        }
    }

    #[test]
    fn a_peeked_value_stays() {
        let mut stack = BoundedStack::<u8, 1>::new();
        assert_eq!(stack.peek(), None);
        stack.push(7);
        assert_eq!([stack.peek(), stack.peek()], [Some(&7), Some(&7)]);
        assert_eq!(stack.pop(), Some(7));
        assert_eq!(stack.peek(), None);
    }

    #[test]
    fn a_bounded_stack_holds_its_bound_and_the_exit_test() {
        let mut stack = BoundedStack::<u8, 3>::new();
        for v in 0..3 {
            stack.push(v);
        }
        assert_eq!(
            [stack.pop(), stack.pop(), stack.pop()],
            [Some(2), Some(1), Some(0)]
        );
        assert_eq!(stack.pop(), None);
    }

    #[test]
    #[should_panic(expected = "ran more than max_iterations = 4 iterations")]
    fn a_fixed_capacity_shorter_than_the_trip_count_panics() {
        let _: [f64; 4] = fixed_capacity(5);
    }
}
