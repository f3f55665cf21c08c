//! Typed model of the message bodies (filled in by the model work).
