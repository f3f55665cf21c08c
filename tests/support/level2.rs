//! Level-2 variants (CD/CS/TR within one message): each breaks exactly one condition and stays
//! schema-valid.

use super::mutate::Variant;
use super::Fixture;
use ijwmo::schema::MessageDef;

pub fn variants(_fx: &Fixture, _def: &MessageDef, _out: &mut Vec<Variant>) {}
