//! Integration tests (added in the next commit).
