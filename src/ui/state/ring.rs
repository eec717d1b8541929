//! A bounded ring buffer: memory does not grow with the length of a window.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// How many items ever went in (so a view can say how many fell off).
    pushed: u64,
}

impl<T> Ring<T> {
    pub fn new(capacity: usize) -> Self {
        Ring {
            items: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            pushed: 0,
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(item);
        self.pushed += 1;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i)
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    /// Empties it (what went in before still counts in `pushed`).
    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_items_up_to_capacity() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(r.pushed(), 5);
        assert_eq!(r.len(), 3);
    }
}
