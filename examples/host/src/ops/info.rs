//! Op 0 `info` (spec §8.5.1): served by `GET` and by a signed `POST`; the result is
//! precomputed by [`crate::host::Host::info_result`] (HRT-OP-2, HRT-OP-3).
