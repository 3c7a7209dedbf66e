//! The cell array, one, two or four bytes a cell: the narrowest width whose
//! index bits hold every rule and conditional entry the table refers to.
//!
//! Every width keeps the 2-bit tag in its top bits. The cells sit in one byte
//! buffer padded with three zero bytes, so reading any cell is the same
//! branch-free sequence whatever the width: one unaligned 4-byte load, a mask
//! to the width, a shift to the tag.

use super::table::{INDEX_MASK, TAG_SHIFT};

/// The cells of a table, in scope, action, role order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cells {
    /// `len << shift` bytes of cells, little-endian, then 3 zero bytes.
    bytes: Vec<u8>,
    len: usize,
    /// log2 of the width in bytes: 0, 1 or 2.
    shift: u32,
    /// The bits of a 4-byte load that belong to the cell.
    width_mask: u32,
    /// Index bits of a cell (its width in bits minus 2).
    index_bits: u32,
}

impl Cells {
    /// Packs `u32` cells (`tag << 30 | index`) into the narrowest width that holds them all.
    pub(crate) fn pack(words: &[u32]) -> Cells {
        let max_index = words.iter().map(|w| w & INDEX_MASK).max().unwrap_or(0);
        let shift = if max_index < 1 << 6 {
            0
        } else if max_index < 1 << 14 {
            1
        } else {
            2
        };
        let width = 1usize << shift;
        let index_bits = (8 << shift) - 2;
        let mut bytes = Vec::with_capacity(words.len() * width + 3);
        for &w in words {
            let narrow = (w >> TAG_SHIFT) << index_bits | (w & INDEX_MASK);
            bytes.extend_from_slice(narrow.to_le_bytes().get(..width).unwrap_or_default());
        }
        bytes.extend_from_slice(&[0; 3]);
        Cells {
            bytes,
            len: words.len(),
            shift,
            width_mask: if shift == 2 {
                u32::MAX
            } else {
                (1 << (8 << shift)) - 1
            },
            index_bits,
        }
    }

    /// The cell at `i`, in its own width (tag in bits `index_bits..`).
    #[inline(always)]
    fn raw(&self, i: usize) -> Option<u32> {
        let at = i << self.shift;
        let word: [u8; 4] = self.bytes.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_le_bytes(word) & self.width_mask)
    }

    /// The tag of cell `i` (0 when out of range: default deny).
    #[inline(always)]
    pub(crate) fn tag(&self, i: usize) -> u32 {
        self.raw(i).map_or(0, |w| w >> self.index_bits)
    }

    /// The cell at `i` in `u32` form (`tag << 30 | index`).
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<u32> {
        let w = self.raw(i)?;
        Some((w >> self.index_bits) << TAG_SHIFT | (w & ((1 << self.index_bits) - 1)))
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes a cell takes.
    pub(crate) fn width(&self) -> usize {
        1 << self.shift
    }
}
