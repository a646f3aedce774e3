//! The idiomatic test corpus of issue 12: programs from several domains written the way users
//! write them (before looking at what the macro supports), each with an independent oracle.
//! Programs the macro does not take yet wait in `tests/corpus_pending/` (not compiled; see its
//! README) and move here as they pass.

#[path = "corpus/estimation.rs"]
mod estimation;
#[path = "corpus/finance.rs"]
mod finance;
#[path = "corpus/ml.rs"]
mod ml;
#[path = "corpus/numerics.rs"]
mod numerics;
#[path = "corpus/optimisation.rs"]
mod optimisation;
#[path = "corpus/physics.rs"]
mod physics;
#[path = "corpus/regression.rs"]
mod regression;
#[path = "corpus/robotics.rs"]
mod robotics;
