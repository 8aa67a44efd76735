//! Properties of the machine under faults (filled in by the next commit).
