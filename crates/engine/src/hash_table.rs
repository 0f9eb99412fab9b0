//! Static hash tables from string keys to `f32` values, built at compile
//! time.
//!
//! Inside a Spin component, whose memory starts fresh for every request,
//! the first read of each 4 KiB page of a table costs a page fault. A binary
//! search touches several pages per lookup and reads key bytes stored apart
//! from the table. An open-addressing table that stores each key's 64-bit
//! hash beside its value touches one page per lookup, and never the key
//! bytes.

/// One slot: the key's hash, or 0 when the slot is empty, and the value.
pub type Slot = (u64, f32);

/// Returns a 64-bit hash of `key` that is never 0: FNV-1a over the bytes,
/// then the finaliser of SplitMix64, so that the low bits that pick a slot
/// depend on every byte.
pub const fn key_hash(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut index = 0;
    while index < bytes.len() {
        hash ^= bytes[index] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        index += 1;
    }
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^= hash >> 31;
    if hash == 0 { 1 } else { hash }
}

/// Returns the number of slots for a table of `entries` keys: a power of
/// two at least twice as large, so that linear probing stays short.
pub const fn slot_count(entries: usize) -> usize {
    (entries * 2).next_power_of_two()
}

/// Builds the slots of a table holding `entries`, with linear probing.
///
/// # Panics
///
/// Panics, at compile time when used for a `static`, when `SLOTS` is not
/// [`slot_count`] of the entries, or when two keys have the same hash,
/// which also catches a key listed twice. A lookup therefore never
/// confuses two keys of the table.
pub const fn build<const SLOTS: usize>(entries: &[(&str, f32)]) -> [Slot; SLOTS] {
    assert!(
        SLOTS == slot_count(entries.len()),
        "SLOTS must be slot_count(entries)"
    );
    let mut slots = [(0_u64, 0.0_f32); SLOTS];
    let mut entry = 0;
    while entry < entries.len() {
        let hash = key_hash(entries[entry].0);
        let mut slot = hash as usize & (SLOTS - 1);
        while slots[slot].0 != 0 {
            assert!(slots[slot].0 != hash, "two keys of the table share a hash");
            slot = (slot + 1) & (SLOTS - 1);
        }
        slots[slot] = (hash, entries[entry].1);
        entry += 1;
    }
    slots
}

/// Returns the value of `key` in a table built by [`build`].
///
/// NOTE: a key outside the table is distinguished from the table's keys
/// by its 64-bit hash alone, so a key whose hash equals a table key's hash
/// would read that key's value. For a table of n keys the chance is about n
/// in 2^64 per lookup.
pub fn get(slots: &[Slot], key: &str) -> Option<f32> {
    let hash = key_hash(key);
    let mask = slots.len() - 1;
    let mut slot = hash as usize & mask;
    loop {
        let (candidate, value) = *slots.get(slot)?;
        if candidate == hash {
            return Some(value);
        }
        if candidate == 0 {
            return None;
        }
        slot = (slot + 1) & mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static ENTRIES: &[(&str, f32)] = &[("", 0.5), ("a", 1.0), ("b", -2.0), ("é", 3.5), ("ab", 0.0)];
    static SLOTS: [Slot; slot_count(5)] = build(ENTRIES);

    #[test]
    fn finds_every_key() {
        for (key, value) in ENTRIES {
            assert_eq!(get(&SLOTS, key), Some(*value), "{key:?}");
        }
    }

    #[test]
    fn misses_absent_keys() {
        for key in ["c", "ba", "e", "a ", "\u{0}"] {
            assert_eq!(get(&SLOTS, key), None, "{key:?}");
        }
    }

    #[test]
    fn slot_count_doubles_to_power_of_two() {
        assert_eq!(slot_count(5), 16);
        assert_eq!(slot_count(8), 16);
        assert_eq!(slot_count(31_000), 65_536);
    }
}
