//! Work on meeting documents beside their actors: [`cpu`] runs CPU-heavy work (imports,
//! export rendering, version diffs and hashes) off the async workers.

pub mod cpu;
