//! [`registry!`](crate::registry): the one definition of a component kind's type registry.

/// Declares a kind's registry: a serde enum with one variant per component type (the
/// config language's `type = "..."`), its list of type names, and a `build` that runs
/// the chosen component's build step and turns the result into the kind's runnable form
/// with `wrap`. Each variant's config also converts into the enum (`From`).
///
/// ```ignore
/// sluice_core::registry! {
///     /// A transform's config, by type.
///     pub enum TransformConfig -> Arc<dyn Transform>, wrap = into_dyn;
///     "grok" => Grok(crate::grok::Config),
/// }
/// ```
#[macro_export]
macro_rules! registry {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident -> $built:ty, wrap = $wrap:path;
        $($name:literal => $variant:ident($config:path)),* $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        pub enum $enum {
            $(
                #[doc = concat!("`type = \"", $name, "\"`")]
                #[serde(rename = $name)]
                $variant($config),
            )*
        }

        impl $enum {
            /// Every type name, as written in the config.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The type name, as written in the config.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $($enum::$variant(_) => $name,)*
                }
            }

            /// Validates and compiles the component; problems go to `b`.
            pub fn build(self, b: &mut $crate::config::Build<'_>) -> Option<$built> {
                match self {
                    $($enum::$variant(c) => c.build(b).map($wrap),)*
                }
            }
        }

        $(
            impl From<$config> for $enum {
                fn from(c: $config) -> Self {
                    $enum::$variant(c)
                }
            }
        )*
    };
}
