//! The burgerservicenummer: its elfproef (CS002) and the fictitious test range.

/// First and last number of the fictitious test range (999900006–999999990).
pub const TEST_RANGE: (u32, u32) = (999_900_006, 999_999_990);

/// The elfproef: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 must be divisible by 11. Anything that is not
/// exactly nine ASCII digits fails. `000000000` satisfies the formula but is no person's
/// number, so it fails too (decision: the digest leaves it open; no real BSN is all zeros).
pub fn elfproef(bsn: &str) -> bool {
    let b = bsn.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) || b.iter().all(|d| *d == b'0') {
        return false;
    }
    let sum: i32 = b
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let w = if i == 8 { -1 } else { 9 - i as i32 };
            w * i32::from(d - b'0')
        })
        .sum();
    sum.rem_euclid(11) == 0
}

/// True for a valid number inside the fictitious test range.
pub fn is_test_bsn(bsn: &str) -> bool {
    elfproef(bsn)
        && bsn
            .parse::<u32>()
            .is_ok_and(|n| (TEST_RANGE.0..=TEST_RANGE.1).contains(&n))
}

/// The `n`-th (0-based) valid test BSN, cycling through the range; for generated data.
pub fn test_bsn(n: u64) -> String {
    // about one in eleven numbers passes, so step through candidates from a spread start
    let span = u64::from(TEST_RANGE.1 - TEST_RANGE.0);
    let mut candidate = u64::from(TEST_RANGE.0) + (n.wrapping_mul(11)) % span;
    loop {
        let s = candidate.to_string();
        if is_test_bsn(&s) {
            return s;
        }
        candidate = if candidate >= u64::from(TEST_RANGE.1) {
            u64::from(TEST_RANGE.0)
        } else {
            candidate + 1
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elfproef_accepts_known_good_numbers() {
        assert!(elfproef("123456782"));
        assert!(elfproef("999900006"));
        assert!(elfproef("999900018"));
    }

    #[test]
    fn elfproef_rejects_bad_numbers() {
        assert!(!elfproef("123456781"));
        assert!(!elfproef("12345678"));
        assert!(!elfproef("12345678a"));
        assert!(!elfproef("000000000"));
    }

    #[test]
    fn generated_test_bsns_are_valid_and_in_range() {
        for n in [0, 1, 2, 500, 9_999, 123_456] {
            let b = test_bsn(n);
            assert!(is_test_bsn(&b), "{b}");
        }
        assert_ne!(test_bsn(1), test_bsn(2));
        assert!(!is_test_bsn("123456782"));
    }
}
