//! The [`Detector`] trait and the glue that exports it as the WIT `detector` world.

use crate::{Event, Finding, PluginInfo, Settings, SettingsError};

/// A detector: one struct holding its settings (and any state kept across events),
/// and this impl. Export it with [`export_detector!`](crate::export_detector).
///
/// The host calls [`info`](Detector::info) once, builds the struct with `Default`,
/// calls [`configure`](Detector::configure) with the operator's settings, then
/// [`inspect`](Detector::inspect) for each event of the kinds `info` asked for.
pub trait Detector: Default + 'static {
    /// Who the plugin is and which events it wants.
    fn info() -> PluginInfo;

    /// Check and accept the operator's settings. Return every problem at once.
    /// The default accepts only an empty settings table.
    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        settings.expect_empty()
    }

    /// Look at one event and return what was found; `Err` when the event could not
    /// be inspected at all (the host records it as not inspected by this plugin).
    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String>;

    /// Build what every instance shares (regexes, automata, tables in statics) before
    /// any event. Called only for a detector exported with
    /// `export_detector!(MyDetector, warm_up)`, once, when the host compiles the
    /// plugin; every instance then starts from the memory it left. No settings, event
    /// or state exist yet. The default does nothing.
    fn warm_up() {}
}

/// Export a [`Detector`] as the plugin's WIT `detector` world.
///
/// Use it once, at the top level of the plugin crate: `aiir_sdk::export_detector!(MyDetector);`
///
/// `aiir_sdk::export_detector!(MyDetector, warm_up);` exports the `prepared-detector`
/// world instead: the host calls [`Detector::warm_up`] once when it compiles the
/// plugin and starts every instance from the memory it left, so tables built there
/// (regexes in `LazyLock`s, automata) cost a new instance nothing.
#[macro_export]
macro_rules! export_detector {
    ($detector:ty) => {
        $crate::__export_detector!($detector, [bindings], __export_detector_world,);
    };
    ($detector:ty, warm_up) => {
        $crate::__export_detector!(
            $detector,
            [bindings prepared],
            __export_prepared_detector_world,
            fn warm_up() {
                <$detector as $crate::Detector>::warm_up()
            }
        );
    };
}

/// The glue [`export_detector!`] writes for either world: its bindings module, its
/// export macro and, for `prepared-detector`, the `warm-up` function.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_detector {
    ($detector:ty, [$($module:ident)+], $export:ident, $($warm_up:item)?) => {
        const _: () = {
            ::std::thread_local! {
                static DETECTOR: ::std::cell::RefCell<$detector> =
                    ::std::cell::RefCell::new(<$detector as ::std::default::Default>::default());
            }

            struct Export;

            impl $crate$(::$module)+::Guest for Export {
                fn info() -> $crate::PluginInfo {
                    <$detector as $crate::Detector>::info()
                }

                fn configure(settings: String) -> Result<(), Vec<$crate::SettingsError>> {
                    DETECTOR.with_borrow_mut(|d| $crate::adapter::configure(d, &settings))
                }

                fn inspect(event: $crate::Event) -> Result<Vec<$crate::Finding>, String> {
                    DETECTOR.with_borrow_mut(|d| $crate::Detector::inspect(d, &event))
                }

                $($warm_up)?
            }

            $crate$(::$module)+::$export!(Export);
        };
    };
}

/// What the export macro calls; shared with the native [`testkit`](crate::testkit).
pub mod adapter {
    use super::*;

    /// Parse the settings JSON the host hands over and pass it to the detector.
    pub fn configure<D: Detector>(detector: &mut D, json: &str) -> Result<(), Vec<SettingsError>> {
        detector.configure(Settings::from_json(json)?)
    }
}
