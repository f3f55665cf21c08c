//! Level-2 rules (CD/CS/TR within one message).
