//! Declarative definitions of CDDL maps and arrays: one line per field, keys in the CDDL's
//! order, so the encoder, the decoder and the spec cannot drift apart.

/// Defines a struct for a CDDL map with unsigned-integer keys, and its codec.
///
/// `req K => name: T` is a required key, `opt K => name: T` an optional one (an `Option<T>`
/// field, omitted when `None`, HRT-WIRE-11). Keys must be listed in increasing order.
/// `check = path;` names a `fn(&Self) -> Result<(), WireError>` run after decoding.
macro_rules! wire_map {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $kind:ident $key:literal => $field:ident : $ty:ty,
            )*
        }
        $(check = $check:path;)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: wire_map!(@ty $kind $ty), )*
        }

        impl $crate::WireEncode for $name {
            fn encode(&self, e: &mut $crate::Encoder) {
                let n = 0usize $( + wire_map!(@count $kind self.$field) )*;
                e.map(n);
                $( wire_map!(@enc $kind e $key self.$field); )*
            }
        }

        impl $crate::WireDecode for $name {
            const NESTED: bool = false $( || <$ty as $crate::WireDecode>::NESTED )*;

            #[allow(unused_mut)]
            fn check_outer(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<(), $crate::WireError> {
                if !<Self as $crate::WireDecode>::NESTED {
                    return <Self as $crate::WireDecode>::decode_from(d).map(drop);
                }
                let mut m = d.map()?;
                $( wire_map!(@chk $kind m $key $ty); )*
                m.finish()
            }

            #[allow(unused_mut)]
            fn decode_from(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::WireError> {
                let mut m = d.map()?;
                $( let $field = wire_map!(@dec $kind m $key $ty); )*
                m.finish()?;
                let v = $name { $($field),* };
                $( $check(&v)?; )?
                Ok(v)
            }
        }

        $(
            // A check between fields runs after the fields; with a nested payload among them
            // it would run after the payload, against the stages of spec §2.4.1.
            const _: () = {
                let _ = stringify!($check);
                assert!(!<$name as $crate::WireDecode>::NESTED);
            };
        )?

        impl $name {
            /// The map keys this structure defines, in order.
            pub const KEYS: &'static [u64] = &[$($key),*];
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { ::core::option::Option<$ty> };
    (@count req $f:expr) => { 1usize };
    (@count opt $f:expr) => { usize::from($f.is_some()) };
    (@enc req $e:ident $key:literal $f:expr) => {
        $e.uint($key);
        $crate::WireEncode::encode(&$f, $e);
    };
    (@enc opt $e:ident $key:literal $f:expr) => {
        if let Some(v) = &$f {
            $e.uint($key);
            $crate::WireEncode::encode(v, $e);
        }
    };
    (@dec req $m:ident $key:literal $ty:ty) => {
        $m.required($key, <$ty as $crate::WireDecode>::decode_from)?
    };
    (@dec opt $m:ident $key:literal $ty:ty) => {
        $m.optional($key, <$ty as $crate::WireDecode>::decode_from)?
    };
    (@chk req $m:ident $key:literal $ty:ty) => {
        $m.required($key, <$ty as $crate::WireDecode>::check_outer)?;
    };
    (@chk opt $m:ident $key:literal $ty:ty) => {
        $m.optional($key, <$ty as $crate::WireDecode>::check_outer)?;
    };
}

/// Defines a struct for a fixed-length CDDL array, and its codec (HRT-WIRE-13).
macro_rules! wire_array {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty,
            )*
        }
        $(check = $check:path;)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The number of array elements.
            pub const LEN: usize = 0usize $( + wire_array!(@one $field) )*;
        }

        impl $crate::WireEncode for $name {
            fn encode(&self, e: &mut $crate::Encoder) {
                e.array(Self::LEN);
                $( $crate::WireEncode::encode(&self.$field, e); )*
            }
        }

        impl $crate::WireDecode for $name {
            const NESTED: bool = false $( || <$ty as $crate::WireDecode>::NESTED )*;

            fn check_outer(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<(), $crate::WireError> {
                if !<Self as $crate::WireDecode>::NESTED {
                    return <Self as $crate::WireDecode>::decode_from(d).map(drop);
                }
                d.array(Self::LEN)?;
                $( <$ty as $crate::WireDecode>::check_outer(d)?; )*
                Ok(())
            }

            fn decode_from(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::WireError> {
                d.array(Self::LEN)?;
                $( let $field = <$ty as $crate::WireDecode>::decode_from(d)?; )*
                let v = $name { $($field),* };
                $( $check(&v)?; )?
                Ok(v)
            }
        }

        $(
            // See wire_map!: no check between fields of a structure with a nested payload.
            const _: () = {
                let _ = stringify!($check);
                assert!(!<$name as $crate::WireDecode>::NESTED);
            };
        )?
    };
    (@one $f:ident) => { 1usize };
}

/// Defines a fixed-size byte newtype (`bstr .size N`, HRT-WIRE-15).
macro_rules! fixed_bytes {
    ($(#[$meta:meta])* $name:ident, $n:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub [u8; $n]);

        impl $name {
            /// The size in bytes.
            pub const LEN: usize = $n;

            /// The bytes.
            pub fn as_bytes(&self) -> &[u8; $n] {
                &self.0
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}(h'{}')", stringify!($name), $crate::diag::HexSlice(&self.0))
            }
        }

        impl From<[u8; $n]> for $name {
            fn from(b: [u8; $n]) -> Self {
                Self(b)
            }
        }

        impl $crate::WireEncode for $name {
            fn encode(&self, e: &mut $crate::Encoder) {
                e.bytes(&self.0);
            }
        }

        impl $crate::WireDecode for $name {
            fn decode_from(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::WireError> {
                d.bytes_exact::<$n>().map(Self)
            }
        }
    };
}

/// Defines a fixed-size secret byte newtype whose `Debug` does not show the bytes.
macro_rules! secret_bytes {
    ($(#[$meta:meta])* $name:ident, $n:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub [u8; $n]);

        impl $name {
            /// The bytes.
            pub fn as_bytes(&self) -> &[u8; $n] {
                &self.0
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }

        impl $crate::WireEncode for $name {
            fn encode(&self, e: &mut $crate::Encoder) {
                e.bytes(&self.0);
            }
        }

        impl $crate::WireDecode for $name {
            fn decode_from(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::WireError> {
                d.bytes_exact::<$n>().map(Self)
            }
        }
    };
}

/// Defines an unsigned-integer newtype with an upper bound (`uint .le MAX`, HRT-WIRE-16).
macro_rules! bounded_uint {
    ($(#[$meta:meta])* $name:ident($inner:ty)) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub $inner);

        impl $crate::WireEncode for $name {
            fn encode(&self, e: &mut $crate::Encoder) {
                e.uint(u64::from(self.0));
            }
        }

        impl $crate::WireDecode for $name {
            fn decode_from(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::WireError> {
                let v = d.uint_max(u64::from(<$inner>::MAX))?;
                <$inner>::try_from(v)
                    .map(Self)
                    .map_err(|_| $crate::WireError::InvalidValue)
            }
        }
    };
}

/// Defines an open code point (a registry value): named constants, unknown values kept.
macro_rules! code_point {
    (
        $(#[$meta:meta])* $name:ident($inner:ty) {
            $( $(#[$cmeta:meta])* $cname:ident = $value:literal, $text:literal; )*
        }
    ) => {
        bounded_uint!($(#[$meta])* $name($inner));

        impl $name {
            $( $(#[$cmeta])* pub const $cname: $name = $name($value); )*

            /// The registry name, or `None` for a value this version does not assign.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }

            /// True if this version of the registry assigns the value.
            pub fn is_known(self) -> bool {
                self.name().is_some()
            }
        }
    };
}

/// Defines a closed enumeration (`&( a: 0, b: 1 )`): any other value is
/// [`crate::WireError::InvalidValue`] (HRT-WIRE-16).
macro_rules! closed_enum {
    (
        $(#[$meta:meta])* $name:ident {
            $( $(#[$cmeta:meta])* $cname:ident = $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub enum $name {
            $( $(#[$cmeta])* $cname = $value, )*
        }

        impl $crate::WireEncode for $name {
            fn encode(&self, e: &mut $crate::Encoder) {
                e.uint(*self as u64);
            }
        }

        impl $crate::WireDecode for $name {
            fn decode_from(
                d: &mut $crate::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::WireError> {
                match d.uint()? {
                    $( $value => Ok($name::$cname), )*
                    _ => Err($crate::WireError::InvalidValue),
                }
            }
        }
    };
}
