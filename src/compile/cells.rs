//! The cell array, one, two or four bytes a cell: the narrowest width whose
//! index bits hold every rule and conditional entry the table refers to.
//!
//! Every width keeps the 2-bit tag in its top bits; reading widens a cell to
//! the `u32` form (`tag << 30 | index`) the rest of the table works with.

use super::table::{INDEX_MASK, TAG_SHIFT};

/// The cells of a table, in scope, action, role order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cells {
    /// Indexes below 64.
    Byte(Vec<u8>),
    /// Indexes below 16,384.
    Half(Vec<u16>),
    /// Indexes below 2^30.
    Word(Vec<u32>),
}

/// Index bits of a `width`-bit cell.
const fn index_bits(width: u32) -> u32 {
    width - 2
}

impl Cells {
    /// Packs `u32` cells into the narrowest width that holds them all.
    pub(crate) fn pack(words: Vec<u32>) -> Cells {
        let max_index = words.iter().map(|w| w & INDEX_MASK).max().unwrap_or(0);
        let narrow = |w: u32, width: u32| (w >> TAG_SHIFT) << index_bits(width) | (w & INDEX_MASK);
        if max_index < 1 << index_bits(8) {
            Cells::Byte(words.iter().map(|&w| narrow(w, 8) as u8).collect())
        } else if max_index < 1 << index_bits(16) {
            Cells::Half(words.iter().map(|&w| narrow(w, 16) as u16).collect())
        } else {
            Cells::Word(words)
        }
    }

    /// The cell at `i` in `u32` form.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<u32> {
        #[inline(always)]
        fn widen(w: u32, width: u32) -> u32 {
            (w >> index_bits(width)) << TAG_SHIFT | (w & ((1 << index_bits(width)) - 1))
        }
        match self {
            Cells::Byte(v) => v.get(i).map(|&w| widen(u32::from(w), 8)),
            Cells::Half(v) => v.get(i).map(|&w| widen(u32::from(w), 16)),
            Cells::Word(v) => v.get(i).copied(),
        }
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        match self {
            Cells::Byte(v) => v.len(),
            Cells::Half(v) => v.len(),
            Cells::Word(v) => v.len(),
        }
    }

    /// Bytes a cell takes.
    pub(crate) fn width(&self) -> usize {
        match self {
            Cells::Byte(_) => 1,
            Cells::Half(_) => 2,
            Cells::Word(_) => 4,
        }
    }
}
